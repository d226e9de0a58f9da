"""SMART targets per school and priority, with progress from the latest data."""

from flask import Blueprint

bp = Blueprint("targets", __name__)

from app.targets import routes  # noqa: E402,F401
