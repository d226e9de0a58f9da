"""`flask users create`."""

import sqlalchemy as sa

from app.extensions import db
from app.models import User
from tests.builders import make_school, make_trust


def test_users_create_makes_a_cio_who_can_sign_in(app, runner, auth):
    result = runner.invoke(args=["users", "create", "--email", "Cio@Trust.example", "--name", "C",
                                 "--role", "cio", "--password", "long enough pw"])
    assert result.exit_code == 0, result.output
    assert auth.sign_in("cio@trust.example", "long enough pw").status_code == 302


def test_a_school_role_needs_a_known_school(app, runner):
    with app.app_context():
        make_school(make_trust(), urn="123456")
        db.session.commit()
    missing = runner.invoke(args=["users", "create", "--email", "h@s.example", "--name", "H",
                                  "--role", "head", "--password", "long enough pw"])
    assert missing.exit_code != 0 and "needs a school" in missing.output
    unknown = runner.invoke(args=["users", "create", "--email", "h@s.example", "--name", "H",
                                  "--role", "head", "--school", "999999", "--password", "long enough pw"])
    assert "no school with URN 999999" in unknown.output
    made = runner.invoke(args=["users", "create", "--email", "h@s.example", "--name", "H",
                               "--role", "head", "--school", "123456", "--password", "long enough pw"])
    assert made.exit_code == 0, made.output


def test_users_create_refuses_a_short_password_and_a_duplicate_email(app, runner):
    short = runner.invoke(args=["users", "create", "--email", "a@b.example", "--name", "A",
                                "--role", "cio", "--password", "short"])
    assert short.exit_code != 0 and "at least 10 characters" in short.output
    args = ["users", "create", "--email", "a@b.example", "--name", "A", "--role", "cio",
            "--password", "long enough pw"]
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=args)
    assert again.exit_code != 0 and "already a user" in again.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1
