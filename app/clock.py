"""The current date and time, in one place so tests can move the clock."""

from datetime import date, datetime, timezone


def today():
    return date.today()


def utcnow():
    return datetime.now(timezone.utc)
