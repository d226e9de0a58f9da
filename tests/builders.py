"""One builder per model; each adds to db.session (inside an app context) and flushes."""

import uuid
from datetime import date, timedelta


from app.extensions import db
from app.models import (
    Hub, Instrument, Priority, Response, RoleAssignment, School, Survey, SurveySchool, Trust, User,
)
from app.models.responses import Answer
from app.models.trust import DEFAULT_PRIORITIES, YEAR_GROUPS
from app.surveys.counts import count_response
from app.surveys.library import install_builtin_instruments, latest_published

PASSWORD = "correct horse battery"


def make_trust(name="Test Learning Trust"):
    trust = Trust(name=name)
    db.session.add(trust)
    for position, (key, label) in enumerate(DEFAULT_PRIORITIES):
        db.session.add(Priority(trust=trust, key=key, name=label, position=position))
    db.session.flush()
    return trust


def make_school(trust, name="Test Primary School", urn=None, families=200, hub=None):
    if hub is None:
        hub = Hub(trust=trust, name=f"{name} hub")
        db.session.add(hub)
    school = School(
        trust=trust, hub=hub, name=name,
        urn=urn or str(100000 + len(trust.schools) + 1),
        roll_by_year={year: 30 for year in YEAR_GROUPS}, staff_count=25, families_count=families,
    )
    db.session.add(school)
    db.session.flush()
    return school


def make_user(email, role, school=None, name="Test User", password=PASSWORD):
    user = User(email=email, name=name)
    user.set_password(password)
    user.roles.append(RoleAssignment(role=role, school=school))
    db.session.add(user)
    db.session.flush()
    return user


def parent_instrument():
    install_builtin_instruments()
    return latest_published("parent")


def make_survey(schools, instrument=None, opens_on=None, closes_on=None, title="Parent survey"):
    opens_on = opens_on or date.today() - timedelta(days=3)
    closes_on = closes_on or date.today() + timedelta(days=14)
    survey = Survey(title=title, instrument=instrument or parent_instrument(),
                    opens_on=opens_on, closes_on=closes_on)
    survey.schools = [SurveySchool(school=school) for school in schools]
    db.session.add(survey)
    db.session.flush()
    return survey


def make_response(survey, school, answers, submitted_on=None):
    """answers: {question key: code, [codes] or text}."""
    response = Response(survey_id=survey.id, school_id=school.id,
                        submitted_on=submitted_on or date.today(), idempotency_key=uuid.uuid4().hex)
    for key, value in answers.items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            answer = Answer(survey_id=survey.id, school_id=school.id, question_key=key)
            if isinstance(item, str):
                answer.text = item
            else:
                answer.value = item
            response.answers.append(answer)
    db.session.add(response)
    # Counted as a submit counts it, so results read from the counts see this response.
    count_response(survey, school.id, [(a.question_key, a.value) for a in response.answers])
    db.session.flush()
    return response


def make_first_primary():
    """A trust with one school, First Primary, its trust admin, head and a teacher."""
    school = make_school(make_trust(), "First Primary")
    make_user("admin@trust.example", "trust_admin")
    make_user("head@first.example", "head", school)
    make_user("teacher@first.example", "teacher", school)
    return school


def link_of(survey, school):
    return next(s.link_code for s in survey.schools if s.school_id == school.id)


def builtin_instrument(key):
    """A built-in instrument (parent, staff, pupil_ks1, pupil_ks2), installed if need be."""
    install_builtin_instruments()
    return latest_published(key)


def make_draft(key="club_survey", name="After-school club survey", audience="parent", questions=()):
    """A draft instrument with questions given as dicts of Question fields."""
    from app.models import Question

    instrument = Instrument(key=key, version=1, name=name, audience=audience, status="draft")
    for position, fields in enumerate(questions, start=1):
        instrument.questions.append(Question(position=position, **fields))
    db.session.add(instrument)
    db.session.flush()
    return instrument


def make_measure(school, measure, value, as_of=None, source="Test data"):
    from app.models.categorisation import SchoolMeasure

    row = SchoolMeasure(school_id=school.id, measure=measure, value=value,
                        as_of=as_of or date.today() - timedelta(days=10), source=source)
    db.session.add(row)
    db.session.flush()
    return row


def make_contact(school, email=None, kind="family", name=None, mobile=None, year_groups=None,
                 role_group=None):
    from app.models import Contact

    contact = Contact(school_id=school.id, kind=kind, email=email, name=name, mobile=mobile,
                      year_groups=year_groups or [], role_group=role_group)
    db.session.add(contact)
    db.session.flush()
    return contact


def survey_form(instrument_id, school_ids, **changes):
    """The fields of the 'schedule a survey' form, open from today to next July."""
    today = date.today()
    data = {
        "title": "Parent survey, spring", "instrument_id": str(instrument_id),
        "school_ids": [str(school_id) for school_id in school_ids],
        "opens_on": [str(today.day), str(today.month), str(today.year)],
        "closes_on": ["1", "7", str(today.year + 1)],
        "access_mode": "open_link", "anonymity": "anonymous",
    }
    data.update(changes)
    return data
