"""The health check a load balancer or container runtime polls: is this process up and its database reachable."""

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from app.auth.scope import public
from app.extensions import db

bp = Blueprint("health", __name__)


@bp.route("/healthz")
@public
def check():
    """200 {"status": "ok"} when a cheap query answers; 503 when it does not. Says nothing more."""
    try:
        db.session.execute(sa.text("SELECT 1"))
        db.session.rollback()  # hand the connection back at once
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        # The error's text (host, port, database) goes to the log, never to the caller.
        current_app.logger.exception("health check: database unreachable")
        response = jsonify(status="error", database="unreachable")
        response.status_code = 503
    else:
        response = jsonify(status="ok", database="ok")
    response.headers["Cache-Control"] = "no-store"
    return response
