"""The annual schedule: generated from the template, edited, warned on fatigue, exported as .ics."""

from collections import Counter
from datetime import date, timedelta

import icalendar
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import ScheduleEvent, School, Survey, Trust, User
from app.schedule import services
from app.services import Conflict
from tests.categorisation.conftest import quick_user
from tests.builders import make_school, make_trust, parent_instrument

YEAR = date.today().year + 1  # a year still to come, so survey windows can create surveys


@pytest.fixture
def setup(app):
    with app.app_context():
        trust = make_trust()
        oak = make_school(trust, name="Oak Primary School", urn="100001")
        make_school(trust, name="Elm Primary School", urn="100002")
        quick_user("admin@example.org", "trust_admin")
        quick_user("cio@example.org", "cio")
        quick_user("head@oak.example.org", "head", school=oak)
        parent_instrument()
        db.session.commit()
        return {"oak_id": oak.id}


def _generate():
    trust = db.session.scalar(sa.select(Trust))
    return services.generate_year(db.session.scalar(sa.select(User)), trust, YEAR)


def test_a_generated_year_runs_september_to_july_with_every_kind_of_event(app, setup):
    with app.app_context():
        made = _generate()
        kinds = Counter(e.kind for e in made)
        assert kinds["review"] == 2 and kinds["wellbeing_meeting"] == 3 and kinds["appraisal"] == 3
        per_school = Counter((e.kind, e.school_id) for e in made if e.school_id)
        assert set(per_school.values()) == {3}  # three link visits and three SGC overviews each
        assert kinds["link_governor_visit"] == 6 and kinds["sgc_overview"] == 6
        assert {(e.audience, e.term) for e in made if e.kind == "survey_window"} >= {
            ("parent", "autumn"), ("staff", "spring"), ("pupil_ks1", "summer")}
        assert min(e.starts_on for e in made) >= date(YEAR, 9, 1)
        assert max(e.ends_on for e in made) <= date(YEAR + 1, 7, 31)
        assert all(e.starts_on.weekday() < 5 for e in made)
        with pytest.raises(Conflict, match="already exists"):
            _generate()


def test_the_ics_export_parses_with_stable_uids_and_exclusive_end_dates(app, client, auth, setup):
    with app.app_context():
        _generate()
        window = db.session.scalar(sa.select(ScheduleEvent).where(ScheduleEvent.kind == "survey_window"))
        uid, starts, ends = window.uid, window.starts_on, window.ends_on
    auth.sign_in("cio@example.org")
    response = client.get(f"/schedule/calendar.ics?year={YEAR}")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    body = response.get_data()
    assert body.startswith(b"BEGIN:VCALENDAR\r\n") and b"\r\nEND:VCALENDAR\r\n" in body
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))  # RFC 5545 line folding
    calendar = icalendar.Calendar.from_ical(body)
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert len(events) == 2 + 3 + 3 + 12 + 8  # reviews, wellbeing, appraisals, 2 schools x 6, windows
    event = events[uid]
    assert event.decoded("DTSTART") == starts and event.decoded("DTEND") == ends + timedelta(days=1)
    assert "DTSTAMP" in event


def test_a_head_sees_and_exports_their_own_school_and_trust_wide_events_only(app, client, auth, setup):
    with app.app_context():
        _generate()
        elm = db.session.scalar(sa.select(School).where(School.name.startswith("Elm")))
        elm_id = elm.id
    auth.sign_in("head@oak.example.org")
    page = client.get(f"/schedule/?year={YEAR}").get_data(as_text=True)
    assert "Oak Primary School" in page and "Elm Primary School" not in page and "Change" not in page
    calendar = icalendar.Calendar.from_ical(client.get(f"/schedule/calendar.ics?year={YEAR}").get_data())
    assert not any("Elm" in str(e["SUMMARY"]) for e in calendar.walk("VEVENT"))
    assert client.get(f"/schedule/?school_id={elm_id}").status_code == 404
    assert client.post("/schedule/generate", data={"year": YEAR + 1}).status_code == 404


def test_editing_an_event_moves_it_and_raises_its_sequence(app, client, auth, setup):
    with app.app_context():
        _generate()
        event_id = db.session.scalar(sa.select(ScheduleEvent.id).where(ScheduleEvent.kind == "review"))
    auth.sign_in("cio@example.org")
    bad = client.post(f"/schedule/events/{event_id}/edit",
                      data={"title": "Review", "starts_on": f"{YEAR}-11-10", "ends_on": f"{YEAR}-11-01"})
    assert bad.status_code == 400 and "on or after the start date" in bad.get_data(as_text=True)
    ok = client.post(f"/schedule/events/{event_id}/edit",
                     data={"title": "Annual categorisation (moved)", "starts_on": f"{YEAR}-11-10", "ends_on": ""})
    assert ok.status_code == 302
    with app.app_context():
        event = db.session.get(ScheduleEvent, event_id)
        assert (event.title, event.starts_on, event.ends_on, event.sequence) == (
            "Annual categorisation (moved)", date(YEAR, 11, 10), date(YEAR, 11, 10), 1)


def test_too_many_surveys_for_one_audience_in_a_term_is_warned(app, client, auth, setup):
    with app.app_context():
        _generate()
        trust = db.session.scalar(sa.select(Trust))
        assert services.fatigue_warnings(trust, YEAR) == []
        for number in (1, 9):
            db.session.add(ScheduleEvent(trust_id=trust.id, school_id=setup["oak_id"], academic_year=YEAR,
                                         term="autumn", kind="survey_window", audience="parent",
                                         title="Extra parent survey", starts_on=date(YEAR, 9, number),
                                         ends_on=date(YEAR, 9, number + 3)))
        db.session.commit()
        assert services.fatigue_warnings(trust, YEAR) == [
            "Oak Primary School: parents and carers would be asked 3 surveys in the autumn term (the limit is 2)."]
    auth.sign_in("cio@example.org")
    assert "Survey fatigue" in client.get(f"/schedule/?year={YEAR}").get_data(as_text=True)


def test_a_survey_window_creates_its_survey_for_every_school_once(app, client, auth, setup):
    with app.app_context():
        _generate()
        window = db.session.scalar(sa.select(ScheduleEvent).where(
            ScheduleEvent.kind == "survey_window", ScheduleEvent.audience == "parent"))
        window_id, opens, closes = window.id, window.starts_on, window.ends_on
    auth.sign_in("admin@example.org")
    response = client.post(f"/schedule/events/{window_id}/survey")
    assert response.status_code == 302 and "/surveys/" in response.location
    again = client.post(f"/schedule/events/{window_id}/survey", follow_redirects=True)
    assert "already has its survey" in again.get_data(as_text=True)
    with app.app_context():
        [survey] = db.session.scalars(sa.select(Survey)).all()
        assert (survey.opens_on, survey.closes_on, len(survey.schools)) == (opens, closes, 2)
        assert survey.status(date.today()) == "scheduled"
        assert db.session.get(ScheduleEvent, window_id).survey_id == survey.id
