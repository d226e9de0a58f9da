"""Categorisation: evidence rules suggest Stabilise / Repair / Improve / Sustain; the CIO decides."""

from flask import Blueprint

bp = Blueprint("categorisation", __name__, url_prefix="/categorisation")

from app.categorisation import routes  # noqa: E402,F401
