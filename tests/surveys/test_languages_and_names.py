"""Welsh and English respondent pages, named surveys, join counts and unfinished answers."""

import io
import zipfile
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app import clock
from app.extensions import db
from app.models import Answer, ClassSession, CommentFlag, PartialResponse, Question, Response, Survey
from app.operations import run_retention
from tests.builders import (
    builtin_instrument, link_of, make_school, make_survey, make_trust, make_user,
)
from tests.surveys.test_routes import full_answers

NAME = "Bethan Quillfeather"


@pytest.fixture
def trust(app):
    """A school with a head, DSL, teacher and trust admin; anonymous, confidential and named
    parent surveys; a KS1 survey in class."""
    with app.app_context():
        trust = make_trust()
        school = make_school(trust, "Ysgol Gynradd First")
        make_user("admin@trust.example", "trust_admin")
        make_user("head@first.example", "head", school)
        make_user("dsl@first.example", "dsl", school)
        make_user("teacher@first.example", "teacher", school)
        surveys = {}
        for anonymity in ("anonymous", "confidential", "named"):
            survey = make_survey([school], title=f"Parent survey ({anonymity})")
            survey.anonymity = anonymity
            surveys[anonymity] = link_of(survey, school)
        pupils = make_survey([school], title="Pupil survey", instrument=builtin_instrument("pupil_ks1"))
        pupils.access_mode = "class_session"
        db.session.commit()
        return {"school": school.id, "pupils": pupils.id, **surveys}


def html(response):
    return response.data.decode()


def stored(app):
    with app.app_context():
        return db.session.scalars(sa.select(Response)).all()


# Welsh and English

def test_lang_cy_shows_the_page_in_welsh_with_the_html_lang_and_remembers_it(client, trust):
    page = html(client.get(f"/s/{trust['anonymous']}?lang=cy"))
    assert '<html lang="cy"' in page
    assert "Anfon fy atebion" in page and "Send my answers" not in page
    assert "Neidio i'r prif gynnwys" in page
    # The switcher names each language in itself and links to this page in the other one.
    assert 'href="/s/{}?lang=en" hreflang="en" lang="en"'.format(trust["anonymous"]) in page
    assert '<span aria-current="true" lang="cy">Cymraeg</span>' in page
    # Remembered for the next page without ?lang=, until English is chosen.
    assert '<html lang="cy"' in html(client.get("/join"))
    english = html(client.get(f"/s/{trust['anonymous']}?lang=en"))
    assert '<html lang="en"' in english and "Send my answers" in english
    assert '<html lang="en"' in html(client.get("/join"))


def test_an_unknown_language_is_ignored(client, trust):
    page = html(client.get(f"/s/{trust['anonymous']}?lang=xx"))
    assert '<html lang="en"' in page and "Send my answers" in page


def test_question_translations_show_in_welsh_and_fall_back_to_english_per_question(app, client, trust):
    with app.app_context():
        question = db.session.scalar(sa.select(Question).join(Survey, Survey.instrument_id == Question.instrument_id)
                                     .where(Survey.title == "Parent survey (anonymous)", Question.key == "safe"))
        question.translations = None  # this one has no Welsh
        db.session.commit()
    page = html(client.get(f"/s/{trust['anonymous']}?lang=cy"))
    assert "Mae fy mhlentyn yn hapus yn yr ysgol hon." in page
    assert "My child is happy at this school." not in page
    # The untranslated question is shown in English, marked as English for screen readers.
    assert '<span lang="en">My child feels safe at this school.</span>' in page
    # The standard answer labels are in Welsh too.
    assert "Cytuno&#39;n gryf" in page  # a label, escaped by the radios macro
    assert "Blwyddyn 3" in page and "Strongly agree" not in page
    english = html(client.get(f"/s/{trust['anonymous']}?lang=en"))
    assert "My child is happy at this school." in english and "Mae fy mhlentyn" not in english


def test_a_welsh_page_with_a_missing_answer_says_so_in_welsh_and_keeps_the_answers(app, client, trust):
    data = full_answers(app, q_comments="Diolch yn fawr")
    del data["q_happy"]  # required
    response = client.post(f"/s/{trust['anonymous']}?lang=cy", data=data)
    assert response.status_code == 200
    page = html(response)
    assert "Mae problem wedi codi" in page
    assert "Atebwch y cwestiwn: Mae fy mhlentyn yn hapus yn yr ysgol hon." in page
    assert "Diolch yn fawr" in page and "<title>Gwall:" in page
    assert stored(app) == []


def test_the_thank_you_and_closed_pages_are_in_welsh_with_welsh_dates(app, client, trust):
    client.get("/join?lang=cy")
    assert client.post(f"/s/{trust['anonymous']}", data=full_answers(app)).status_code == 302
    thanks = html(client.get(f"/s/{trust['anonymous']}/thank-you"))
    assert "Mae eich atebion wedi cael eu hanfon" in thanks
    with app.app_context():
        survey = db.session.scalar(sa.select(Survey).where(Survey.title == "Parent survey (anonymous)"))
        survey.opens_on, survey.closes_on = date(2026, 1, 5), date(2026, 1, 30)
        db.session.commit()
    closed = html(client.get(f"/s/{trust['anonymous']}"))
    assert "Mae'r arolwg hwn wedi cau" in closed
    assert "30 Ionawr 2026" in closed


def test_pupils_get_welsh_faces_read_aloud_words_and_speech_language(client, trust, auth):
    auth.sign_in("teacher@first.example")
    client.post(f"/surveys/{trust['pupils']}/schools/{trust['school']}/class-sessions",
                data={"group_name": "Blwyddyn 1", "minutes": "45"})
    auth.sign_out()
    tablet_code = db_join_code(client.application)
    page = html(client.get(f"/join/{tablet_code}?lang=cy"))
    assert "Wyt ti&#39;n hapus yn yr ysgol?" in page  # question text from the database, escaped
    assert "Ddim yn hapus" in page and "Hapus" in page
    assert 'data-text-read-aloud="Darllen i mi"' in page and 'data-read-aloud-lang="cy-GB"' in page
    assert 'data-text-next="Adran nesaf"' in page and "Dw i wedi gorffen" in page


def db_join_code(app):
    with app.app_context():
        return db.session.scalar(sa.select(ClassSession.join_code))


def test_signed_in_staff_pages_stay_in_english_after_choosing_welsh(client, auth, trust):
    client.get("/join?lang=cy")
    assert '<html lang="en"' in html(client.get("/sign-in"))  # its words are English
    missing = html(client.get("/no-such-page"))
    assert '<html lang="cy"' in missing and "Heb ddod o hyd i'r dudalen" in missing
    auth.sign_in("head@first.example")
    page = html(client.get("/surveys"))
    assert '<html lang="en"' in page and "Skip to main content" in page
    # A respondent page they open still follows the choice, so they can check the Welsh.
    assert '<html lang="cy"' in html(client.get(f"/s/{trust['anonymous']}"))


# Named, confidential and anonymous

def test_only_a_named_survey_asks_for_a_name(client, trust):
    assert 'name="respondent_name"' in html(client.get(f"/s/{trust['named']}"))
    for anonymity in ("anonymous", "confidential"):
        assert 'name="respondent_name"' not in html(client.get(f"/s/{trust[anonymity]}"))


@pytest.mark.parametrize("anonymity, promise, not_said", [
    ("anonymous", "Your answers are anonymous.", "asks for your name"),
    ("confidential", "Your answers are confidential.", "anonymous"),
    ("named", "This survey asks for your name, but you do not have to give it.", "anonymous"),
])
def test_each_survey_page_promises_what_its_anonymity_setting_keeps(client, trust, anonymity,
                                                                      promise, not_said):
    page = html(client.get(f"/s/{trust[anonymity]}"))
    assert promise in page
    assert not_said not in page.lower()


def test_a_named_survey_stores_the_name_given_and_nothing_else_about_the_person(app, client, trust):
    response = client.post(f"/s/{trust['named']}", data=full_answers(app, respondent_name=f"  {NAME} "),
                           environ_base={"REMOTE_ADDR": "203.0.113.9"}, headers={"User-Agent": "Phone/1.0"})
    assert response.status_code == 302
    [row] = stored(app)
    assert row.respondent_name == NAME and row.submitted_on == date.today()
    with app.app_context():
        raw = db.session.execute(sa.select(Response.__table__)).one()
        assert "203.0.113.9" not in repr(raw) and "Phone" not in repr(raw)


def test_a_named_survey_can_be_answered_without_a_name(app, client, trust):
    assert client.post(f"/s/{trust['named']}", data=full_answers(app, respondent_name="")).status_code == 302
    [row] = stored(app)
    assert row.respondent_name is None


@pytest.mark.parametrize("anonymity", ["anonymous", "confidential"])
def test_anonymous_and_confidential_surveys_store_no_name_even_if_one_is_sent(app, client, trust, anonymity):
    response = client.post(f"/s/{trust[anonymity]}", data=full_answers(app, respondent_name=NAME))
    assert response.status_code == 302
    [row] = stored(app)
    assert row.respondent_name is None and row.submitted_on == date.today()
    with app.app_context():
        assert NAME not in repr(db.session.execute(sa.select(Response.__table__)).all())


def test_a_name_that_is_too_long_is_refused_and_the_answers_are_kept(app, client, trust):
    response = client.post(f"/s/{trust['named']}",
                           data=full_answers(app, respondent_name="x" * 101, q_comments="Keep this"))
    assert response.status_code == 200
    page = html(response)
    assert "Your name must be 100 characters or fewer" in page and "Keep this" in page
    assert stored(app) == []


def test_the_name_is_shown_to_the_dsl_beside_a_flagged_comment_and_nowhere_else(app, client, auth, trust):
    disclosure = "My child says another adult hit me and is scared to go home"
    client.post(f"/s/{trust['named']}", data=full_answers(app, respondent_name=NAME, q_comments=disclosure))
    with app.app_context():
        flag_id = db.session.scalar(sa.select(CommentFlag.id))
    assert flag_id is not None
    auth.sign_in("dsl@first.example")
    flag_page = html(client.get(f"/safeguarding/{flag_id}"))
    assert NAME in flag_page and "gave their name" in flag_page
    auth.sign_out()
    auth.sign_in("admin@trust.example")
    backup = client.get("/export/backup.xlsx")
    assert backup.status_code == 200
    with zipfile.ZipFile(io.BytesIO(backup.data)) as book:
        assert not any(NAME.encode() in book.read(name) for name in book.namelist())
    for path in (f"/schools/{trust['school']}/comments", "/results", f"/schools/{trust['school']}"):
        assert NAME not in html(client.get(path))


def test_an_anonymous_flag_says_the_answer_was_anonymous(app, client, auth, trust):
    client.post(f"/s/{trust['anonymous']}",
                data=full_answers(app, q_comments="Someone will hit me if I tell"))
    with app.app_context():
        flag_id = db.session.scalar(sa.select(CommentFlag.id))
    auth.sign_in("dsl@first.example")
    assert "The answer was anonymous." in html(client.get(f"/safeguarding/{flag_id}"))


# Joins on the teacher's screen

def joins(app):
    with app.app_context():
        return db.session.scalar(sa.select(ClassSession.joins))


def test_refreshing_the_class_page_does_not_count_a_second_join(app, client, auth, trust):
    auth.sign_in("teacher@first.example")
    client.post(f"/surveys/{trust['pupils']}/schools/{trust['school']}/class-sessions",
                data={"group_name": "Year 1 Ash", "minutes": "45"})
    code = db_join_code(app)
    tablet = app.test_client()
    tablet.post("/join", data={"code": code})
    for _ in range(3):  # the pupil refreshes
        assert tablet.get(f"/join/{code}").status_code == 200
    assert joins(app) == 1
    tablet.post(f"/join/{code}", data={"q_happy": "3", "submission_key": "p" * 32})
    tablet.get(f"/join/{code}")  # the next pupil on the same tablet
    tablet.get(f"/join/{code}")
    assert joins(app) == 2
    tablet.post("/join", data={"code": code})  # typing the code again is a new pupil
    tablet.get(f"/join/{code}")
    assert joins(app) == 3
    other = app.test_client()  # another tablet, by QR code
    other.get(f"/join/{code}")
    assert joins(app) == 4
    status = client.get(f"/class-sessions/{db_session_id(app)}/status.json").json
    assert status["joins"] == 4 and status["completions"] == 1


def db_session_id(app):
    with app.app_context():
        return db.session.scalar(sa.select(ClassSession.id))


# Unfinished answers

def test_retention_deletes_unfinished_answers_a_week_after_the_survey_closes(app, client, trust):
    key = "u" * 32
    saved = client.post(f"/s/{trust['anonymous']}/autosave",
                        json={"submission_key": key, "answers": {"happy": [4]}})
    assert saved.status_code == 200
    with app.app_context():
        survey = db.session.scalar(sa.select(Survey).where(Survey.title == "Parent survey (anonymous)"))
        closes_on = survey.closes_on
    with app.app_context():
        run_retention(closes_on + timedelta(days=7))  # still within the grace
        assert db.session.scalar(sa.select(sa.func.count(PartialResponse.id))) == 1
    with app.app_context():
        deleted = run_retention(closes_on + timedelta(days=8))
        assert list(deleted.values())[0]["unfinished"] == 1
        assert db.session.scalar(sa.select(sa.func.count(PartialResponse.id))) == 0


def test_retention_keeps_unfinished_answers_of_open_surveys(app, client, trust):
    client.post(f"/s/{trust['anonymous']}/autosave",
                json={"submission_key": "o" * 32, "answers": {"happy": [4]}})
    with app.app_context():
        run_retention(clock.today())
        assert db.session.scalar(sa.select(sa.func.count(PartialResponse.id))) == 1


def test_a_nul_character_in_an_answer_or_the_address_is_dropped(app, client, trust):
    answers = full_answers(app, respondent_name="Bethan\x00", q_comments="Lovely\x00 school")
    response = client.post(f"/s/{trust['named']}?lang=\x00cy", data=answers)
    assert response.status_code == 302
    [row] = stored(app)
    assert row.respondent_name == "Bethan"
    with app.app_context():
        texts = db.session.scalars(sa.select(Answer.text).where(Answer.text.is_not(None))).all()
    assert texts == ["Lovely school"]
