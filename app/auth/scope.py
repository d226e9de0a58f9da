"""Who may see what: every view of school data asks here, and nowhere else."""

from functools import wraps

import sqlalchemy as sa
from flask import abort
from flask_login import current_user, login_required

from app.extensions import db
from app.models import School


def role_required(*roles):
    """Let a view through only for signed-in users holding one of these roles."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(404)
            return view(*args, **kwargs)

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
    school = db.session.get(School, school_id)
    ids = user.school_ids(*roles)
    if school is None or (ids is not None and school.id not in ids):
        abort(404)
    return school
