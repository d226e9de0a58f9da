"""Error pages: plain words about what happened and what to do next."""

from flask import Blueprint, current_app, render_template
from markupsafe import escape

from app.extensions import db
from app.logs import current_request_id

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


# When even the page cannot be drawn (the database is down and the nav needs the user).
PLAIN_500 = (
    "<!DOCTYPE html><html lang=\"en\"><head><title>Sorry, there is a problem with the service"
    "</title></head><body><h1>Sorry, there is a problem with the service</h1><p>Try again later."
    "</p><p>If you contact the trust about this, quote this reference: {reference}</p></body></html>"
)


@bp.app_errorhandler(500)
def server_error(error):
    # The failed transaction must not poison the queries that draw the page.
    db.session.rollback()
    try:
        return render_template("errors/500.html"), 500
    except Exception:
        current_app.logger.exception("the error page itself failed")
        return PLAIN_500.format(reference=escape(current_request_id() or "none")), 500
