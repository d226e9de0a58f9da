"""Signing in and out, and the scope rules every view relies on."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import User
from tests.builders import make_school, make_trust, make_user


@pytest.fixture
def people(app):
    with app.app_context():
        trust = make_trust()
        ours, theirs = make_school(trust, "Ours Primary"), make_school(trust, "Theirs Primary")
        make_user("head@ours.example", "head", ours)
        make_user("cio@trust.example", "cio")
        db.session.commit()
        return {"ours": ours.id, "theirs": theirs.id}


def test_sign_in_with_the_right_password_opens_the_users_school(client, auth, people):
    response = auth.sign_in("head@ours.example")
    assert response.status_code == 302
    assert client.get("/").headers["Location"] == f"/schools/{people['ours']}"


def test_email_is_matched_whatever_its_case_and_spaces(client, auth, people):
    assert auth.sign_in("  HEAD@Ours.Example ").status_code == 302


@pytest.mark.parametrize("email, password", [
    ("head@ours.example", "wrong password"),
    ("nobody@ours.example", "correct horse battery"),
])
def test_a_wrong_email_or_password_gets_one_plain_message(client, auth, people, email, password):
    response = auth.sign_in(email, password)
    assert response.status_code == 200
    assert b"The email address or password is not right" in response.data
    assert b"no account" not in response.data.lower()


def test_empty_sign_in_form_lists_what_is_missing(client, people):
    response = client.post("/sign-in", data={"email": "", "password": ""})
    assert b"Enter your email address" in response.data
    assert b"Enter your password" in response.data
    assert b"govuk-error-summary" in response.data


def test_a_deactivated_user_cannot_sign_in(app, client, auth, people):
    with app.app_context():
        db.session.scalar(sa.select(User).where(User.email == "head@ours.example")).active = False
        db.session.commit()
    assert b"not right" in auth.sign_in("head@ours.example").data


def test_sign_out_ends_the_session(client, auth, people):
    auth.sign_in("head@ours.example")
    auth.sign_out()
    assert client.get(f"/schools/{people['ours']}").status_code == 302


def test_next_link_only_leads_back_into_the_site(client, people):
    response = client.post("/sign-in?next=//evil.example/x",
                           data={"email": "head@ours.example", "password": "correct horse battery"})
    assert response.headers["Location"] == "/"


def test_a_head_cannot_see_another_schools_results(client, auth, people):
    auth.sign_in("head@ours.example")
    assert client.get(f"/schools/{people['ours']}").status_code == 200
    assert client.get(f"/schools/{people['theirs']}").status_code == 404
    assert client.get("/schools/99999").status_code == 404


def test_the_cio_sees_every_school(client, auth, people):
    auth.sign_in("cio@trust.example")
    for school_id in people.values():
        assert client.get(f"/schools/{school_id}").status_code == 200


def test_signed_out_visitors_are_sent_to_sign_in(client, people):
    response = client.get(f"/schools/{people['ours']}")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_passwords_are_stored_as_argon2_hashes(app, people):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "cio@trust.example"))
        assert user.password_hash.startswith("$argon2id$")
        assert "correct horse" not in user.password_hash


@pytest.mark.parametrize("path", [
    "/schedule/?school_id={big}", "/schedule/?school_id=-1", "/schedule/?hub_id={big}",
    "/schedule/?year={big}", "/schedule/?year=0", "/schedule/?year=-3",
    "/schedule/calendar.ics?year={big}", "/schedule/calendar.ics?school_id={big}",
    "/wellbeing?school_id={big}", "/wellbeing?hub_id={big}", "/results?hub_id={big}",
    "/rates?survey_id={big}", "/invitations?survey_id={big}",
    "/schools/{ours}/comments?survey_id={big}", "/schools/{ours}/comments?survey_id=-1",
    "/word-lists?kind=names&school_id={big}",
])
def test_ids_and_years_in_the_query_out_of_range_are_refused_plainly(client, auth, people, path):
    """Query values no row (or date) can have: never a database error or a 500."""
    auth.sign_in("cio@trust.example")
    response = client.get(path.format(big=99999999999, ours=people["ours"]))
    assert response.status_code in (200, 302, 400, 403, 404), response.status_code


def test_an_id_too_large_for_the_database_is_a_plain_404(client, auth, people):
    auth.sign_in("cio@trust.example")
    assert client.get("/schools/99999999999").status_code == 404
    assert client.get(f"/schools/{2**31 - 1}").status_code == 404
