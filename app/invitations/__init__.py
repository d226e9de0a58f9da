"""Contact lists, email invitations and reminders, and live response rates."""

from flask import Blueprint

bp = Blueprint("invitations", __name__)

from app.invitations import routes  # noqa: E402,F401
