"""SQL that turns stored answers into the count tables app.analysis works on.

Plain counts and the context breakdowns of an instrument's own context questions come from the
answer counts kept on submit (app.surveys.counts), a few thousand rows whatever the number of
responses.  A breakdown the counts do not hold falls back to one GROUP BY over the answers.
"""

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import Answer, AnswerCount, PriorityCount, Question, Response, Survey
from app.models.counts import NO_BREAKDOWN, NOT_ANSWERED
from app.models.instruments import DONT_KNOW

COUNT_COLUMNS = ["survey_id", "school_id", "question_key", "value", "n"]


def answer_counts(survey_ids, school_ids=None):
    """Answers per survey x school x question x code: columns survey_id, school_id, question_key, value, n."""
    query = sa.select(AnswerCount.survey_id, AnswerCount.school_id, AnswerCount.question_key,
                      AnswerCount.value, AnswerCount.count)
    return _frame(_counted(query, AnswerCount, survey_ids, NO_BREAKDOWN, school_ids),
                  COUNT_COLUMNS)


def priority_respondents(survey_ids, school_ids=None):
    """People who gave at least one scored answer in each priority: survey_id, school_id, priority, respondents."""
    query = sa.select(PriorityCount.survey_id, PriorityCount.school_id,
                      PriorityCount.priority_key, PriorityCount.count)
    return _frame(_counted(query, PriorityCount, survey_ids, NO_BREAKDOWN, school_ids),
                  ["survey_id", "school_id", "priority", "respondents"])


def answer_counts_from_answers(survey_ids, school_ids=None):
    """As :func:`answer_counts`, by one GROUP BY over the answers (what the counts must equal)."""
    query = (
        sa.select(Answer.survey_id, Answer.school_id, Answer.question_key, Answer.value,
                  sa.func.count().label("n"))
        .where(Answer.survey_id.in_(survey_ids), Answer.value.is_not(None))
        .group_by(Answer.survey_id, Answer.school_id, Answer.question_key, Answer.value)
    )
    if school_ids is not None:
        query = query.where(Answer.school_id.in_(school_ids))
    return _frame(query, COUNT_COLUMNS)


def priority_respondents_from_answers(survey_ids, school_ids=None):
    """As :func:`priority_respondents`, by one GROUP BY over the answers."""
    query = (
        sa.select(Answer.survey_id, Answer.school_id, Question.priority_key,
                  sa.func.count(sa.distinct(Answer.response_id)).label("respondents"))
        .join(Survey, Survey.id == Answer.survey_id)
        .join(Question, sa.and_(Question.instrument_id == Survey.instrument_id,
                                Question.key == Answer.question_key))
        .where(Answer.survey_id.in_(survey_ids), Answer.value.is_not(None),
               Answer.value != DONT_KNOW, Question.priority_key.is_not(None),
               Question.type != "text")
        .group_by(Answer.survey_id, Answer.school_id, Question.priority_key)
    )
    if school_ids is not None:
        query = query.where(Answer.school_id.in_(school_ids))
    return _frame(query, ["survey_id", "school_id", "priority", "respondents"])


def answer_total(survey_id):
    """Answers counted for a survey: changes whenever a response is stored or deleted."""
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(AnswerCount.count), 0))
        .where(AnswerCount.survey_id == survey_id, AnswerCount.context_key == NO_BREAKDOWN))


def _counted(query, model, survey_ids, context_key, school_ids):
    query = query.where(model.survey_id.in_(survey_ids), model.context_key == context_key)
    if school_ids is not None:
        query = query.where(model.school_id.in_(school_ids))
    return query


def counted_context(survey_ids, context_key):
    """Whether the counts hold this breakdown: it is a context question of every survey's instrument."""
    surveys = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Survey.id)))
        .join(Question, Question.instrument_id == Survey.instrument_id)
        .where(Survey.id.in_(survey_ids), Question.key == context_key,
               Question.context.is_not(None)))
    return surveys == len(set(survey_ids))


def response_totals(survey_ids, school_ids=None):
    """Complete responses per survey x school: survey_id, school_id, responses."""
    query = (
        sa.select(Response.survey_id, Response.school_id, sa.func.count().label("responses"))
        .where(Response.survey_id.in_(survey_ids), Response.status == "complete")
        .group_by(Response.survey_id, Response.school_id)
    )
    if school_ids is not None:
        query = query.where(Response.school_id.in_(school_ids))
    return _frame(query, ["survey_id", "school_id", "responses"])


def context_answer_counts(survey_ids, context_key, school_ids=None):
    """Answer counts broken down by one context answer (year group, SEND ...).

    Responses without a context answer keep a missing ``context`` value, so the breakdown
    always adds up to the total.  Columns: survey_id, school_id, context, question_key, value, n.
    """
    columns = ["survey_id", "school_id", "context", "question_key", "value", "n"]
    if counted_context(survey_ids, context_key):
        query = sa.select(AnswerCount.survey_id, AnswerCount.school_id,
                          AnswerCount.context_value, AnswerCount.question_key,
                          AnswerCount.value, AnswerCount.count)
        return _contexts(_frame(_counted(query, AnswerCount, survey_ids, context_key,
                                         school_ids), columns))
    return context_answer_counts_from_answers(survey_ids, context_key, school_ids)


def context_answer_counts_from_answers(survey_ids, context_key, school_ids=None):
    """As :func:`context_answer_counts`, by one GROUP BY over the answers.

    The context is an ordinary answer (question key ``context_key``) of the same response, so a
    self-join on response_id puts it beside every other answer.
    """
    context = aliased(Answer)
    query = (
        sa.select(Answer.survey_id, Answer.school_id, context.value.label("context"),
                  Answer.question_key, Answer.value, sa.func.count().label("n"))
        .outerjoin(context, sa.and_(context.response_id == Answer.response_id,
                                    context.question_key == context_key))
        .where(Answer.survey_id.in_(survey_ids), Answer.value.is_not(None),
               Answer.question_key != context_key)
        .group_by(Answer.survey_id, Answer.school_id, context.value, Answer.question_key,
                  Answer.value)
    )
    if school_ids is not None:
        query = query.where(Answer.school_id.in_(school_ids))
    return _frame(query, ["survey_id", "school_id", "context", "question_key", "value", "n"])


def context_priority_respondents(survey_ids, context_key, school_ids=None):
    """As :func:`priority_respondents`, broken down by one context answer."""
    columns = ["survey_id", "school_id", "context", "priority", "respondents"]
    if counted_context(survey_ids, context_key):
        query = sa.select(PriorityCount.survey_id, PriorityCount.school_id,
                          PriorityCount.context_value, PriorityCount.priority_key,
                          PriorityCount.count)
        return _contexts(_frame(_counted(query, PriorityCount, survey_ids, context_key,
                                         school_ids), columns))
    return context_priority_respondents_from_answers(survey_ids, context_key, school_ids)


def context_priority_respondents_from_answers(survey_ids, context_key, school_ids=None):
    """As :func:`context_priority_respondents`, by one GROUP BY over the answers."""
    context = aliased(Answer)
    query = (
        sa.select(Answer.survey_id, Answer.school_id, context.value.label("context"),
                  Question.priority_key,
                  sa.func.count(sa.distinct(Answer.response_id)).label("respondents"))
        .join(Survey, Survey.id == Answer.survey_id)
        .join(Question, sa.and_(Question.instrument_id == Survey.instrument_id,
                                Question.key == Answer.question_key))
        .outerjoin(context, sa.and_(context.response_id == Answer.response_id,
                                    context.question_key == context_key))
        .where(Answer.survey_id.in_(survey_ids), Answer.value.is_not(None),
               Answer.value != DONT_KNOW, Question.priority_key.is_not(None),
               Question.type != "text")
        .group_by(Answer.survey_id, Answer.school_id, context.value, Question.priority_key)
    )
    if school_ids is not None:
        query = query.where(Answer.school_id.in_(school_ids))
    return _frame(query, ["survey_id", "school_id", "context", "priority", "respondents"])


def questions_frame(instrument):
    """The scored questions of an instrument in the shape app.analysis expects."""
    rows = []
    for question in instrument.questions:
        if question.type == "text":
            continue
        low, high = question.scale_range()
        rows.append({
            "question_key": question.key, "priority": question.priority_key,
            "type": question.type, "positive_values": question.positive_codes(),
            "scale_min": low, "scale_max": high, "reverse": question.reverse,
            "scale": question.scale, "text": question.text,
        })
    return pd.DataFrame(rows, columns=[
        "question_key", "priority", "type", "positive_values", "scale_min", "scale_max",
        "reverse", "scale", "text",
    ])


def _contexts(frame):
    """The counts' stand-in for "no context answer" back to a missing value."""
    frame["context"] = frame["context"].astype(object).where(frame["context"] != NOT_ANSWERED, None)
    return frame


def _frame(query, columns):
    rows = db.session.execute(query).all()
    return pd.DataFrame([tuple(row) for row in rows], columns=columns)
