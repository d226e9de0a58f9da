"""Schedule settings in the browser, calendar subscriptions by secret URL, what is due, window surveys."""

from datetime import date, timedelta

import icalendar
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, CalendarFeed, ScheduleEvent, ScheduleSettings, School, Survey, Trust, User
from app.models.instruments import AUDIENCES
from app.schedule import services
from tests.builders import make_school, make_survey, make_trust
from tests.categorisation.conftest import quick_user
from tests.schedule.test_schedule import YEAR, _generate, setup  # noqa: F401  (setup is a fixture)


def _settings_form(**changes):
    template = services.DEFAULT_TEMPLATE
    form = {"max_surveys_per_term": "2", "sgc_week": "11", "link_visit_week": "7", "wellbeing_week": "9"}
    for term, (month, day) in template["term_starts"].items():
        form[f"term_start-{term}-day"], form[f"term_start-{term}-month"] = str(day), str(month)
    for audience in AUDIENCES:
        form[f"survey_week-{audience}"] = str(template["survey_week"][audience])
        form[f"terms-{audience}"] = template["survey_windows"][audience]
    for index, (term, number, _) in enumerate(template["reviews"]):
        form[f"review_term-{index}"], form[f"review_week-{index}"] = term, str(number)
    for term, number, _ in template["appraisals"]:
        form[f"appraisal_week-{term}"] = str(number)
    return form | changes


def test_the_cio_saves_the_template_and_limit_and_the_next_year_follows_them(app, client, auth, setup):
    auth.sign_in("cio@example.org")
    page = client.get("/schedule/settings").get_data(as_text=True)
    assert 'name="max_surveys_per_term"' in page and 'value="2"' in page
    saved = client.post("/schedule/settings", data=_settings_form(
        max_surveys_per_term="1", **{"terms-parent": ["spring"], "survey_week-parent": "3", "sgc_week": "10"}))
    assert saved.status_code == 302
    with app.app_context():
        settings = db.session.scalar(sa.select(ScheduleSettings))
        assert settings.max_surveys_per_term == 1
        assert settings.template["survey_windows"]["parent"] == ["spring"]
        assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "schedule_settings_changed"))
        made = _generate()
        parent = [e for e in made if e.audience == "parent"]
        assert [(e.term, e.starts_on) for e in parent] == [("spring", services.week(YEAR, "spring", 3))]
        sgc = [e for e in made if e.kind == "sgc_overview" and e.term == "autumn"]
        assert min(e.starts_on for e in sgc) == services.week(YEAR, "autumn", 10)
        # A second staff survey in the autumn now breaks the limit of one.
        trust = db.session.scalar(sa.select(Trust))
        db.session.add(ScheduleEvent(trust_id=trust.id, academic_year=YEAR, term="autumn", kind="survey_window",
                                     audience="staff", title="Pulse", starts_on=date(YEAR, 10, 1),
                                     ends_on=date(YEAR, 10, 3)))
        db.session.commit()
        assert services.fatigue_warnings(trust, YEAR)[0].endswith("in the autumn term (the limit is 1).")


@pytest.mark.parametrize("changes, field, message", [
    ({"max_surveys_per_term": "0"}, "max_surveys_per_term", "from 1 to 6"),
    ({"max_surveys_per_term": "many"}, "max_surveys_per_term", "from 1 to 6"),
    ({"max_surveys_per_term": "9" * 5000}, "max_surveys_per_term", "from 1 to 6"),
    ({"survey_week-staff": "11"}, "survey_week-staff", "from 1 to 10"),
    ({"terms-parent": ["winter"]}, "terms-parent", "Choose terms from the list"),
    ({"review_term-0": ""}, "review_term-0", "Choose the term"),
    ({"review_term-1": "autumn", "review_week-1": "8"}, "review_week-1", "different weeks"),
    ({"sgc_week": "-1"}, "sgc_week", "from 1 to 12"),
    ({"appraisal_week-summer": "1.5"}, "appraisal_week-summer", "from 1 to 12"),
    ({"term_start-spring-day": "31", "term_start-spring-month": "2"}, "term_start-spring-day",
     "must be a real date"),
    ({"term_start-autumn-month": "7"}, "term_start-autumn-day", "starts in August, September or October"),
    ({"term_start-summer-day": ""}, "term_start-summer-day", "from 1 to 31"),
    ({"term_start-summer-month": "13"}, "term_start-summer-month", "from 1 to 12"),
])
def test_bad_settings_are_refused_field_by_field_and_nothing_is_saved(app, client, auth, setup, changes,
                                                                      field, message):
    auth.sign_in("admin@example.org")
    response = client.post("/schedule/settings", data=_settings_form(**changes))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page and f'href="#{field}"' in page
    assert "<title>Error:" in page
    with app.app_context():
        assert db.session.scalar(sa.select(ScheduleSettings)) is None


def test_only_the_cio_and_trust_admin_reach_the_settings(client, auth, setup):
    auth.sign_in("head@oak.example.org")
    assert client.get("/schedule/settings").status_code == 404
    assert client.post("/schedule/settings", data=_settings_form()).status_code == 404


def _secret_of(page):
    marker = 'id="feed-url" type="text" value="'
    start = page.index(marker) + len(marker)
    url = page[start:page.index('"', start)]
    return url.rsplit("/", 1)[1].removesuffix(".ics")


def test_a_subscription_url_reads_the_users_own_calendar_without_signing_in(app, client, auth, setup):
    with app.app_context():
        _generate()
    auth.sign_in("head@oak.example.org")
    made = client.post("/schedule/subscribe")
    assert made.headers["Cache-Control"] == "no-store"
    secret = _secret_of(made.get_data(as_text=True))
    with app.app_context():
        feed = db.session.scalar(sa.select(CalendarFeed))
        assert secret not in feed.token_hash and len(feed.token_hash) == 64  # stored hashed
    auth.sign_out()
    body = client.get(f"/schedule/feed/{secret}.ics")
    assert body.status_code == 200 and body.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(body.get_data())
    summaries = [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]
    assert any("Oak Primary School" in s for s in summaries)
    assert not any("Elm Primary School" in s for s in summaries)  # the head's scope, not the trust's
    first = {str(e["UID"]) for e in calendar.walk("VEVENT")}
    again = icalendar.Calendar.from_ical(client.get(f"/schedule/feed/{secret}.ics").get_data())
    assert {str(e["UID"]) for e in again.walk("VEVENT")} == first  # stable UIDs: updates, not copies
    with app.app_context():
        assert db.session.scalar(sa.select(CalendarFeed.last_used_on)) == date.today()
    assert client.get("/schedule/feed/not-a-real-secret.ics").status_code == 404
    assert client.get(f"/schedule/feed/{'x' * 5000}.ics").status_code == 404


def test_a_new_address_revokes_the_old_and_stopping_revokes_it_too(app, client, auth, setup):
    auth.sign_in("cio@example.org")
    old = _secret_of(client.post("/schedule/subscribe").get_data(as_text=True))
    new = _secret_of(client.post("/schedule/subscribe").get_data(as_text=True))
    assert client.get(f"/schedule/feed/{old}.ics").status_code == 404
    assert client.get(f"/schedule/feed/{new}.ics").status_code == 200
    page = client.get("/schedule/subscribe").get_data(as_text=True)
    assert "You have a calendar subscription" in page and new not in page  # shown once only
    assert client.post("/schedule/subscribe/stop").status_code == 302
    assert client.get(f"/schedule/feed/{new}.ics").status_code == 404
    again = client.post("/schedule/subscribe/stop", follow_redirects=True)
    assert "You have no calendar subscription to stop." in again.get_data(as_text=True)


@pytest.fixture
def cio_only(app):
    """A trust, a school and its CIO, with the app context closed again (setup holds it open, which
    would let every request share one session and one signed-in user)."""
    with app.app_context():
        trust = make_trust()
        make_school(trust, name="Oak Primary School", urn="100001")
        quick_user("cio@example.org", "cio")
        db.session.commit()


def test_a_deactivated_users_feed_stops_working(app, client, auth, cio_only):
    auth.sign_in("cio@example.org")
    secret = _secret_of(client.post("/schedule/subscribe").get_data(as_text=True))
    assert client.get(f"/schedule/feed/{secret}.ics").status_code == 200
    with app.app_context():
        db.session.scalar(sa.select(User).where(User.email == "cio@example.org")).active = False
        db.session.commit()
    assert app.test_client().get(f"/schedule/feed/{secret}.ics").status_code == 404


def _event(trust_id, kind, days, school_id=None, audience=None, title=None):
    on = date.today() + timedelta(days=days)
    event = ScheduleEvent(trust_id=trust_id, academic_year=YEAR, term="autumn", kind=kind, audience=audience,
                          title=title or kind, starts_on=on, ends_on=on, school_id=school_id)
    db.session.add(event)
    return event


def test_each_role_sees_what_is_due_for_it_in_the_next_14_days(app, client, auth, setup):
    with app.app_context():
        trust = db.session.scalar(sa.select(Trust))
        elm_id = next(s.id for s in trust.schools if s.name.startswith("Elm"))
        quick_user("governor@oak.example.org", "governor", school=db.session.get(School, setup["oak_id"]))
        _event(trust.id, "sgc_overview", 3, setup["oak_id"], title="SGC overview at Oak")
        _event(trust.id, "sgc_overview", 3, elm_id, title="SGC overview at Elm")
        _event(trust.id, "link_governor_visit", 10, setup["oak_id"], title="Link visit at Oak")
        _event(trust.id, "review", 5, title="Six-month review")
        _event(trust.id, "survey_window", 7, audience="parent", title="Parent survey window")
        _event(trust.id, "wellbeing_meeting", 20, title="Wellbeing committee, too far off")
        db.session.commit()
    expectations = {
        "governor@oak.example.org": ({"SGC overview at Oak", "Link visit at Oak"},
                                     {"SGC overview at Elm", "Six-month review", "Parent survey window"}),
        "head@oak.example.org": ({"SGC overview at Oak", "Link visit at Oak", "Six-month review",
                                  "Parent survey window"}, {"SGC overview at Elm"}),
        "cio@example.org": ({"SGC overview at Oak", "SGC overview at Elm", "Six-month review",
                             "Parent survey window"}, {"Wellbeing committee, too far off"}),
    }
    for email, (shown, hidden) in expectations.items():
        auth.sign_in(email)
        page = client.get("/", follow_redirects=True).get_data(as_text=True)
        assert "Due in the next 14 days" in page, email
        assert all(title in page for title in shown), (email, [t for t in shown if t not in page])
        assert not any(title in page for title in hidden), (email, [t for t in hidden if t in page])
        auth.sign_out()


def test_a_survey_closing_soon_is_due_for_the_head(app, client, auth, setup):
    with app.app_context():
        make_survey([db.session.get(School, setup["oak_id"])], opens_on=date.today() - timedelta(days=5),
                    closes_on=date.today() + timedelta(days=4), title="Autumn parent survey")
        db.session.commit()
    auth.sign_in("head@oak.example.org")
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "Autumn parent survey closes" in page


def test_a_head_creates_their_own_schools_survey_and_the_cio_the_rest(app, client, auth, setup):
    with app.app_context():
        _generate()
        window_id = db.session.scalar(sa.select(ScheduleEvent.id).where(
            ScheduleEvent.kind == "survey_window", ScheduleEvent.audience == "parent"))
    auth.sign_in("head@oak.example.org")
    listing = client.get(f"/schedule/?year={YEAR}").get_data(as_text=True)
    assert f"/schedule/events/{window_id}/survey" in listing
    assert client.post(f"/schedule/events/{window_id}/survey").status_code == 302
    again = client.post(f"/schedule/events/{window_id}/survey", follow_redirects=True)
    assert "already has its survey" in again.get_data(as_text=True)
    auth.sign_out()
    auth.sign_in("cio@example.org")
    assert client.post(f"/schedule/events/{window_id}/survey").status_code == 302
    with app.app_context():
        oak, elm = (db.session.scalars(sa.select(Survey).order_by(Survey.id)).all())
        assert [link.school_id for link in oak.schools] == [setup["oak_id"]]
        assert oak.title.endswith(", Oak Primary School")
        assert [link.school.name for link in elm.schools] == ["Elm Primary School"]
    listing = client.get(f"/schedule/?year={YEAR}").get_data(as_text=True)
    assert f"/schedule/events/{window_id}/survey" not in listing and f"/surveys/{elm.id}" in listing


def test_a_head_cannot_create_a_survey_from_another_schools_event(app, client, auth, setup):
    with app.app_context():
        _generate()
        trust = db.session.scalar(sa.select(Trust))
        elm_id = next(s.id for s in trust.schools if s.name.startswith("Elm"))
        event = _event(trust.id, "survey_window", 30, elm_id, audience="parent", title="Elm parent pulse")
        db.session.commit()
        event_id = event.id
    auth.sign_in("head@oak.example.org")
    assert client.post(f"/schedule/events/{event_id}/survey").status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Survey)) == 0


def test_a_window_will_not_make_a_survey_past_the_fatigue_limit(app, client, auth, setup):
    """Oak already has two parent surveys this autumn term (the default limit): the window's
    survey is refused with the reason, naming Oak alone; once the limit is 3 it is made."""
    with app.app_context():
        _generate()
        window = db.session.scalar(sa.select(ScheduleEvent).where(
            ScheduleEvent.kind == "survey_window", ScheduleEvent.audience == "parent",
            ScheduleEvent.term == "autumn"))
        oak = db.session.get(School, setup["oak_id"])
        first, last = services.term_dates(YEAR, "autumn")
        assert first <= window.starts_on <= last < services.term_start(YEAR, "spring")
        for opens in (first, last - timedelta(days=10)):
            make_survey([oak], opens_on=opens, closes_on=opens + timedelta(days=7), title="Club survey")
        # The summer before: another term, so it does not count.
        make_survey([oak], opens_on=first - timedelta(days=30), closes_on=first - timedelta(days=20))
        db.session.commit()
        window_id = window.id
    auth.sign_in("cio@example.org")
    refused = client.post(f"/schedule/events/{window_id}/survey", follow_redirects=True)
    message = refused.get_data(as_text=True)
    assert ("Oak Primary School already has 2 parents and carers surveys in the autumn term, "
            "the trust&#39;s limit.") in message
    assert "Elm Primary School already" not in message
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Survey)) == 3
    assert client.post("/schedule/settings",
                       data=_settings_form(max_surveys_per_term="3")).status_code == 302
    made = client.post(f"/schedule/events/{window_id}/survey")
    assert made.status_code == 302 and "/surveys/" in made.location
    with app.app_context():
        survey = db.session.scalars(sa.select(Survey).order_by(Survey.id.desc())).first()
        assert len(survey.schools) == 2


def test_term_start_dates_are_set_in_the_browser_and_the_next_year_follows_them(app, client, auth, setup):
    auth.sign_in("cio@example.org")
    page = client.get("/schedule/settings").get_data(as_text=True)
    assert 'name="term_start-spring-day" type="text" inputmode="numeric" spellcheck="false" value="5"' in page
    saved = client.post("/schedule/settings", data=_settings_form(**{
        "term_start-spring-day": "8", "term_start-spring-month": "1",
        "term_start-autumn-day": "25", "term_start-autumn-month": "8"}))
    assert saved.status_code == 302
    starts = {"autumn": (8, 25), "spring": (1, 8), "summer": (4, 20)}
    with app.app_context():
        assert db.session.scalar(sa.select(ScheduleSettings)).template["term_starts"] == \
            {term: list(month_day) for term, month_day in starts.items()}
        made = _generate()
        spring = services.term_start(YEAR, "spring", starts)
        assert spring.weekday() == 0 and date(YEAR + 1, 1, 8) <= spring < date(YEAR + 1, 1, 15)
        staff = {e.term: e.starts_on for e in made if e.kind == "survey_window" and e.audience == "staff"}
        assert staff["spring"] == spring + timedelta(weeks=3)  # week 4 of the spring term
        assert staff["autumn"] == services.term_start(YEAR, "autumn", starts) + timedelta(weeks=3)
        # A Monday from 25 August to 1 September: always before the default (on or after 2 September).
        assert staff["autumn"] < services.week(YEAR, "autumn", 4)
    page = client.get("/schedule/settings").get_data(as_text=True)
    assert 'name="term_start-autumn-day" type="text" inputmode="numeric" spellcheck="false" value="25"' in page
