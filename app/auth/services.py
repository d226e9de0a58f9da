"""Signing in (with lockout), creating users and giving them roles."""

import hashlib
import hmac
from datetime import timedelta, timezone

import sqlalchemy as sa
from flask import current_app

from app.auth.passwords import password_problem
from app.clock import utcnow
from app.extensions import db
from app.models import RoleAssignment, School, SignInThrottle, User
from app.models.audit import record
from app.models.users import ROLES, TRUST_WIDE_ROLES
from app.services import ServiceError, commit

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
WRONG = "The email address or password is not right. Check them and try again."
LOCKED = (f"There have been too many attempts to sign in with this email address. Wait "
          f"{LOCKOUT.seconds // 60} minutes, then try again, or ask your trust admin to reset "
          "your password.")
# Checked against when no account matches, so a wrong email takes as long as a wrong password.
_DUMMY_HASH = ("$argon2id$v=19$m=65536,t=3,p=4$hVuvM7dMu6cIr+VzvqrI0Q$"
               "ojgQHOpWhfd0p85sr/c9vViXBeKjnWuGdt6aMp5m9Kk")


class SignInRefused(ServiceError):
    pass


def _digest(email):
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, email.encode(), hashlib.sha256).hexdigest()


def _aware(moment):
    # SQLite hands back naive datetimes; they were written in UTC.
    return moment.replace(tzinfo=timezone.utc) if moment and moment.tzinfo is None else moment


def sign_in(email, password):
    """The user with this email and password, or SignInRefused with one message for every cause.

    Failures are counted per email address tried, account or not, so neither the message nor
    the lockout tells anyone whether an address has an account.
    """
    email = (email or "").strip().lower()
    now = utcnow()
    throttle = db.session.get(SignInThrottle, _digest(email))
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if throttle is not None and throttle.locked_until and _aware(throttle.locked_until) > now:
        record("sign_in_locked", user)
        db.session.commit()
        raise SignInRefused(LOCKED)
    password_ok = (user or User(password_hash=_DUMMY_HASH)).check_password(password)
    if user is not None and user.active and password_ok:
        if throttle is not None:
            db.session.delete(throttle)
        record("sign_in", user)
        db.session.commit()
        return user
    if throttle is None:
        throttle = SignInThrottle(email_digest=_digest(email), failures=0)
        db.session.add(throttle)
    throttle.failures += 1
    throttle.last_failed_at = now
    locked = throttle.failures >= MAX_FAILURES
    if locked:
        throttle.failures, throttle.locked_until = 0, now + LOCKOUT
    record("sign_in_failed", user, account="known" if user else "unknown", locked=locked)
    commit()
    raise SignInRefused(LOCKED if locked else WRONG)


def create_user(email, name, password, role, school_urn=None):
    email = (email or "").strip().lower()
    if "@" not in email:
        raise ServiceError("Enter an email address like name@school.org.uk.")
    if role not in ROLES:
        raise ServiceError(f"Unknown role '{role}'. Choose one of: {', '.join(sorted(ROLES))}.")
    problem = password_problem(password, email, name or "")
    if problem:
        raise ServiceError(problem)
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
