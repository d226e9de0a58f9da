"""What every service shares: the domain errors routes turn into plain English, and one commit."""

from sqlalchemy.exc import IntegrityError

from app.extensions import db


class ServiceError(Exception):
    """A request we refuse, with a message a person can act on."""


class NotFound(ServiceError):
    pass


class Conflict(ServiceError):
    pass


def commit(conflict_message="That has already been saved."):
    """Commit the session; a broken constraint becomes a Conflict with a plain message."""
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise Conflict(conflict_message) from error
