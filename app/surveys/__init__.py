"""Instruments, survey runs and the pages respondents answer."""

from flask import Blueprint

bp = Blueprint("surveys", __name__)

from app.surveys import authoring_routes, routes  # noqa: E402,F401
