"""The DSL's flag page: every bad or hostile post gets a clear message and the typed note back."""

import re

import pytest
import sqlalchemy as sa

from app.comments.services import MAX_ACTION_TEXT
from app.extensions import db
from app.models import CommentFlag
from tests.builders import make_response, make_school, make_survey, make_trust, make_user

NOTE = "Spoke to the class teacher <b>today</b>; logged on CPOMS."


@pytest.fixture
def flags(app):
    """Two schools, each with one open flag and its own DSL."""
    with app.app_context():
        trust = make_trust()
        first, other = make_school(trust, "First Primary"), make_school(trust, "Other Primary")
        survey = make_survey([first, other])
        ids = {}
        for name, school in (("first", first), ("other", other)):
            response = make_response(survey, school, {"comments": "He hit me"})
            flag = CommentFlag(answer_id=response.answers[0].id, school_id=school.id,
                               survey_id=survey.id, matched=["hit me"], status="open")
            db.session.add(flag)
            db.session.flush()
            ids[name] = flag.id
        make_user("dsl@first.example", "dsl", first, name="Dee First")
        make_user("dsl2@first.example", "dsl", first, name="Dan Second")
        db.session.commit()
        return ids


def stored(app, flag_id):
    with app.app_context():
        flag = db.session.get(CommentFlag, flag_id)
        return flag.status, flag.action_taken, flag.release


def textarea(html):
    match = re.search(r'<textarea[^>]*name="action_taken"[^>]*>(.*?)</textarea>', html, re.S)
    return match.group(1).strip() if match else None


@pytest.mark.parametrize("form, message", [
    ({}, "Enter what you did about this comment."),
    ({"action_taken": ""}, "Enter what you did about this comment."),
    ({"action_taken": "   \n "}, "Enter what you did about this comment."),
    ({"action_taken": NOTE, "release": "maybe"}, "Tick the box, or leave it empty"),
    ({"action_taken": NOTE, "release": ["y", "y"]}, "Tick the box, or leave it empty"),
    ({"action_taken": "x" * (MAX_ACTION_TEXT + 1)}, f"{MAX_ACTION_TEXT:,} characters or fewer"),
])
def test_a_bad_post_says_what_is_wrong_keeps_the_note_and_records_nothing(
        app, client, auth, flags, form, message):
    auth.sign_in("dsl@first.example")
    response = client.post(f"/safeguarding/{flags['first']}", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in html and message in html
    assert "<title>Error: " in html
    typed = form.get("action_taken", "")
    if typed.strip():
        assert textarea(html) == typed.replace("<", "&lt;").replace(">", "&gt;")
    assert stored(app, flags["first"]) == ("open", None, False)


def test_a_huge_note_over_the_upload_limit_is_refused_plainly(app, client, auth, flags):
    auth.sign_in("dsl@first.example")
    response = client.post(f"/safeguarding/{flags['first']}", data={"action_taken": "x" * 3_000_000})
    assert response.status_code == 413 and b"<script" not in response.data[:100]
    assert stored(app, flags["first"])[0] == "open"


@pytest.mark.parametrize("flag_id", ["other", 2**31, 2**32, 2**63, -1, "abc"])
def test_another_school_s_or_an_impossible_flag_id_is_not_found(app, client, auth, flags, flag_id):
    auth.sign_in("dsl@first.example")
    path = f"/safeguarding/{flags.get(flag_id, flag_id)}"
    assert client.get(path).status_code == 404
    assert client.post(path, data={"action_taken": NOTE}).status_code == 404
    assert stored(app, flags["other"]) == ("open", None, False)


def test_an_already_handled_flag_says_so_and_shows_the_note_that_was_not_saved(
        app, client, auth, flags):
    auth.sign_in("dsl2@first.example")
    assert client.post(f"/safeguarding/{flags['first']}",
                       data={"action_taken": "Referred to social care"}).status_code == 302
    auth.sign_out()
    auth.sign_in("dsl@first.example")
    response = client.post(f"/safeguarding/{flags['first']}", data={"action_taken": NOTE})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "This comment was already handled" in html and "Dan Second recorded" in html
    assert "Spoke to the class teacher &lt;b&gt;today&lt;/b&gt;; logged on CPOMS." in html
    assert stored(app, flags["first"]) == ("handled", "Referred to social care", False)


def test_a_second_record_of_the_same_flag_is_refused_by_the_database(app, flags):
    """The update only applies to an open flag, so two DSLs at once cannot both record."""
    from app.comments import services
    from app.models import User
    from app.services import Conflict

    with app.app_context():
        first = db.session.scalar(sa.select(User).filter_by(email="dsl@first.example"))
        second = db.session.scalar(sa.select(User).filter_by(email="dsl2@first.example"))
        services.handle_flag(first, flags["first"], "First note")
        with pytest.raises(Conflict):
            services.handle_flag(second, flags["first"], "Second note")
    assert stored(app, flags["first"])[:2] == ("handled", "First note")


@pytest.mark.parametrize("query", ["", "?school_id=", "?school_id=abc", f"?school_id={2**31}",
                                   f"?school_id={2**64}", "?school_id=-1"])
def test_the_names_list_of_a_missing_or_impossible_school_is_not_found(app, client, auth, flags,
                                                                        query):
    with app.app_context():
        make_user("admin@trust.example", "trust_admin")
        db.session.commit()
    auth.sign_in("admin@trust.example")
    assert client.get(f"/word-lists/names{query}").status_code == 404
    assert client.post(f"/word-lists/names{query}", data={"words": "Ben"}).status_code == 404


@pytest.mark.parametrize("survey_id", ["abc", "-1", "0", str(2**31), str(2**64)])
def test_comments_and_exports_of_an_impossible_survey_are_not_found(app, client, auth, flags,
                                                                     survey_id):
    with app.app_context():
        school_id = db.session.get(CommentFlag, flags["first"]).school_id
        make_user("head@first.example", "head", db.session.get(CommentFlag, flags["first"]).school)
        db.session.commit()
    auth.sign_in("head@first.example")
    assert client.get(f"/schools/{school_id}/comments?survey_id={survey_id}").status_code in (200, 404)
    for path in ("export/indicators.csv", "export/responses.xlsx"):
        assert client.get(f"/schools/{school_id}/{path}?survey_id={survey_id}").status_code == 404
