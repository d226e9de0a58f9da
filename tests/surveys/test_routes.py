"""Scheduling a survey, and a parent answering it through the school's link."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Answer, Response, Survey
from tests.builders import (
    link_of, make_school, make_survey, make_trust, make_user, parent_instrument, survey_form,
)


@pytest.fixture
def trust(app):
    """A trust with two schools, an admin, a head of the first school, and an open parent survey."""
    with app.app_context():
        trust = make_trust()
        first, second = make_school(trust, "First Primary"), make_school(trust, "Second Primary")
        make_user("admin@trust.example", "trust_admin")
        make_user("head@first.example", "head", first)
        survey = make_survey([first, second])
        db.session.commit()
        return {
            "first": first.id, "second": second.id, "survey": survey.id,
            "instrument": survey.instrument_id, "link": link_of(survey, first),
        }


def full_answers(app, **changes):
    """A complete, valid parent form: agree to every statement, no SEND."""
    with app.app_context():
        instrument = parent_instrument()
        data = {}
        for question in instrument.questions:
            if question.type == "agree5" and not question.condition:
                data[f"q_{question.key}"] = "4"
        data.update({"q_recommend": "1", "q_has_send": "0", "q_year_group": "3",
                     "submission_key": "k" * 32})
    data.update(changes)
    return data


def stored_responses(app):
    with app.app_context():
        return db.session.scalars(sa.select(Response)).all()


# Scheduling

def scheduling_form(trust, **changes):
    data = survey_form(trust["instrument"], [trust["first"], trust["second"]])
    data.update(changes)
    return data


def test_a_trust_admin_creates_a_survey_with_a_link_per_school(app, client, auth, trust):
    auth.sign_in("admin@trust.example")
    response = client.post("/surveys/new", data=scheduling_form(trust))
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert b"First Primary" in page.data and b"Second Primary" in page.data
    with app.app_context():
        survey = db.session.scalar(sa.select(Survey).where(Survey.title == "Parent survey, spring"))
        codes = [s.link_code for s in survey.schools]
        assert len(codes) == 2 and len(set(codes)) == 2
        for code in codes:
            assert f"/s/{code}".encode() in page.data


@pytest.mark.parametrize("changes, message", [
    ({"title": ""}, b"Enter a title for the survey"),
    ({"title": "x" * 201}, b"200 characters"),
    ({"school_ids": []}, b"Choose at least one school"),
    ({"closes_on": ["1", "7", "2000"]}, b"The closing date must be on or after the opening date"),
    ({"opens_on": ["31", "2", "2027"]}, b"Not a valid date value"),
    ({"opens_on": ["1"]}, b"Not a valid date value"),
    ({"instrument_id": "999"}, b"Choose from the list"),
    ({"instrument_id": "abc"}, b"Choose from the list"),
    ({"school_ids": ["1", "abc"]}, b"Choose from the list"),
])
def test_a_bad_survey_form_comes_back_with_the_problem_and_saves_nothing(
        app, client, auth, trust, changes, message):
    auth.sign_in("admin@trust.example")
    response = client.post("/surveys/new", data=scheduling_form(trust, **changes))
    assert response.status_code == 200
    assert b"govuk-error-summary" in response.data and message in response.data
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Survey.id))) == 1


def test_a_head_can_only_run_a_survey_for_their_own_school(app, client, auth, trust):
    auth.sign_in("head@first.example")
    response = client.post("/surveys/new", data=scheduling_form(trust))
    assert b"Choose from the list" in response.data
    ok = client.post("/surveys/new", data=scheduling_form(trust, school_ids=[str(trust["first"])]))
    assert ok.status_code == 302


def test_governors_cannot_create_surveys(app, client, auth, trust):
    with app.app_context():
        make_user("gov@first.example", "governor", db.session.get(__import__("app").models.School, trust["first"]))
        db.session.commit()
    auth.sign_in("gov@first.example")
    assert client.get("/surveys/new").status_code == 404


def test_the_survey_page_shows_a_qr_code_of_the_link(client, auth, trust):
    auth.sign_in("admin@trust.example")
    svg = client.get(f"/surveys/{trust['survey']}/schools/{trust['first']}/qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert b"<svg" in svg.data


# Answering

def test_a_parent_answers_once_and_sees_thank_you(app, client, trust):
    page = client.get(f"/s/{trust['link']}")
    assert page.status_code == 200 and b"My child is happy at this school." in page.data
    response = client.post(f"/s/{trust['link']}", data=full_answers(app))
    assert response.status_code == 302
    assert b"Thank you" in client.get(response.headers["Location"]).data
    [stored] = stored_responses(app)
    with app.app_context():
        answers = db.session.scalars(sa.select(Answer).where(Answer.response_id == stored.id)).all()
        assert {a.question_key: a.value for a in answers}["happy"] == 4
        assert stored.school_id == trust["first"] and stored.submitted_on == date.today()


def test_the_same_submission_sent_twice_stores_one_response(app, client, trust):
    data = full_answers(app)
    first = client.post(f"/s/{trust['link']}", data=data)
    second = client.post(f"/s/{trust['link']}", data=data)
    assert first.status_code == second.status_code == 302
    assert len(stored_responses(app)) == 1


def test_a_response_keeps_no_identity_ip_or_time(app, client, trust):
    client.post(f"/s/{trust['link']}", data=full_answers(app),
                environ_base={"REMOTE_ADDR": "203.0.113.9"}, headers={"User-Agent": "Phone/1.0"})
    with app.app_context():
        columns = {c.name for c in Response.__table__.columns}
        # respondent_name is only ever filled on a named survey (tests/surveys/test_languages_and_names.py).
        assert columns == {"id", "survey_id", "school_id", "submitted_on", "idempotency_key", "status",
                           "respondent_name"}
        row = db.session.execute(sa.select(Response.__table__)).one()
        assert "203.0.113.9" not in repr(row) and "Phone" not in repr(row)
        assert row.respondent_name is None


def test_missing_required_answers_come_back_with_every_typed_answer_kept(app, client, trust):
    data = full_answers(app, q_comments="We love the new library <b>really</b>")
    del data["q_happy"], data["q_safe"]
    response = client.post(f"/s/{trust['link']}", data=data)
    assert response.status_code == 200
    html = response.data.decode()
    assert "govuk-error-summary" in html
    assert "Answer the question: My child is happy at this school." in html
    assert 'href="#q_happy"' in html
    assert "We love the new library &lt;b&gt;really&lt;/b&gt;" in html
    assert 'name="q_well_behaved" type="radio" value="4" checked' in html
    assert stored_responses(app) == []


def test_a_conditional_question_is_needed_only_when_it_is_shown(app, client, trust):
    with_send = full_answers(app, q_has_send="1")
    assert b"My child has SEND" in client.post(f"/s/{trust['link']}", data=with_send).data
    assert stored_responses(app) == []
    with_send["q_send_support"] = "5"
    assert client.post(f"/s/{trust['link']}", data=with_send).status_code == 302
    without = full_answers(app, q_send_support="2", submission_key="n" * 32)
    assert client.post(f"/s/{trust['link']}", data=without).status_code == 302
    with app.app_context():
        support = db.session.scalars(sa.select(Answer.value).where(Answer.question_key == "send_support")).all()
        assert support == [5]


@pytest.mark.parametrize("changes", [
    {"q_happy": "9"}, {"q_happy": "abc"}, {"q_happy": ""}, {"q_recommend": "-1"}, {"q_year_group": "99"}, {"q_comments": "x" * 2001},
    {"submission_key": ""},
])
def test_hostile_answers_are_refused_with_a_message(app, client, trust, changes):
    response = client.post(f"/s/{trust['link']}", data=full_answers(app, **changes))
    assert response.status_code == 200 and b"govuk-error-summary" in response.data
    assert stored_responses(app) == []


def test_an_unknown_link_gets_a_clear_404(client, trust):
    response = client.get("/s/not-a-real-code")
    assert response.status_code == 404 and b"ask the school for the link again" in response.data


def test_a_closed_survey_says_when_it_closed_and_stores_nothing(app, client, trust):
    with app.app_context():
        survey = db.session.get(Survey, trust["survey"])
        survey.opens_on, survey.closes_on = date(2025, 1, 6), date(2025, 2, 7)
        db.session.commit()
    page = client.get(f"/s/{trust['link']}")
    assert b"This survey has closed" in page.data and b"closed on 7 February 2025" in page.data
    client.post(f"/s/{trust['link']}", data=full_answers(app))
    assert stored_responses(app) == []


def test_a_survey_not_yet_open_says_when_it_opens(app, client, trust):
    with app.app_context():
        survey = db.session.get(Survey, trust["survey"])
        survey.opens_on = date.today() + timedelta(days=10)
        survey.closes_on = survey.opens_on + timedelta(days=10)
        db.session.commit()
    assert b"This survey is not open yet" in client.get(f"/s/{trust['link']}").data


def test_an_expired_session_keeps_the_answers_and_asks_to_send_again(database_url, trust):
    from tests.conftest import make_app

    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    data = full_answers(app, q_comments="Please keep the breakfast club", csrf_token="stale")
    response = client.post(f"/s/{trust['link']}", data=data)
    assert response.status_code == 200
    html = response.data.decode()
    assert "Your answers are safe" in html and "Please keep the breakfast club" in html
    assert 'name="q_happy" type="radio" value="4" checked' in html
    assert stored_responses(app) == []
    with app.app_context():
        __import__("app").extensions.db.engine.dispose()


def test_questions_without_a_hint_show_no_empty_hint(client, trust):
    html = client.get(f"/s/{trust['link']}").data.decode()
    assert ">None<" not in html and "None\n" not in html
    assert "Please do not include names of children or staff." in html
