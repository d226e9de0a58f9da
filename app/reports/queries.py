"""SQL that turns stored answers into the count tables app.analysis works on.

The heavy lifting is one GROUP BY per table, so trust-wide results never load rows into Python.
"""

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import Answer, Question, Response, Survey
from app.models.instruments import DONT_KNOW

COUNT_COLUMNS = ["survey_id", "school_id", "question_key", "value", "n"]


def answer_counts(survey_ids, school_ids=None):
    """Answers per survey x school x question x code: columns survey_id, school_id, question_key, value, n."""
    query = (
        sa.select(Answer.survey_id, Answer.school_id, Answer.question_key, Answer.value,
                  sa.func.count().label("n"))
        .where(Answer.survey_id.in_(survey_ids), Answer.value.is_not(None))
        .group_by(Answer.survey_id, Answer.school_id, Answer.question_key, Answer.value)
    )
    if school_ids is not None:
        query = query.where(Answer.school_id.in_(school_ids))
    return _frame(query, COUNT_COLUMNS)


def priority_respondents(survey_ids, school_ids=None):
    """People who gave at least one scored answer in each priority: survey_id, school_id, priority, respondents."""
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
    """Answer counts broken down by one context answer (year group, SEND ...), still one GROUP BY.

    The context is an ordinary answer (question key ``context_key``) of the same response, so a
    self-join on response_id puts it beside every other answer.  Responses without a context
    answer keep a missing ``context`` value, so the breakdown always adds up to the total.
    Columns: survey_id, school_id, context, question_key, value, n.
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


def _frame(query, columns):
    rows = db.session.execute(query).all()
    return pd.DataFrame([tuple(row) for row in rows], columns=columns)
