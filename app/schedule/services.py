"""Schedule services: generate a year from the trust template, edit events, fatigue, iCalendar."""

from collections import Counter
from datetime import date, datetime, timedelta, timezone

import icalendar
import sqlalchemy as sa

from app import clock
from app.extensions import db
from app.models import Instrument, School
from app.models.audit import record
from app.models.instruments import AUDIENCES
from app.models.schedule import EVENT_KINDS, TERMS, ScheduleEvent
from app.services import Conflict, NotFound, ServiceError, commit
from app.surveys.services import create_survey

# The trust template. Weeks count from the first Monday of the term (week 1).
TEMPLATE = {
    "term_starts": {"autumn": (9, 2), "spring": (1, 5), "summer": (4, 20)},  # (month, day) to search from
    "survey_windows": {  # audience -> terms it is asked in; each window is 3 weeks
        "parent": ["autumn", "summer"], "staff": ["autumn", "spring", "summer"],
        "pupil_ks2": ["autumn", "summer"], "pupil_ks1": ["summer"],
    },
    "survey_week": {"staff": 4, "parent": 5, "pupil_ks2": 6, "pupil_ks1": 6},
    "reviews": [("autumn", 8, "Annual categorisation"), ("spring", 9, "Six-month categorisation review")],
    "sgc_week": 11,             # CIO's overview to each school's SGC, every term
    "link_visit_week": 7,       # one link governor visit a term: three a year
    "wellbeing_week": 9,        # wellbeing committee meets every term
    "appraisals": [("autumn", 6, "Appraisal: objectives set"), ("spring", 7, "Appraisal: mid-year review"),
                   ("summer", 10, "Appraisal: end-of-year review")],
    "max_surveys_per_term": 2,  # survey-fatigue rule: per audience per school per term
}


def term_start(year, term):
    """The first Monday on or after the template's start date of a term of academic year ``year``."""
    month, day = TEMPLATE["term_starts"][term]
    start = date(year if term == "autumn" else year + 1, month, day)
    return start + timedelta(days=(7 - start.weekday()) % 7)


def week(year, term, number, weekday=0):
    return term_start(year, term) + timedelta(weeks=number - 1, days=weekday)


def year_label(year):
    return f"{year} to {year + 1}"


def events(trust_id, year, school_ids=None):
    query = (sa.select(ScheduleEvent)
             .where(ScheduleEvent.trust_id == trust_id, ScheduleEvent.academic_year == year)
             .order_by(ScheduleEvent.starts_on, ScheduleEvent.kind, ScheduleEvent.id))
    if school_ids is not None:
        query = query.where(sa.or_(ScheduleEvent.school_id.is_(None), ScheduleEvent.school_id.in_(school_ids)))
    return db.session.scalars(query).all()


def years(trust_id):
    return db.session.scalars(
        sa.select(ScheduleEvent.academic_year).where(ScheduleEvent.trust_id == trust_id)
        .distinct().order_by(ScheduleEvent.academic_year)).all()


def generate_year(user, trust, year):
    """Add the academic year starting in September ``year`` from the trust template."""
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise ServiceError("Choose an academic year.")
    if events(trust.id, year):
        raise Conflict(f"The schedule for {year_label(year)} already exists; edit its events instead.")
    new = []

    def add(kind, term, title, starts_on, ends_on=None, school=None, audience=None):
        new.append(ScheduleEvent(trust_id=trust.id, academic_year=year, term=term, kind=kind, title=title,
                                 starts_on=starts_on, ends_on=ends_on or starts_on,
                                 school_id=school.id if school else None, audience=audience))

    for audience, terms in TEMPLATE["survey_windows"].items():
        for term in terms:
            opens = week(year, term, TEMPLATE["survey_week"][audience])
            add("survey_window", term, f"{AUDIENCES[audience]} survey, {term} term", opens,
                opens + timedelta(days=18), audience=audience)
    for term, number, title in TEMPLATE["reviews"]:
        add("review", term, title, week(year, term, number, weekday=2))
    for term in TERMS:
        add("wellbeing_meeting", term, f"Wellbeing committee, {term} term", week(year, term, TEMPLATE["wellbeing_week"], 3))
        for index, school in enumerate(trust.schools):
            weekday = index % 5  # spread visits and meetings over the week
            add("link_governor_visit", term, f"Link governor visit, {term} term",
                week(year, term, TEMPLATE["link_visit_week"], weekday), school=school)
            add("sgc_overview", term, f"CIO overview to the SGC, {term} term",
                week(year, term, TEMPLATE["sgc_week"], weekday), school=school)
    for term, number, title in TEMPLATE["appraisals"]:
        add("appraisal", term, title, week(year, term, number, weekday=4))
    db.session.add_all(new)
    record("schedule_generated", user=user, year=year, events=len(new))
    commit(f"The schedule for {year_label(year)} was made by someone else a moment ago.")
    return new


def event_or_404(trust_id, event_id):
    event = db.session.get(ScheduleEvent, event_id)
    if event is None or event.trust_id != trust_id:
        raise NotFound("That event does not exist.")
    return event


def update_event(user, event, title, starts_on, ends_on):
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise ServiceError("Enter a title of 200 characters or fewer.")
    try:
        starts_on, ends_on = date.fromisoformat(starts_on), date.fromisoformat(ends_on or starts_on)
    except (TypeError, ValueError):
        raise ServiceError("Enter the dates as real dates.") from None
    if ends_on < starts_on:
        raise ServiceError("The end date must be on or after the start date.")
    if abs((starts_on - date(event.academic_year, 9, 1)).days) > 400:
        raise ServiceError("Keep the event within its academic year.")
    event.title, event.starts_on, event.ends_on = title, starts_on, ends_on
    event.sequence += 1  # calendar apps replace an event only when SEQUENCE goes up
    event.updated_at = clock.utcnow()
    record("schedule_event_changed", user=user, school=event.school, event=event.id,
           starts_on=starts_on.isoformat(), ends_on=ends_on.isoformat())
    commit()
    return event


def create_survey_for(user, event):
    """Create the (not yet open) survey run for a scheduled survey window, for every school."""
    if event.kind != "survey_window":
        raise ServiceError("Only a survey window can create a survey.")
    if event.survey_id is not None:
        raise Conflict("This window already has its survey.")
    instrument = db.session.scalar(
        sa.select(Instrument).where(Instrument.audience == event.audience, Instrument.status == "published")
        .order_by(Instrument.version.desc()).limit(1))
    if instrument is None:
        raise ServiceError("There is no published questionnaire for this audience yet.")
    school_ids = [event.school_id] if event.school_id else db.session.scalars(
        sa.select(School.id).where(School.trust_id == event.trust_id)).all()
    survey = create_survey(user, event.title, instrument.id, school_ids, event.starts_on, event.ends_on)
    event.survey_id = survey.id
    record("schedule_survey_created", user=user, event=event.id, survey=survey.id)
    commit()
    return survey


def fatigue_warnings(trust, year):
    """Where an audience at a school would be asked more than the template allows in one term."""
    limit = TEMPLATE["max_surveys_per_term"]
    windows = [e for e in events(trust.id, year) if e.kind == "survey_window"]
    warnings = []
    for school in trust.schools:
        counts = Counter((e.term, e.audience) for e in windows if e.school_id in (None, school.id))
        for (term, audience), count in sorted(counts.items()):
            if count > limit:
                warnings.append(f"{school.name}: {AUDIENCES[audience].lower()} would be asked "
                                f"{count} surveys in the {term} term (the limit is {limit}).")
    return warnings


def due_soon(trust_id, school_ids, days=14):
    today = clock.today()
    query = (sa.select(ScheduleEvent)
             .where(ScheduleEvent.trust_id == trust_id, ScheduleEvent.ends_on >= today,
                    ScheduleEvent.starts_on <= today + timedelta(days=days))
             .order_by(ScheduleEvent.starts_on))
    if school_ids is not None:
        query = query.where(sa.or_(ScheduleEvent.school_id.is_(None), ScheduleEvent.school_id.in_(school_ids)))
    return db.session.scalars(query).all()


def to_ical(trust, schedule_events, name):
    """An RFC 5545 calendar of all-day events that Outlook and Google Calendar accept."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Stakeholder Voice//Schedule//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    stamp = datetime.now(timezone.utc).replace(microsecond=0)
    for item in schedule_events:
        event = icalendar.Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", item.starts_on)
        event.add("dtend", item.ends_on + timedelta(days=1))  # DTEND of an all-day event is exclusive
        where = f" ({item.school.name})" if item.school else ""
        event.add("summary", f"{item.title}{where}")
        event.add("description", f"{EVENT_KINDS[item.kind]}. {trust.name}.")
        event.add("sequence", item.sequence)
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()
