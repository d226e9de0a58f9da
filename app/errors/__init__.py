"""Error pages: plain words about what happened and what to do next."""

from flask import Blueprint, render_template

bp = Blueprint("errors", __name__)


@bp.app_errorhandler(404)
def not_found(error):
    return render_template("errors/404.html"), 404


@bp.app_errorhandler(403)
def forbidden(error):
    return render_template("errors/404.html"), 404


@bp.app_errorhandler(413)
def too_large(error):
    return render_template("errors/413.html"), 413


@bp.app_errorhandler(429)
def too_many(error):
    return render_template("errors/429.html"), 429


@bp.app_errorhandler(500)
def server_error(error):
    return render_template("errors/500.html"), 500
