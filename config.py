"""Configuration read from the environment; defaults suit a laptop (SQLite in instance/)."""

import os
from datetime import timedelta


def database_url(instance_path, url=None):
    """The given URL (else DATABASE_URL, else SQLite in instance/); postgres URLs use psycopg 3."""
    url = url or os.environ.get("DATABASE_URL")
    if not url:
        return "sqlite:///" + os.path.join(instance_path, "stakeholder_voice.db")
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")  # resolved in create_app
    # hide_parameters: a database error in the log never carries the answers it was storing.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
    # CSRF tokens are bound to the session, not to a clock that runs out mid-survey.
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")  # INFO logs a JSON line for each request
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = True
    # Several app processes share limits only through Redis (RATELIMIT_STORAGE_URI=redis://host:6379);
    # if Redis goes away, each process counts in memory rather than refusing every sign-in.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    BABEL_DEFAULT_LOCALE = "en_GB"
    BABEL_DEFAULT_TIMEZONE = "Europe/London"
    # Outgoing email (invitations and reminders) through any SMTP server.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "0") == "1"
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "surveys@localhost")
    # Links in emails start with this (cron and the sending thread have no request to read it from).
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://localhost:5000")
    MAIL_BATCH_SIZE = int(os.environ.get("MAIL_BATCH_SIZE", "100"))
    MAIL_RETRIES = 3
    MAIL_RETRY_DELAY = 2.0  # seconds, doubled after each failed try
    # A claim older than this belongs to a run that was stopped; its emails are queued again.
    MAIL_STUCK_MINUTES = int(os.environ.get("MAIL_STUCK_MINUTES", "15"))
    # An email that failed (the mail server down or refusing for now; never a bounce) goes again
    # with the next run after 30 minutes, then 60, 120 ..., until this many runs have tried it.
    MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "4"))
    MAIL_RETRY_AFTER_MINUTES = int(os.environ.get("MAIL_RETRY_AFTER_MINUTES", "30"))
    # Days after the invitation when reminders go to people who have not answered.
    REMINDER_DAYS = (3, 7)
    CONTACTS_MAX_ROWS = 10000
    RATES_POLL_MS = 15000  # how often an open response-rate page asks for new numbers


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    MAIL_RETRY_DELAY = 0.0
