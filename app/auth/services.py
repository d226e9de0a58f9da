"""Creating users and giving them roles."""

import sqlalchemy as sa

from app.extensions import db
from app.models import RoleAssignment, School, User
from app.models.users import ROLES, TRUST_WIDE_ROLES
from app.services import ServiceError, commit

MIN_PASSWORD_LENGTH = 10


def create_user(email, name, password, role, school_urn=None):
    email = (email or "").strip().lower()
    if "@" not in email:
        raise ServiceError("Enter an email address like name@school.org.uk.")
    if role not in ROLES:
        raise ServiceError(f"Unknown role '{role}'. Choose one of: {', '.join(sorted(ROLES))}.")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ServiceError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters.")
    school = None
    if school_urn:
        school = db.session.scalar(sa.select(School).where(School.urn == school_urn))
        if school is None:
            raise ServiceError(f"There is no school with URN {school_urn}.")
    elif role not in TRUST_WIDE_ROLES and role != "wellbeing":
        raise ServiceError(f"A {ROLES[role]} needs a school: add --school URN.")
    user = User(email=email, name=name.strip())
    user.set_password(password)
    user.roles.append(RoleAssignment(role=role, school=school))
    db.session.add(user)
    commit(f"There is already a user with the email address {email}.")
    return user
