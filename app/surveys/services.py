"""Scheduling surveys and storing responses; plain functions that validate, write and commit."""

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.auth.scope import visible_schools_query
from app.comments.services import flag_safeguarding
from app.extensions import db
from app.models import Answer, Instrument, Response, School, Survey, SurveySchool
from app.models.collection import digest
from app.models.instruments import AUDIENCES
from app.models.responses import random_id
from app.models.surveys import ACCESS_MODES, ANONYMITY
from app.services import Conflict, NotFound, ServiceError, commit
from app.surveys.collection import (
    SurveyNotOpen, TokenUsed, check_open, count_completion, drop_partials, spend_token,
    token_by_value,
)
from app.surveys.counts import count_response

__all__ = ["SurveyNotOpen", "TokenUsed", "check_open"]


def published_instruments():
    return db.session.scalars(
        sa.select(Instrument).where(Instrument.status == "published")
        .order_by(Instrument.name, Instrument.version.desc())
    ).all()


def create_survey(user, title, instrument_id, school_ids, opens_on, closes_on,
                  access_mode="open_link", anonymity="anonymous", roles=("trust_admin", "head")):
    """Schedule a survey of a published instrument for schools the user may run surveys in.

    ``roles`` are those that may run surveys here; the schedule lets the CIO too.
    """
    instrument = db.session.get(Instrument, instrument_id)
    if instrument is None or instrument.status != "published":
        raise ServiceError("Choose a published questionnaire.")
    if access_mode not in ACCESS_MODES or anonymity not in ANONYMITY:
        raise ServiceError("Choose how people answer and how anonymous the survey is.")
    if access_mode == "class_session" and not instrument.audience.startswith("pupil"):
        raise ServiceError(
            f"Class sessions are for pupil questionnaires; {AUDIENCES[instrument.audience].lower()} "
            "answer by open link or invitation."
        )
    if closes_on < opens_on:
        raise ServiceError("The closing date must be on or after the opening date.")
    allowed = db.session.scalars(
        visible_schools_query(user, *roles).where(School.id.in_(school_ids))
    ).all()
    if not allowed or len(allowed) != len(set(school_ids)):
        raise ServiceError("Choose schools from the list.")
    survey = Survey(
        title=title.strip(), instrument=instrument, opens_on=opens_on, closes_on=closes_on,
        created_by_id=user.id, access_mode=access_mode, anonymity=anonymity,
    )
    survey.schools = [SurveySchool(school=school) for school in allowed]
    db.session.add(survey)
    commit()
    return survey


def surveys_for(user):
    """Surveys that include at least one school the user can see, newest first."""
    school_ids = sa.select(School.id).where(
        School.id.in_(visible_schools_query(user).with_only_columns(School.id))
    )
    return db.session.scalars(
        sa.select(Survey).join(SurveySchool)
        .where(SurveySchool.school_id.in_(school_ids))
        .distinct().order_by(Survey.opens_on.desc(), Survey.id.desc())
    ).all()


def survey_school_by_code(link_code):
    # The survey, instrument, school and trust a respondent's page needs, in one query rather
    # than one each (the questions follow in one more: measured faster than a selectin load).
    survey_school = db.session.scalar(
        sa.select(SurveySchool).where(SurveySchool.link_code == link_code).options(
            joinedload(SurveySchool.survey).joinedload(Survey.instrument),
            joinedload(SurveySchool.school).joinedload(School.trust),
        )
    )
    if survey_school is None:
        raise NotFound("There is no survey at this link.")
    return survey_school


def find_response(submission_key):
    # Only a hash of the page's key is kept, so the key in a saved page or an autosaved
    # partial cannot be matched to the response in a copy of the database.
    return db.session.scalar(
        sa.select(Response).where(Response.idempotency_key == digest("response", submission_key))
    )


def submit_response(survey_school, answers, submission_key, today, token=None, class_session=None,
                    respondent_name=None):
    """Store one complete response; a repeat of the same submission key stores nothing new.

    answers: {question key: [codes]} or {question key: "free text"}.
    Only the date of submission is kept, never the time, the IP address or who answered.
    token: the invitation (as given in the link), spent in the same transaction and never
    linked to the response.
    class_session: its completion count goes up by one in the same transaction.
    respondent_name: kept only when the survey is named; anonymous and confidential surveys
    never store a name, whatever is sent.
    """
    survey = survey_school.survey
    existing = find_response(submission_key)
    if existing is not None:
        if existing.survey_id != survey.id:
            raise Conflict("This form was already used for another survey. Reload the page.")
        return existing
    check_open(survey, today)
    if token is not None:
        try:
            spend_token(token_by_value(token))
        except TokenUsed:
            # A double click already spent it on this very submission: that one is the response.
            db.session.rollback()
            stored = find_response(submission_key)
            if stored is None:
                raise
            return stored
    if class_session is not None:
        count_completion(class_session)
    drop_partials(survey_school, submission_key, token)
    school_id = survey_school.school_id
    response = Response(
        id=random_id(), survey_id=survey.id, school_id=school_id, submitted_on=today,
        idempotency_key=digest("response", submission_key), status="complete",
        respondent_name=_name_if_named(survey, respondent_name),
    )
    rows = []
    for key, value in answers.items():
        base = dict(response_id=response.id, survey_id=survey.id, school_id=school_id, question_key=key)
        if isinstance(value, str):
            rows.append({**base, "value": None, "text": value})
        else:
            rows.extend({**base, "value": code, "text": None} for code in value)
    db.session.add(response)
    try:
        db.session.flush()
        # All the answers in one statement (an executemany), not one INSERT each.
        if rows:
            db.session.execute(sa.insert(Answer), rows)
        flag_safeguarding(response, survey_school.school.trust_id,
                          {key: value for key, value in answers.items() if isinstance(value, str)})
        # The counts go up in this same transaction: a rolled-back double submit adds nothing.
        # Last before the commit: every submit to this school updates the same count rows, and
        # on PostgreSQL holds their row locks until it commits.
        count_response(survey, school_id, [(row["question_key"], row["value"]) for row in rows])
        commit()
    except (Conflict, sa.exc.IntegrityError):
        # Two copies of the same submission raced; the first one stored is the response.
        db.session.rollback()
        stored = find_response(submission_key)
        if stored is None:
            raise
        return stored
    return response


def _name_if_named(survey, name):
    if survey.anonymity != "named" or not isinstance(name, str):
        return None
    return name.strip()[:100] or None


def response_counts(survey):
    """{school_id: number of complete responses} for a survey."""
    rows = db.session.execute(
        sa.select(Response.school_id, sa.func.count())
        .where(Response.survey_id == survey.id, Response.status == "complete")
        .group_by(Response.school_id)
    )
    return dict(rows.all())
