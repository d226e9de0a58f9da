"""Sign-in: lockout after repeated failures, one message whatever the cause, an audit trail."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.auth import services
from app.auth.passwords import password_problem
from app.extensions import db
from app.models import AuditEvent, SignInThrottle
from tests.builders import PASSWORD, make_school, make_trust, make_user


@pytest.fixture
def head(app):
    with app.app_context():
        make_user("head@ours.example", "head", make_school(make_trust()))
        db.session.commit()


def actions(app):
    with app.app_context():
        return db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()


@pytest.mark.parametrize("email", ["head@ours.example", "nobody@ours.example"])
def test_five_failures_lock_the_address_with_the_same_words_whether_or_not_it_has_an_account(
        client, auth, head, email):
    for _ in range(services.MAX_FAILURES - 1):
        assert b"is not right" in auth.sign_in(email, "wrong password").data
    locked = auth.sign_in(email, "wrong password").get_data(as_text=True)
    assert "too many attempts to sign in with this email address" in locked
    # Locked: even the right password is refused until the time is up.
    again = auth.sign_in(email).get_data(as_text=True)
    assert "too many attempts" in again and "is not right" not in again


def test_the_lock_lifts_after_fifteen_minutes(app, client, auth, head):
    for _ in range(services.MAX_FAILURES):
        auth.sign_in("head@ours.example", "wrong password")
    with app.app_context():
        throttle = db.session.scalars(sa.select(SignInThrottle)).one()
        throttle.locked_until -= services.LOCKOUT + timedelta(seconds=1)
        db.session.commit()
    assert auth.sign_in("head@ours.example").status_code == 302


def test_a_success_clears_earlier_failures(app, client, auth, head):
    for _ in range(services.MAX_FAILURES - 1):
        auth.sign_in("head@ours.example", "wrong password")
    assert auth.sign_in("head@ours.example").status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SignInThrottle)) == 0


def test_the_throttle_keeps_no_email_address(app, client, auth, head):
    auth.sign_in("someone.mistyped@ours.example", "wrong password")
    with app.app_context():
        digest = db.session.scalars(sa.select(SignInThrottle.email_digest)).one()
    assert "mistyped" not in digest and len(digest) == 64


def test_sign_ins_failures_lockouts_and_sign_outs_are_audited(app, client, auth, head):
    auth.sign_in("head@ours.example", "wrong password")
    auth.sign_in("head@ours.example")
    auth.sign_out()
    for _ in range(services.MAX_FAILURES + 1):
        auth.sign_in("nobody@ours.example", "wrong password")
    assert actions(app) == (["sign_in_failed", "sign_in", "sign_out"]
                            + ["sign_in_failed"] * services.MAX_FAILURES + ["sign_in_locked"])
    with app.app_context():
        last_failed = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "sign_in_failed")
            .order_by(AuditEvent.id.desc())).first()
        assert last_failed.detail == {"account": "unknown", "locked": True}
        assert "nobody" not in str(last_failed.detail)


def test_sign_in_is_rate_limited_per_address_and_email(database_url, head):
    from tests.conftest import make_app
    app = make_app(database_url, RATELIMIT_ENABLED=True)
    client = app.test_client()
    statuses = [client.post("/sign-in", data={"email": f"x{n % 2}@ours.example",
                                              "password": "wrong password"}).status_code
                for n in range(22)]
    assert statuses.count(429) == 2
    page = client.post("/sign-in", data={"email": "x0@ours.example", "password": "p"})
    with app.app_context():
        db.engine.dispose()  # this second app has its own pool
    assert b"Too many attempts" in page.data


@pytest.mark.parametrize("password, problem", [
    ("short", "at least 10 characters"),
    ("password123", "most common"),
    ("Password123", "most common"),
    ("aaaaaaaaaaaa", "same few characters"),
    ("head@ours.example!", "your name or email"),
    ("x" * 257, "at most 256"),
])
def test_weak_passwords_are_refused_with_a_reason(password, problem):
    assert problem in password_problem(password, "head@ours.example", "Pat Head")


@pytest.mark.parametrize("password", [
    "correct horse battery", "tea biscuits on tuesday", "ǅemal likes ☕ and 🍰", "a" * 10 + "bcd",
    "very long passphrase " * 12,
])
def test_long_passphrases_of_any_characters_are_welcome(password):
    assert password_problem(password, "head@ours.example", "Pat Head") is None


def test_a_nul_character_in_the_form_is_dropped_not_a_database_error(client, auth, head):
    """PostgreSQL cannot hold a NUL; nobody types one. The sign-in goes on without it."""
    refused = client.post("/sign-in", data={"email": "\x00", "password": "x\x00"})
    assert refused.status_code == 200 and "There is a problem" in refused.get_data(as_text=True)
    signed_in = client.post("/sign-in", data={"email": "head@ours\x00.example",
                                              "password": PASSWORD})
    assert signed_in.status_code == 302
