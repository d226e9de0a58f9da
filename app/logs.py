"""Structured logs: one JSON line per event on stderr, each with the request's id; nothing personal."""

import json
import logging
import re
import sys
import time
import traceback
import uuid
from datetime import datetime, timezone

from flask import current_app, g, has_request_context, request

# An id a proxy or load balancer sent may be quoted back to us; anything else is replaced.
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, request_id, then any `extra` fields; tracebacks as text."""

    FIELDS = ("method", "route", "endpoint", "status", "ms")

    def format(self, record):
        line = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            line["request_id"] = request_id
        for field in self.FIELDS:
            if hasattr(record, field):
                line[field] = getattr(record, field)
        if record.exc_info:
            line["traceback"] = "".join(traceback.format_exception(*record.exc_info))
        return json.dumps(line, default=str)


class StderrHandler(logging.Handler):
    """Writes to whatever sys.stderr is at the time (gunicorn and pytest both swap it)."""

    def emit(self, record):
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:  # a log line must never break a request
            self.handleError(record)


def current_request_id():
    return g.get("request_id") if has_request_context() else None


def configure_logging(app):
    """JSON lines for the app's loggers; a request id on every request, echoed in X-Request-ID."""
    app.config.setdefault("LOG_LEVEL", "INFO")
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter())
    app.logger.handlers = [handler]  # not added to: tests make many apps in one process
    app.logger.setLevel(app.config["LOG_LEVEL"])
    app.logger.propagate = False
    # flask-limiter logs the limit's key (an IP address or an email) at info level.
    logging.getLogger("flask-limiter").setLevel(logging.WARNING)
    app.before_request(_start_request)
    app.after_request(_log_request)
    app.context_processor(lambda: {"request_id": current_request_id()})
    # Flask's own line names request.path, which can hold an invitation token.
    app.log_exception = lambda exc_info: app.logger.error(
        "Unhandled exception", exc_info=exc_info, extra=_request_fields())


def _start_request():
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _request_fields():
    """Where a request went, by URL rule ("/i/<token>"), never by path: paths hold tokens."""
    rule = request.url_rule.rule if request.url_rule is not None else None
    return {"method": request.method, "route": rule, "endpoint": request.endpoint}


def _log_request(response):
    # No IP address, user agent, query string, form data or path: see _request_fields.
    request_id = g.get("request_id")
    if request_id:
        response.headers["X-Request-ID"] = request_id
    if request.endpoint != "static":
        started = g.get("request_started", time.perf_counter())
        current_app.logger.info("request", extra={
            **_request_fields(), "status": response.status_code,
            "ms": round((time.perf_counter() - started) * 1000, 1),
        })
    return response
