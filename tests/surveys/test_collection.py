"""Collecting responses: access modes, invitations, autosave and resume, pupils in class."""

import csv
import io
import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app import clock
from app.extensions import db
from app.models import (
    Answer, ClassSession, InvitationToken, PartialResponse, Response, School, Survey,
)
from app.surveys import collection
from tests.builders import (
    builtin_instrument, link_of, make_response, make_school, make_survey, make_trust, make_user,
    survey_form,
)
from tests.surveys.test_routes import full_answers


@pytest.fixture
def trust(app):
    """Two schools; an admin, a head and a teacher of the first; one survey per access mode."""
    with app.app_context():
        trust = make_trust()
        first, second = make_school(trust, "First Primary"), make_school(trust, "Second Primary")
        make_user("admin@trust.example", "trust_admin")
        make_user("head@first.example", "head", first)
        make_user("teacher@first.example", "teacher", first)
        make_user("teacher@second.example", "teacher", second)
        open_link = make_survey([first])
        tokens = make_survey([first], title="Staff survey", instrument=builtin_instrument("staff"))
        tokens.access_mode = "tokens"
        pupils = make_survey([first, second], title="Pupil survey",
                             instrument=builtin_instrument("pupil_ks1"))
        pupils.access_mode = "class_session"
        db.session.commit()
        return {
            "first": first.id, "second": second.id, "open": open_link.id, "tokens": tokens.id,
            "pupils": pupils.id, "link": link_of(open_link, first),
            "staff_link": link_of(tokens, first), "pupil_link": link_of(pupils, first),
        }


def count(app, model):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def parent_answers(app, **changes):
    return full_answers(app, **{"submission_key": "a" * 32, **changes})


def page_text(response):
    return response.data.decode()


# Scheduling

def scheduling_form(app, instrument_key, **changes):
    with app.app_context():
        instrument = builtin_instrument(instrument_key)
        school = db.session.scalar(sa.select(School.id).where(School.name == "First Primary"))
    return survey_form(instrument.id, [school], **{
        "title": "Spring survey", "access_mode": "tokens", "anonymity": "confidential", **changes})


def test_a_survey_is_scheduled_with_its_access_mode_and_anonymity(app, client, auth, trust):
    auth.sign_in("admin@trust.example")
    response = client.post("/surveys/new", data=scheduling_form(app, "staff"))
    assert response.status_code == 302
    page = page_text(client.get(response.headers["Location"]))
    assert "Invitations for each school" in page and "Confidential" in page
    with app.app_context():
        survey = db.session.scalar(sa.select(Survey).where(Survey.title == "Spring survey"))
        assert (survey.access_mode, survey.anonymity) == ("tokens", "confidential")


@pytest.mark.parametrize("changes, message", [
    ({"access_mode": "class_session"}, "Class sessions are for pupil questionnaires"),
    ({"access_mode": "carrier_pigeon"}, "Choose one of the answers given"),
    ({"anonymity": "public"}, "Choose one of the answers given"),
    ({"anonymity": ""}, "Choose how anonymous the survey is"),
])
def test_a_bad_access_mode_or_anonymity_is_refused_plainly(app, client, auth, trust, changes, message):
    auth.sign_in("admin@trust.example")
    response = client.post("/surveys/new", data=scheduling_form(app, "parent", **changes))
    assert response.status_code == 200 and message in page_text(response)
    assert count(app, Survey) == 3


def test_anonymity_can_be_tightened_but_not_loosened_once_anyone_has_answered(app, client, auth, trust):
    auth.sign_in("admin@trust.example")
    url = f"/surveys/{trust['open']}/anonymity"
    client.post(url, data={"anonymity": "named"})  # nobody has answered: allowed
    with app.app_context():
        survey = db.session.get(Survey, trust["open"])
        assert survey.anonymity == "named"
        make_response(survey, db.session.get(School, trust["first"]), {"happy": 4})
        db.session.commit()
    assert "Confidential" in page_text(client.post(url, data={"anonymity": "confidential"}, follow_redirects=True))
    refused = page_text(client.post(url, data={"anonymity": "named"}, follow_redirects=True))
    assert "can be made stricter but not looser" in refused
    with app.app_context():
        assert db.session.get(Survey, trust["open"]).anonymity == "confidential"


# Open link: one response per device

def test_after_answering_the_device_is_told_it_has_answered_and_can_answer_for_another_child(app, client, trust):
    """The page's script sends a device that has answered to /answered (see the browser test)."""
    sent = client.post(f"/s/{trust['link']}", data=parent_answers(app))
    thanks = page_text(client.get(sent.headers["Location"]))
    assert f'data-mark-answered="sv-answered:/s/{trust["link"]}"' in thanks
    assert f'data-answered-url="/s/{trust["link"]}/answered"' in page_text(client.get(f"/s/{trust['link']}"))
    again = page_text(client.get(f"/s/{trust['link']}/answered"))
    assert "You have already answered on this device" in again
    assert "not a hard guarantee" in again
    another = page_text(client.get(f"/s/{trust['link']}?another=1"))
    assert "My child is happy at this school." in another and "data-answered-url" not in another
    assert client.post(f"/s/{trust['link']}", data=parent_answers(app, submission_key="b" * 32)).status_code == 302
    assert count(app, Response) == 2


def test_open_links_of_invitation_and_class_surveys_say_how_to_answer_instead(app, client, trust):
    assert "This survey is by invitation" in page_text(client.get(f"/s/{trust['staff_link']}"))
    assert "Your teacher will show a code on the board" in page_text(client.get(f"/s/{trust['pupil_link']}"))
    client.post(f"/s/{trust['staff_link']}", data=parent_answers(app))
    assert count(client.application, Response) == 0


# Invitations

def make_tokens(app, survey_id, n=3):
    with app.app_context():
        link = db.session.get(Survey, survey_id).schools[0]
        return collection.generate_tokens(link, n)


def staff_answers(**changes):
    data = {"q_role_group": "1", "q_demands_1": "3", "submission_key": "s" * 32}
    data.update(changes)
    return data


def test_an_invitation_works_once_and_then_says_it_has_been_used(app, client, trust):
    [token] = make_tokens(app, trust["tokens"], 1)
    page = client.get(f"/i/{token}")
    assert page.status_code == 200 and "Staff survey" in page_text(page)
    first = client.post(f"/i/{token}", data=staff_answers())
    assert first.status_code == 302
    # A double click or retry of the same submission: the same thank-you, one response.
    assert client.post(f"/i/{token}", data=staff_answers()).status_code == 302
    assert count(app, Response) == 1
    used = page_text(client.get(f"/i/{token}"))
    assert "This invitation has already been used" in used
    # A different form (another tab) with the spent invitation stores nothing.
    other = client.post(f"/i/{token}", data=staff_answers(submission_key="t" * 32))
    assert "This invitation has already been used" in page_text(other)
    assert count(app, Response) == 1


@pytest.mark.parametrize("token", ["not-a-real-invitation", "x" * 200])
def test_an_unknown_invitation_gets_a_plain_page(client, trust, token):
    response = client.get(f"/i/{token}")
    assert response.status_code == 404
    assert "We cannot find this invitation" in page_text(response)


def test_a_spent_invitation_cannot_be_joined_to_its_response(app, client, trust):
    [token] = make_tokens(app, trust["tokens"], 1)
    client.post(f"/i/{token}", data=staff_answers())
    with app.app_context():
        inspector = sa.inspect(db.engine)
        # No column, key or foreign key joins the two tables.
        assert {c["name"] for c in inspector.get_columns("invitation_token")} == {
            "id", "survey_school_id", "token_hash", "used"}
        assert {c["name"] for c in inspector.get_columns("response")} == {
            "id", "survey_id", "school_id", "submitted_on", "idempotency_key", "status",
            "respondent_name"}
        assert not [fk for fk in inspector.get_foreign_keys("response") if fk["referred_table"] == "invitation_token"]
        [row] = db.session.execute(sa.select(InvitationToken.__table__)).all()
        [response] = db.session.execute(sa.select(Response.__table__)).all()
        assert row.used is True and token not in repr(row)
        assert row.token_hash not in tuple(response)
        assert response.id not in tuple(row) and response.idempotency_key not in tuple(row)
        assert response.respondent_name is None  # the survey is not named
        assert "s" * 32 not in repr(response)  # only a hash of the page's key
        assert count(app, PartialResponse) == 0


def test_invitations_download_as_csv_of_links_and_as_pdf_letters(app, client, auth, trust):
    auth.sign_in("head@first.example")
    url = f"/surveys/{trust['tokens']}/schools/{trust['first']}/invitations"
    sheet = client.post(url, data={"count": "4", "format": "csv"})
    assert sheet.mimetype == "text/csv" and "attachment" in sheet.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(sheet.data.decode("utf-8-sig"))))
    assert rows[0] == ["Invitation", "School", "Link"] and len(rows) == 5
    assert client.get(rows[1][2].replace("http://localhost", "")).status_code == 200
    letters = client.post(url, data={"count": "2", "format": "pdf"})
    assert letters.mimetype == "application/pdf" and letters.data.startswith(b"%PDF")
    with app.app_context():
        hashes = db.session.scalars(sa.select(InvitationToken.token_hash)).all()
        assert len(hashes) == 6 and not any(rows[1][2].endswith(h) for h in hashes)


@pytest.mark.parametrize("count_given", ["0", "1001", "abc", ""])
def test_a_bad_number_of_invitations_makes_none(app, client, auth, trust, count_given):
    auth.sign_in("head@first.example")
    url = f"/surveys/{trust['tokens']}/schools/{trust['first']}/invitations"
    page = client.post(url, data={"count": count_given, "format": "csv"}, follow_redirects=True)
    assert "govuk-error-summary" in page_text(page)
    assert count(app, InvitationToken) == 0


def test_a_head_cannot_make_invitations_for_another_school(client, auth, trust):
    auth.sign_in("head@first.example")
    url = f"/surveys/{trust['tokens']}/schools/{trust['second']}/invitations"
    assert client.post(url, data={"count": "2", "format": "csv"}).status_code == 404


# Autosave and resume

def autosave(client, url, key, answers):
    return client.post(url, data=json.dumps({"submission_key": key, "answers": answers}),
                       content_type="application/json")


def test_autosaved_answers_come_back_on_the_same_device_and_go_when_sent(app, client, trust):
    key = "r" * 32
    saved = autosave(client, f"/s/{trust['link']}/autosave", key,
                     {"happy": ["2"], "comments": "More clubs please", "nonsense": ["1"]})
    assert saved.status_code == 200 and saved.json == {"saved": True}
    page = page_text(client.get(f"/s/{trust['link']}"))
    assert "Welcome back" in page and "More clubs please" in page
    assert 'name="q_happy" type="radio" value="2" checked' in page
    assert f'value="{key}"' in page
    with app.app_context():
        [partial] = db.session.scalars(sa.select(PartialResponse)).all()
        assert partial.answers == {"happy": [2], "comments": "More clubs please"}
    assert count(app, Answer) == 0  # half-finished answers never reach the counts
    client.post(f"/s/{trust['link']}", data=parent_answers(app, submission_key=key))
    assert count(app, PartialResponse) == 0 and count(app, Response) == 1
    # A late autosave after sending brings nothing back.
    autosave(client, f"/s/{trust['link']}/autosave", key, {"happy": ["1"]})
    assert count(app, PartialResponse) == 0


def test_another_device_does_not_see_autosaved_answers_of_an_open_link(app, client, trust):
    autosave(client, f"/s/{trust['link']}/autosave", "r" * 32, {"comments": "Private note"})
    other = app.test_client()
    assert "Private note" not in page_text(other.get(f"/s/{trust['link']}"))


@pytest.mark.parametrize("body", [
    "not json", json.dumps([1, 2]), json.dumps({"submission_key": "short", "answers": {}}),
    json.dumps({"submission_key": "k" * 32, "answers": "everything"}),
])
def test_bad_autosaves_are_refused_with_a_message_and_store_nothing(app, client, trust, body):
    response = client.post(f"/s/{trust['link']}/autosave", data=body, content_type="application/json")
    assert response.status_code in (400, 409) and response.json["message"]
    assert count(app, PartialResponse) == 0


def test_hostile_autosaved_values_are_cleaned(app, client, trust):
    autosave(client, f"/s/{trust['link']}/autosave", "k" * 32, {
        "happy": ["99"], "safe": ["abc", "4"], "comments": "x" * 5000, "recommend": [{"a": 1}]})
    with app.app_context():
        [partial] = db.session.scalars(sa.select(PartialResponse)).all()
        assert partial.answers == {"safe": [4], "comments": "x" * 2000}


def test_autosave_on_a_closed_survey_is_refused(app, client, trust):
    with app.app_context():
        survey = db.session.get(Survey, trust["open"])
        survey.opens_on, survey.closes_on = date(2025, 1, 6), date(2025, 2, 7)
        db.session.commit()
    response = autosave(client, f"/s/{trust['link']}/autosave", "k" * 32, {"happy": ["4"]})
    assert response.status_code == 409 and "closed" in response.json["message"]


def test_an_invitation_resumes_on_another_device_by_its_link(app, client, trust):
    [token] = make_tokens(app, trust["tokens"], 1)
    assert autosave(client, f"/i/{token}/autosave", "d" * 32, {"role_group": ["2"]}).status_code == 200
    laptop = app.test_client()
    page = page_text(laptop.get(f"/i/{token}"))
    assert "Welcome back" in page and 'name="q_role_group" type="radio" value="2" checked' in page
    laptop.post(f"/i/{token}", data=staff_answers(submission_key="e" * 32))
    assert count(app, PartialResponse) == 0 and count(app, Response) == 1


def test_long_surveys_are_marked_for_one_section_a_page(client, trust):
    [token] = make_tokens(client.application, trust["tokens"], 1)
    assert "data-paged" in page_text(client.get(f"/i/{token}"))
    assert "data-paged" not in page_text(client.get(f"/s/{trust['link']}"))


# Pupils in class

def start_session(client, auth, trust, email="teacher@first.example", minutes="45"):
    auth.sign_in(email)
    return client.post(f"/surveys/{trust['pupils']}/schools/{trust['first']}/class-sessions",
                       data={"group_name": "Year 2 Willow", "minutes": minutes})


def session_row(app):
    with app.app_context():
        return db.session.scalars(sa.select(ClassSession)).one()


def test_a_teacher_opens_a_session_and_pupils_join_and_answer_one_after_another(app, client, auth, trust):
    started = start_session(client, auth, trust)
    board = page_text(client.get(started.headers["Location"]))
    session = session_row(app)
    assert session.join_code in board and "Year 2 Willow" in board
    assert len(session.join_code) == 6 and not set(session.join_code) & set("O0I1LSB5Z28")
    assert client.get(f"/class-sessions/{session.id}/qr.svg").data.startswith(b"<svg")

    tablet = app.test_client()
    typed = " ".join(session.join_code.lower())  # a pupil types it in lower case with spaces
    joined = tablet.post("/join", data={"code": typed})
    assert joined.headers["Location"].endswith(f"/join/{session.join_code}")
    for pupil in ("1", "2"):
        page = tablet.get(joined.headers["Location"])
        assert page.headers["Cache-Control"] == "no-store"
        assert "sv-faces" in page_text(page) and "data-read-aloud" in page_text(page)
        done = tablet.post(joined.headers["Location"], data={"q_happy": "3", "submission_key": pupil * 32})
        assert done.headers["Location"].endswith(f"/join?done={session.join_code}")
        after = page_text(tablet.get(done.headers["Location"]))
        assert "Please give the tablet to the next person" in after and 'value="3" checked' not in after

    status = client.get(f"/class-sessions/{session.id}/status.json").json
    assert status == {"joins": 2, "completions": 2, "open": True}
    assert count(app, Response) == 2


def test_a_closed_or_finished_session_tells_pupils_to_ask_their_teacher(app, client, auth, trust):
    start_session(client, auth, trust)
    session = session_row(app)
    client.post(f"/class-sessions/{session.id}/close")
    tablet = app.test_client()
    assert "This class session has ended" in page_text(tablet.post("/join", data={"code": session.join_code}))
    ended = tablet.post(f"/join/{session.join_code}", data={"q_happy": "3", "submission_key": "p" * 32})
    assert "This class session has ended" in page_text(ended)
    assert count(app, Response) == 0


def test_a_session_past_its_end_time_is_closed(app, client, auth, trust, monkeypatch):
    start_session(client, auth, trust, minutes="30")
    session = session_row(app)
    later = clock.utcnow() + timedelta(minutes=31)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    assert "This class session has ended" in page_text(app.test_client().get(f"/join/{session.join_code}"))


@pytest.mark.parametrize("code", ["", "ABC", "OOOOOO", "ACDEFG", "<script>"])
def test_a_wrong_code_says_to_check_the_board(client, trust, code):
    response = client.post("/join", data={"code": code})
    assert response.status_code in (200, 404)
    assert "govuk-error-summary" in page_text(response)


def test_teachers_only_see_sessions_of_their_own_school(app, client, auth, trust):
    start_session(client, auth, trust)
    session = session_row(app)
    auth.sign_out()
    auth.sign_in("teacher@second.example")
    assert client.get(f"/class-sessions/{session.id}").status_code == 404
    assert client.get(f"/class-sessions/{session.id}/status.json").status_code == 404
    other = client.post(f"/surveys/{trust['pupils']}/schools/{trust['first']}/class-sessions",
                        data={"group_name": "Year 2", "minutes": "45"})
    assert other.status_code == 404


def test_the_teacher_sees_counts_only_never_answers(app, client, auth, trust):
    start_session(client, auth, trust)
    session = session_row(app)
    tablet = app.test_client()
    tablet.get(f"/join/{session.join_code}")
    tablet.post(f"/join/{session.join_code}", data={"q_happy": "1", "submission_key": "q" * 32})
    board = page_text(client.get(f"/class-sessions/{session.id}"))
    assert "Not happy" not in board
    assert set(client.get(f"/class-sessions/{session.id}/status.json").json) == {"joins", "completions", "open"}


def test_a_parent_survey_cannot_have_class_sessions(app, client, auth, trust):
    auth.sign_in("head@first.example")
    page = client.post(f"/surveys/{trust['open']}/schools/{trust['first']}/class-sessions",
                       data={"group_name": "Year 2", "minutes": "45"}, follow_redirects=True)
    assert "not answered in class sessions" in page_text(page)
    assert count(app, ClassSession) == 0
