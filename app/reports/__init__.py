"""Dashboards and reports built from the analysis module."""

from flask import Blueprint

bp = Blueprint("reports", __name__)

from app.reports import routes  # noqa: E402,F401
from app.reports import export_routes  # noqa: E402,F401
from app.reports import pack_routes  # noqa: E402,F401
from app.reports import action_routes  # noqa: E402,F401
