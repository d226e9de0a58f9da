"""Who may see what: every view of school data asks here, and nowhere else."""

from dataclasses import dataclass
from functools import wraps

import sqlalchemy as sa
from flask import abort
from flask_login import current_user, login_required

from app.extensions import db, get_by_id
from app.models import School


@dataclass(frozen=True)
class Access:
    """Who a route is for: anyone, anyone signed in (then scoped by school), or these roles.

    Every view declares one through `public`, `signed_in` or `role_required`; the access test
    matrix reads it from the URL map, so a route without one fails the tests.
    """

    signed_in: bool
    roles: frozenset = frozenset()


def access_of(view):
    return getattr(view, "access", None)


def public(view):
    """Open to anyone, signed in or not (sign-in page, respondent pages)."""
    view.access = Access(signed_in=False)
    return view


def signed_in(view):
    """Any signed-in user; the view itself narrows to the user's schools."""
    wrapped = login_required(view)
    wrapped.access = Access(signed_in=True)
    return wrapped


def role_required(*roles):
    """Let a view through only for signed-in users holding one of these roles."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(404)
            return view(*args, **kwargs)

        wrapped.access = Access(signed_in=True, roles=frozenset(roles))
        return wrapped

    return decorator


def visible_schools_query(user, *roles):
    """A select of the schools this user may see in the given roles."""
    query = sa.select(School).order_by(School.name)
    ids = user.school_ids(*roles)
    if ids is None:
        return query
    return query.where(School.id.in_(ids))


def visible_schools(user, *roles):
    return db.session.scalars(visible_schools_query(user, *roles)).all()


def school_or_404(user, school_id, *roles):
    """Load the school, then check the user's scope on it; unknown and forbidden look the same."""
    school = get_by_id(School, school_id)
    ids = user.school_ids(*roles)
    if school is None or (ids is not None and school.id not in ids):
        abort(404)
    return school
