"""Collecting responses: invitation tokens, class sessions and autosaved answers."""

import secrets
from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    ClassSession, InvitationToken, PartialResponse, Response, Survey, SurveySchool,
)
from app.models.collection import JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH, digest
from app.models.surveys import ANONYMITY_ORDER
from app.services import Conflict, NotFound, ServiceError, commit

MAX_TOKENS = 1000
MAX_SAVED_TEXT = 2000
CLASS_ROLES = ("trust_admin", "head", "teacher")


class SurveyNotOpen(ServiceError):
    """The survey is closed or has not opened yet."""

    def __init__(self, survey, status):
        super().__init__(f"This survey is {status}.")
        self.survey = survey
        self.status = status


def check_open(survey, today):
    status = survey.status(today)
    if status != "open":
        raise SurveyNotOpen(survey, status)


# Anonymity

def change_anonymity(survey, anonymity):
    """Change a survey's anonymity; once anyone has answered it may only become stricter."""
    if anonymity not in ANONYMITY_ORDER:
        raise ServiceError("Choose one of the anonymity settings.")
    answered = db.session.scalar(
        sa.select(sa.func.count(Response.id)).where(Response.survey_id == survey.id)
    )
    if answered and ANONYMITY_ORDER.index(anonymity) > ANONYMITY_ORDER.index(survey.anonymity):
        raise Conflict(
            "People have already answered this survey on the promise it made them, "
            "so its anonymity can be made stricter but not looser."
        )
    survey.anonymity = anonymity
    commit()
    return survey


# Invitation tokens

def generate_tokens(survey_school, count):
    """Make count single-use invitations; returns the tokens, which are never stored."""
    if not isinstance(count, int) or not 1 <= count <= MAX_TOKENS:
        raise ServiceError(f"Enter a number of invitations from 1 to {MAX_TOKENS}.")
    if survey_school.survey.access_mode != "tokens":
        raise ServiceError("This survey does not use invitations.")
    tokens = [secrets.token_urlsafe(16) for _ in range(count)]
    db.session.add_all(
        InvitationToken(survey_school=survey_school, token_hash=digest("invitation", token))
        for token in tokens
    )
    commit()
    return tokens


class TokenUsed(ServiceError):
    def __init__(self, survey_school):
        super().__init__("This invitation has already been used.")
        self.survey_school = survey_school


def token_by_value(token):
    row = db.session.scalar(
        sa.select(InvitationToken).where(InvitationToken.token_hash == digest("invitation", token))
    ) if token and len(token) <= 64 else None
    if row is None:
        raise NotFound("There is no invitation at this link.")
    return row


def spend_token(token_row):
    """Mark the token used in the caller's transaction, unless another request got there first.

    Nothing is written that could join it to the response: no id, no time.
    """
    spent = db.session.execute(
        sa.update(InvitationToken)
        .where(InvitationToken.id == token_row.id, InvitationToken.used.is_(False))
        .values(used=True)
    )
    if spent.rowcount != 1:
        raise TokenUsed(token_row.survey_school)


def token_counts(survey):
    """{school_id: (invitations, used)} for a survey."""
    rows = db.session.execute(
        sa.select(
            SurveySchool.school_id, sa.func.count(InvitationToken.id),
            sa.func.sum(sa.case((InvitationToken.used.is_(True), 1), else_=0)),
        )
        .join(InvitationToken, InvitationToken.survey_school_id == SurveySchool.id)
        .where(SurveySchool.survey_id == survey.id)
        .group_by(SurveySchool.school_id)
    )
    return {school_id: (made, used or 0) for school_id, made, used in rows}


# Autosave

def clean_partial_answers(instrument, answers):
    """Keep only answers that fit the questionnaire: known keys, allowed codes, short text."""
    if not isinstance(answers, dict):
        raise ServiceError("Answers must be sent as an object.")
    cleaned = {}
    for question in instrument.questions:
        value = answers.get(question.key)
        if value is None:
            continue
        if question.type == "text":
            if isinstance(value, str) and value.strip():
                cleaned[question.key] = value[:MAX_SAVED_TEXT]
            continue
        allowed = {code for code, _ in question.choices()}
        values = value if isinstance(value, list) else [value]
        codes = []
        for item in values:
            try:
                code = int(item)
            except (TypeError, ValueError):
                continue
            if code in allowed and code not in codes:
                codes.append(code)
        if codes:
            cleaned[question.key] = codes if question.type == "multiple" else codes[:1]
    return cleaned


def _partial_query(survey_school, submission_key=None, token=None):
    if token:
        condition = PartialResponse.resume_hash == digest("resume", token)
    else:
        condition = PartialResponse.key_hash == digest("partial", submission_key)
    return sa.select(PartialResponse).where(
        PartialResponse.survey_school_id == survey_school.id, condition
    )


def save_partial(survey_school, submission_key, answers, today, token=None):
    """Keep the answers given so far, keyed by the page's submission key (or the invitation)."""
    check_open(survey_school.survey, today)
    if not isinstance(submission_key, str) or not 16 <= len(submission_key) <= 64:
        raise ServiceError("This page is missing its key. Reload the page.")
    cleaned = clean_partial_answers(survey_school.survey.instrument, answers)
    if db.session.scalar(
        sa.select(Response.id).where(Response.idempotency_key == digest("response", submission_key))
    ):
        return None  # already sent; an autosave arriving late must not bring it back
    partial = db.session.scalar(_partial_query(survey_school, submission_key, token))
    if partial is None:
        partial = PartialResponse(
            survey_school_id=survey_school.id, key_hash=digest("partial", submission_key),
            resume_hash=digest("resume", token) if token else None,
        )
        db.session.add(partial)
    partial.answers = cleaned
    partial.saved_on = today
    try:
        commit()
    except Conflict:
        return None  # two autosaves raced to create the row; the next one updates it
    return partial


def load_partial(survey_school, submission_key=None, token=None):
    if not (submission_key or token):
        return None
    return db.session.scalar(_partial_query(survey_school, submission_key, token))


def drop_partials(survey_school, submission_key, token=None):
    """Delete the saved copy in the caller's transaction, when the answers are finally sent."""
    condition = PartialResponse.key_hash == digest("partial", submission_key)
    if token:
        condition = condition | (PartialResponse.resume_hash == digest("resume", token))
    db.session.execute(sa.delete(PartialResponse).where(
        PartialResponse.survey_school_id == survey_school.id, condition
    ))


# Class sessions

def open_class_session(user, survey_school, group_name, minutes, now):
    survey = survey_school.survey
    if survey.access_mode != "class_session":
        raise ServiceError("This survey is not answered in class sessions.")
    check_open(survey, now.date())
    group_name = (group_name or "").strip()
    if not group_name:
        raise ServiceError("Enter the class or year group, for example 'Year 4 Oak'.")
    if len(group_name) > 60:
        raise ServiceError("The class name must be 60 characters or fewer.")
    if not isinstance(minutes, int) or not 10 <= minutes <= 240:
        raise ServiceError("Choose how long the session lasts, from 10 to 240 minutes.")
    session = ClassSession(
        survey_school=survey_school, teacher_id=user.id, group_name=group_name,
        opened_at=now, ends_at=now + timedelta(minutes=minutes),
    )
    db.session.add(session)
    commit("Please try again: that join code was just taken.")
    return session


def normalise_code(code):
    """What a pupil typed, as a join code: capitals, no spaces or dashes."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())[:20]


class SessionEnded(ServiceError):
    def __init__(self, session):
        super().__init__("This class session has ended.")
        self.session = session


def session_by_code(code, now):
    code = normalise_code(code)
    if len(code) != JOIN_CODE_LENGTH or set(code) - set(JOIN_CODE_ALPHABET):
        raise NotFound("Check the code on the board and try again.")
    session = db.session.scalar(sa.select(ClassSession).where(ClassSession.join_code == code))
    if session is None:
        raise NotFound("Check the code on the board and try again.")
    if not session.is_open(now) or session.survey_school.survey.status(now.date()) != "open":
        raise SessionEnded(session)
    return session


def count_join(session):
    db.session.execute(
        sa.update(ClassSession).where(ClassSession.id == session.id)
        .values(joins=ClassSession.joins + 1)
    )
    commit()


def count_completion(session):
    """Add one completion in the caller's transaction (with the response, never linked to it)."""
    db.session.execute(
        sa.update(ClassSession).where(ClassSession.id == session.id)
        .values(completions=ClassSession.completions + 1)
    )


def close_class_session(session, now):
    if session.closed_at is None:
        session.closed_at = now
        commit()
    return session


def class_sessions_for(survey_school_ids):
    return db.session.scalars(
        sa.select(ClassSession).where(ClassSession.survey_school_id.in_(survey_school_ids))
        .order_by(ClassSession.opened_at.desc())
    ).all()


def class_session_surveys(user, today):
    """Open class-session surveys with the schools this user may open sessions for."""
    ids = user.school_ids(*CLASS_ROLES)
    query = (
        sa.select(SurveySchool).join(Survey)
        .where(Survey.access_mode == "class_session", Survey.opens_on <= today,
               Survey.closes_on >= today)
        .order_by(Survey.closes_on, SurveySchool.id)
    )
    if ids is not None:
        query = query.where(SurveySchool.school_id.in_(ids))
    return db.session.scalars(query).all()
