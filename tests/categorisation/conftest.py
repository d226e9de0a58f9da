"""A trust with default areas and rules, two schools and a closed parent survey."""

from datetime import date, timedelta

import pytest

from app.categorisation import services
from app.extensions import db
from app.models import RoleAssignment, User
from tests.builders import PASSWORD, make_response, make_school, make_survey, make_trust

_HASH = []


def quick_user(email, role, school=None, name="Test User"):
    """A user like builders.make_user, hashing the password once per session (argon2 is slow)."""
    if not _HASH:
        _HASH.append(User(email="", name=""))
        _HASH[0].set_password(PASSWORD)
    user = User(email=email, name=name, password_hash=_HASH[0].password_hash)
    user.roles.append(RoleAssignment(role=role, school=school))
    db.session.add(user)
    return user


@pytest.fixture
def trust_setup(app):
    """Oak (12 parents answered "safe": 9 positive) and Elm (4 parents: withheld); CIO and heads."""
    with app.app_context():
        trust = make_trust()
        oak = make_school(trust, name="Oak Primary School", urn="100001")
        elm = make_school(trust, name="Elm Primary School", urn="100002")
        services.install_defaults(trust)
        quick_user("cio@example.org", "cio", name="Chris CIO")
        quick_user("admin@example.org", "trust_admin")
        quick_user("head@oak.example.org", "head", school=oak)
        quick_user("governor@elm.example.org", "governor", school=elm)
        survey = make_survey([oak, elm], opens_on=date.today() - timedelta(days=30),
                             closes_on=date.today() - timedelta(days=10), title="Parent survey, autumn")
        for index in range(12):
            make_response(survey, oak, {"safe": 5 if index < 9 else 2, "recommend": 1})
        for _ in range(4):
            make_response(survey, elm, {"safe": 1, "recommend": 0})
        db.session.commit()
        # Returned, not yielded inside the context: each request then gets its own session.
        return {"trust_id": trust.id, "oak_id": oak.id, "elm_id": elm.id}
