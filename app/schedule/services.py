"""Schedule services: generate a year from the trust template, edit events, fatigue, iCalendar."""

import copy
import hashlib
import secrets
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import icalendar
import sqlalchemy as sa

from app import clock
from app.extensions import db, get_by_id
from app.models import CalendarFeed, Instrument, School, Survey, SurveySchool, Trust
from app.models.audit import record
from app.models.instruments import AUDIENCES
from app.models.schedule import EVENT_KINDS, TERMS, ScheduleEvent, ScheduleSettings, WindowSurvey
from app.services import Conflict, NotFound, ServiceError, commit
from app.surveys import services as surveys  # a module import: surveys -> reports -> here is a cycle

# The trust template until the trust saves its own (ScheduleSettings). Weeks count from the
# first Monday of the term (week 1).
DEFAULT_TEMPLATE = {
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
}
DEFAULT_MAX_SURVEYS_PER_TERM = 2  # survey-fatigue rule: per audience per school per term
WINDOW_DAYS = 18  # a survey window runs Monday of one week to Friday two weeks later
LAST_WEEK = 12  # the shortest term has twelve whole weeks
LAST_WINDOW_WEEK = LAST_WEEK - 2  # a three-week window must end inside the term


# The months a term may start in (the month/day in the template is searched from for a Monday).
TERM_MONTHS = {"autumn": (8, 9, 10), "spring": (1, 2), "summer": (3, 4, 5)}


def term_start(year, term, starts=None):
    """The first Monday on or after the start date of a term of academic year ``year``.

    starts: {term: (month, day)} from the trust's template; the default template's otherwise.
    """
    month, day = (starts or DEFAULT_TEMPLATE["term_starts"])[term]
    start = date(year if term == "autumn" else year + 1, month, day)
    return start + timedelta(days=(7 - start.weekday()) % 7)


def term_dates(year, term, starts=None):
    """(first day, last day) of a term: to the day before the next term starts (summer to August)."""
    following = TERMS[TERMS.index(term) + 1] if term != TERMS[-1] else None
    last = term_start(year, following, starts) - timedelta(days=1) if following else date(year + 1, 8, 31)
    return term_start(year, term, starts), last


def week(year, term, number, weekday=0, starts=None):
    return term_start(year, term, starts) + timedelta(weeks=number - 1, days=weekday)


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


# Academic years a schedule can hold (named by the calendar year they start in).
YEARS = range(2000, 2101)


def generate_year(user, trust, year):
    """Add the academic year starting in September ``year`` from the trust template."""
    if year not in YEARS:
        raise ServiceError("Choose an academic year.")
    if events(trust.id, year):
        raise Conflict(f"The schedule for {year_label(year)} already exists; edit its events instead.")
    template = settings_of(trust)["template"]
    new = []

    def on(term, number, weekday=0):  # a day of week ``number`` of this year's term
        return week(year, term, number, weekday, template["term_starts"])

    def add(kind, term, title, starts_on, ends_on=None, school=None, audience=None):
        new.append(ScheduleEvent(trust_id=trust.id, academic_year=year, term=term, kind=kind, title=title,
                                 starts_on=starts_on, ends_on=ends_on or starts_on,
                                 school_id=school.id if school else None, audience=audience))

    for audience, terms in template["survey_windows"].items():
        for term in terms:
            opens = on(term, template["survey_week"][audience])
            add("survey_window", term, f"{AUDIENCES[audience]} survey, {term} term", opens,
                opens + timedelta(days=WINDOW_DAYS), audience=audience)
    for term, number, title in template["reviews"]:
        add("review", term, title, on(term, number, weekday=2))
    for term in TERMS:
        add("wellbeing_meeting", term, f"Wellbeing committee, {term} term", on(term, template["wellbeing_week"], 3))
        for index, school in enumerate(trust.schools):
            weekday = index % 5  # spread visits and meetings over the week
            add("link_governor_visit", term, f"Link governor visit, {term} term",
                on(term, template["link_visit_week"], weekday), school=school)
            add("sgc_overview", term, f"CIO overview to the SGC, {term} term",
                on(term, template["sgc_week"], weekday), school=school)
    for term, number, title in template["appraisals"]:
        add("appraisal", term, title, on(term, number, weekday=4))
    db.session.add_all(new)
    record("schedule_generated", user=user, year=year, events=len(new))
    commit(f"The schedule for {year_label(year)} was made by someone else a moment ago.")
    return new


def event_or_404(trust_id, event_id):
    event = get_by_id(ScheduleEvent, event_id)
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


SURVEY_MAKERS = ("trust_admin", "cio", "head")


def window_schools(user, event):
    """(schools this user may create the window's survey for, schools that already have one)."""
    ids = user.school_ids(*SURVEY_MAKERS)
    query = sa.select(School).where(School.trust_id == event.trust_id).order_by(School.name)
    if event.school_id is not None:
        query = query.where(School.id == event.school_id)
    if ids is not None:
        query = query.where(School.id.in_(ids))
    schools = db.session.scalars(query).all()
    done = set(db.session.scalars(sa.select(WindowSurvey.school_id).where(WindowSurvey.event_id == event.id)))
    if event.survey_id is not None:  # made before windows recorded their schools: it covered them all
        done |= {link.school_id for link in event.survey.schools}
    return [s for s in schools if s.id not in done], [s for s in schools if s.id in done]


def window_surveys(user, schedule_events):
    """{event id: {"surveys": [surveys this user may see], "can_create": bool}} for survey windows."""
    windows = [e for e in schedule_events if e.kind == "survey_window"]
    if not windows:
        return {}
    ids = user.school_ids()
    rows = db.session.execute(
        sa.select(WindowSurvey.event_id, WindowSurvey.school_id, Survey)
        .join(Survey, Survey.id == WindowSurvey.survey_id)
        .where(WindowSurvey.event_id.in_([e.id for e in windows]))).all()
    result = {e.id: {"surveys": [], "can_create": False} for e in windows}
    for event_id, school_id, survey in rows:
        if (ids is None or school_id in ids) and survey not in result[event_id]["surveys"]:
            result[event_id]["surveys"].append(survey)
    makers = user.has_role(*SURVEY_MAKERS)
    for event in windows:
        if event.survey is not None and event.survey not in result[event.id]["surveys"] and ids is None:
            result[event.id]["surveys"].append(event.survey)
        if makers:
            result[event.id]["can_create"] = bool(window_schools(user, event)[0])
    return result


def create_survey_for(user, event):
    """Create the (not yet open) survey run for a scheduled survey window.

    The CIO and trust admin create it for every school still without one; a head creates their
    own school's, so a school can start when it is ready without waiting for the trust.
    """
    todo, done = window_schools(user, event)
    if not todo and not done:  # another school's event: as if it did not exist
        raise NotFound("That event does not exist.")
    if event.kind != "survey_window":
        raise ServiceError("Only a survey window can create a survey.")
    if not todo:
        raise Conflict("This window already has its survey.")
    instrument = db.session.scalar(
        sa.select(Instrument).where(Instrument.audience == event.audience, Instrument.status == "published")
        .order_by(Instrument.version.desc()).limit(1))
    if instrument is None:
        raise ServiceError("There is no published questionnaire for this audience yet.")
    _check_fatigue(event, todo)
    title = event.title if len(todo) > 1 or event.school_id else f"{event.title}, {todo[0].name}"
    survey = surveys.create_survey(user, title[:200], instrument.id, [s.id for s in todo], event.starts_on,
                           event.ends_on, roles=SURVEY_MAKERS)
    db.session.add_all(WindowSurvey(event_id=event.id, school_id=s.id, survey_id=survey.id) for s in todo)
    if event.survey_id is None and not done:
        event.survey_id = survey.id
    record("schedule_survey_created", user=user, event=event.id, survey=survey.id,
           schools=[s.id for s in todo])
    commit("Someone else created this window's survey a moment ago.")
    return survey


def _check_fatigue(event, schools):
    """Refuse a window's survey that would ask an audience at a school more than the trust's
    limit of surveys in one term (surveys already made, of any instrument for that audience)."""
    settings = settings_of(db.session.get(Trust, event.trust_id))
    limit = settings["max_surveys_per_term"]
    first, last = term_dates(event.academic_year, event.term, settings["template"]["term_starts"])
    asked = Counter(db.session.scalars(
        sa.select(SurveySchool.school_id).join(Survey).join(Instrument)
        .where(SurveySchool.school_id.in_([s.id for s in schools]),
               Instrument.audience == event.audience, Survey.opens_on.between(first, last))))
    full = [school.name for school in schools if asked[school.id] >= limit]
    if full:
        raise ServiceError(
            f"{', '.join(full)} already {'has' if len(full) == 1 else 'have'} {limit} "
            f"{AUDIENCES[event.audience].lower()} survey{'s' if limit != 1 else ''} in the "
            f"{event.term} term, the trust's limit. Change the limit in the schedule settings, "
            "or move this window to another term.")


def fatigue_warnings(trust, year):
    """Where an audience at a school would be asked more than the template allows in one term."""
    limit = settings_of(trust)["max_surveys_per_term"]
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


# What each role is reminded of on its home page: kind -> audiences (None for any).
ROLE_DUE = {
    "trust_admin": {kind: None for kind in EVENT_KINDS},
    "cio": {kind: None for kind in EVENT_KINDS},
    "head": {"survey_window": None, "sgc_overview": None, "link_governor_visit": None,
             "appraisal": None, "review": None},
    "governor": {"sgc_overview": None, "link_governor_visit": None},
    "wellbeing": {"wellbeing_meeting": None, "survey_window": {"staff"}},
    "dsl": {"survey_window": None},
    "teacher": {"survey_window": {"pupil_ks1", "pupil_ks2"}},
}
# Roles reminded when a survey of their schools opens or closes.
SURVEY_DUE_ROLES = ("trust_admin", "cio", "head")


def due_for(user, days=14):
    """What is due for this user in the next ``days`` days: their roles' events and survey dates.

    Each item is a dict with on (date), title, school (or None) and what ("Survey window", ...).
    """
    today = clock.today()
    horizon = today + timedelta(days=days)
    items, seen = [], set()
    trust_id = _trust_id_of(user)
    if trust_id is None:
        return []
    for role in sorted({a.role for a in user.roles} & set(ROLE_DUE)):
        wanted = ROLE_DUE[role]
        ids = user.school_ids(role)
        for event in due_soon(trust_id, None if ids is None else sorted(ids), days):
            if event.id in seen or event.kind not in wanted:
                continue
            audiences = wanted[event.kind]
            if audiences is not None and event.audience not in audiences:
                continue
            seen.add(event.id)
            items.append({"on": max(event.starts_on, today), "title": event.title, "school": event.school,
                          "what": event.kind_name, "ends_on": event.ends_on, "event": event})
    ids = user.school_ids(*SURVEY_DUE_ROLES) if user.has_role(*SURVEY_DUE_ROLES) else set()
    if ids is None or ids:
        query = (sa.select(Survey, SurveySchool.school_id).join(SurveySchool)
                 .join(School, School.id == SurveySchool.school_id)
                 .where(School.trust_id == trust_id, sa.or_(Survey.opens_on.between(today, horizon),
                                                            Survey.closes_on.between(today, horizon))))
        if ids is not None:
            query = query.where(SurveySchool.school_id.in_(ids))
        surveys = {}
        for survey, school_id in db.session.execute(query):
            surveys.setdefault(survey, set()).add(school_id)
        for survey, school_ids in surveys.items():
            school = db.session.get(School, next(iter(school_ids))) if len(school_ids) == 1 else None
            if today <= survey.opens_on <= horizon:
                items.append({"on": survey.opens_on, "title": f"{survey.title} opens", "school": school,
                              "what": "Survey", "ends_on": survey.opens_on, "survey": survey})
            if today <= survey.closes_on <= horizon:
                items.append({"on": survey.closes_on, "title": f"{survey.title} closes", "school": school,
                              "what": "Survey", "ends_on": survey.closes_on, "survey": survey})
    return sorted(items, key=lambda item: (item["on"], item["title"]))


def _trust_id_of(user):
    ids = user.school_ids()
    query = sa.select(School.trust_id).order_by(School.id).limit(1)
    if ids is not None:
        if not ids:
            return None
        query = query.where(School.id.in_(ids))
    return db.session.scalar(query)


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


# Trust settings: the template and the fatigue limit ------------------------------------------

def settings_of(trust):
    """{"max_surveys_per_term": n, "template": dict}: the trust's saved settings, else the defaults."""
    saved = db.session.scalar(sa.select(ScheduleSettings).where(ScheduleSettings.trust_id == trust.id))
    if saved is None:
        return {"max_surveys_per_term": DEFAULT_MAX_SURVEYS_PER_TERM, "template": copy.deepcopy(DEFAULT_TEMPLATE)}
    return {"max_surveys_per_term": saved.max_surveys_per_term, "template": saved.template}


def save_settings(user, trust, form):
    """Validate the settings form and save it as the trust's template; raise ServiceError listing problems.

    Form fields: max_surveys_per_term; term_start-<term>-day and -month; survey_week-<audience>;
    terms-<audience> (repeated);
    review_term-<n>, review_week-<n> for the two reviews; sgc_week, link_visit_week,
    wellbeing_week; appraisal_week-<term>.
    """
    errors = {}

    def number(name, label, low, high):
        raw = (form.get(name) or "").strip()
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            errors[name] = f"{label} must be a whole number from {low} to {high}."
        return value

    limit = number("max_surveys_per_term", "The most surveys a term", 1, 6)
    template = copy.deepcopy(DEFAULT_TEMPLATE)
    for term in TERMS:
        name = f"term_start-{term}"
        day = number(f"{name}-day", f"The day the {term} term starts", 1, 31)
        month = number(f"{name}-month", f"The month the {term} term starts", 1, 12)
        if day is not None and month is not None:
            try:
                date(2001, month, day)  # not a leap year: 29 February is no fixed start
            except ValueError:
                errors[f"{name}-day"] = f"The {term} term’s start must be a real date."
            else:
                if month not in TERM_MONTHS[term]:
                    names = [date(2001, m, 1).strftime("%B") for m in TERM_MONTHS[term]]
                    errors[f"{name}-day"] = (f"The {term} term starts in {', '.join(names[:-1])} "
                                             f"or {names[-1]}.")
        template["term_starts"][term] = [month, day]
    for audience in AUDIENCES:
        terms = form.getlist(f"terms-{audience}")
        if any(term not in TERMS for term in terms):
            errors[f"terms-{audience}"] = f"Choose terms from the list for {AUDIENCES[audience].lower()}."
        template["survey_windows"][audience] = [term for term in TERMS if term in terms]
        template["survey_week"][audience] = number(
            f"survey_week-{audience}", f"The week {AUDIENCES[audience].lower()} are asked", 1, LAST_WINDOW_WEEK)
    for index, (_, _, title) in enumerate(DEFAULT_TEMPLATE["reviews"]):
        term = form.get(f"review_term-{index}")
        if term not in TERMS:
            errors[f"review_term-{index}"] = f"Choose the term of the {title.lower()}."
        template["reviews"][index] = [term, number(f"review_week-{index}", f"The week of the {title.lower()}",
                                                   1, LAST_WEEK), title]
    if not errors and template["reviews"][0][:2] == template["reviews"][1][:2]:
        errors["review_week-1"] = "The two reviews must fall in different weeks."
    for key, label in (("sgc_week", "The week of the SGC overview"),
                       ("link_visit_week", "The week of the link governor visit"),
                       ("wellbeing_week", "The week of the wellbeing committee")):
        template[key] = number(key, label, 1, LAST_WEEK)
    for index, (term, _, title) in enumerate(DEFAULT_TEMPLATE["appraisals"]):
        template["appraisals"][index] = [term, number(f"appraisal_week-{term}", f"The week of “{title}”",
                                                      1, LAST_WEEK), title]
    if errors:
        raise SettingsInvalid(errors)
    saved = db.session.scalar(sa.select(ScheduleSettings).where(ScheduleSettings.trust_id == trust.id))
    if saved is None:
        saved = ScheduleSettings(trust_id=trust.id)
        db.session.add(saved)
    saved.max_surveys_per_term, saved.template = limit, template
    saved.updated_at, saved.updated_by_id = clock.utcnow(), user.id
    record("schedule_settings_changed", user=user, max_surveys_per_term=limit)
    commit()
    return saved


class SettingsInvalid(ServiceError):
    """Several fields were wrong; ``errors`` maps each field name to its message."""

    def __init__(self, errors):
        super().__init__("Check the schedule settings.")
        self.errors = errors


# Calendar subscriptions ----------------------------------------------------------------------

def digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def feed_of(user):
    return db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.user_id == user.id))


def new_feed(user):
    """Make (or replace) the user's calendar feed; returns the secret, which is never stored."""
    secret = secrets.token_urlsafe(32)
    old = feed_of(user)
    if old is not None:
        db.session.delete(old)
        db.session.flush()
    db.session.add(CalendarFeed(user_id=user.id, token_hash=digest(secret)))
    record("calendar_feed_created", user=user, replaced=old is not None)
    commit()
    return secret


def revoke_feed(user):
    feed = feed_of(user)
    if feed is None:
        raise NotFound("You have no calendar subscription to stop.")
    db.session.delete(feed)
    record("calendar_feed_revoked", user=user)
    commit()


def feed_calendar(secret):
    """The .ics body for a subscription secret: what its user may see, this year and next."""
    if not secret or len(secret) > 100:
        raise NotFound("No such calendar.")
    feed = db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.token_hash == digest(secret)))
    if feed is None or not feed.user.active:
        raise NotFound("No such calendar.")
    user, today = feed.user, clock.today()
    trust_id = _trust_id_of(user)
    if trust_id is None:
        raise NotFound("No such calendar.")
    ids = user.school_ids()
    year = today.year if today.month >= 8 else today.year - 1
    query = (sa.select(ScheduleEvent)
             .where(ScheduleEvent.trust_id == trust_id, ScheduleEvent.academic_year.between(year - 1, year + 1))
             .order_by(ScheduleEvent.starts_on, ScheduleEvent.id))
    if ids is not None:
        query = query.where(sa.or_(ScheduleEvent.school_id.is_(None), ScheduleEvent.school_id.in_(ids)))
    if feed.last_used_on != today:  # one write a day at most, however often the app polls
        feed.last_used_on = today
        commit()
    trust = db.session.get(Trust, trust_id)
    return to_ical(trust, db.session.scalars(query).all(), f"{trust.name} schedule")
