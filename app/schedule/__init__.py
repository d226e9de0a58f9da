"""The trust's annual schedule: generated from a template, editable, exported as iCalendar."""

from flask import Blueprint

bp = Blueprint("schedule", __name__, url_prefix="/schedule")

from app.schedule import routes  # noqa: E402,F401
