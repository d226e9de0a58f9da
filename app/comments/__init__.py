"""Free-text comments: the DSL's safeguarding queue, redacted comments and the trust's word lists."""

from flask import Blueprint

bp = Blueprint("comments", __name__)

from app.comments import routes  # noqa: E402,F401
