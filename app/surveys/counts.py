"""Keeping the answer counts in step with the answers: added on submit, rebuilt after deletes."""

from collections import Counter

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import Answer, AnswerCount, PriorityCount, Question, Survey
from app.models.counts import NO_BREAKDOWN, NOT_ANSWERED
from app.models.instruments import DONT_KNOW

ANSWER_KEY = ("survey_id", "school_id", "context_key", "context_value", "question_key", "value")
PRIORITY_KEY = ("survey_id", "school_id", "context_key", "context_value", "priority_key")


def count_response(survey, school_id, answers):
    """Add one response's answers to the counts, in the caller's transaction.

    answers: (question key, code or None) pairs, as stored.  Each count goes up with an upsert
    (``INSERT ... ON CONFLICT DO UPDATE SET count = count + n``), so two responses stored at
    once both count on SQLite and PostgreSQL alike.  Rows go in key order, so two transactions
    always lock them in the same order and cannot deadlock each other.
    """
    questions = {question.key: question for question in survey.instrument.questions}
    coded = [(key, value) for key, value in answers if value is not None]
    given = {}
    for key, value in answers:
        given.setdefault(key, []).append(NOT_ANSWERED if value is None else value)
    answer_rows, priority_rows = Counter(), Counter()
    priorities = {questions[key].priority_key for key, value in coded
                  if key in questions and value != DONT_KNOW
                  and questions[key].priority_key and questions[key].type != "text"}
    breakdowns = [(NO_BREAKDOWN, [NOT_ANSWERED])] + [
        (question.key, given.get(question.key, [NOT_ANSWERED]))
        for question in questions.values() if question.context
    ]
    for context_key, context_values in breakdowns:
        for context_value in context_values:
            # As the self-join in app.reports.queries: one row per context answer.
            for key, value in coded:
                if key != context_key:
                    answer_rows[(survey.id, school_id, context_key, context_value, key, value)] += 1
        for context_value in set(context_values):
            for priority in priorities:
                priority_rows[(survey.id, school_id, context_key, context_value, priority)] += 1
    _add(AnswerCount, ANSWER_KEY, answer_rows)
    _add(PriorityCount, PRIORITY_KEY, priority_rows)


def _add(model, key_columns, counter):
    if not counter:
        return
    table = model.__table__
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" \
        else sqlite.insert
    # One statement for all rows (executemany), so its compiled form is cached: a multi-row
    # VALUES clause would be compiled afresh for every response.
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=list(key_columns),
        set_={"count": table.c.count + statement.excluded.count})
    db.session.execute(
        statement, [dict(zip(key_columns, key), count=n) for key, n in sorted(counter.items())])


def rebuild(survey_ids=None):
    """Count every answer again (all surveys, or these), in the caller's transaction.

    For after a bulk load or a delete (retention); the result equals what submits add up to.
    Returns the number of answer count rows written.
    """
    answer_table, priority_table = AnswerCount.__table__, PriorityCount.__table__
    drop_counts(survey_ids)
    written = 0
    for select in (_plain_answer_counts(), _context_answer_counts()):
        written += _insert_from(answer_table, ANSWER_KEY, select, survey_ids)
    for select in (_plain_priority_counts(), _context_priority_counts()):
        _insert_from(priority_table, PRIORITY_KEY, select, survey_ids)
    return written


def drop_counts(survey_ids=None):
    """Delete the counts of these surveys (all when None), in the caller's transaction."""
    for table in (AnswerCount.__table__, PriorityCount.__table__):
        delete = sa.delete(table)
        if survey_ids is not None:
            delete = delete.where(table.c.survey_id.in_(survey_ids))
        db.session.execute(delete)


def _insert_from(table, key_columns, select, survey_ids):
    if survey_ids is not None:
        select = select.where(Answer.survey_id.in_(survey_ids))
    result = db.session.execute(sa.insert(table).from_select([*key_columns, "count"], select))
    return max(result.rowcount, 0)


def _plain_answer_counts():
    return (
        sa.select(Answer.survey_id, Answer.school_id, sa.literal(NO_BREAKDOWN),
                  sa.literal(NOT_ANSWERED), Answer.question_key, Answer.value, sa.func.count())
        .where(Answer.value.is_not(None))
        .group_by(Answer.survey_id, Answer.school_id, Answer.question_key, Answer.value)
    )


def _context_answer_counts():
    """Every answer beside each context answer of its response (all context questions at once)."""
    context, context_question = aliased(Answer), aliased(Question)
    context_value = sa.func.coalesce(context.value, NOT_ANSWERED)
    return (
        sa.select(Answer.survey_id, Answer.school_id, context_question.key, context_value,
                  Answer.question_key, Answer.value, sa.func.count())
        .join(Survey, Survey.id == Answer.survey_id)
        .join(context_question, sa.and_(context_question.instrument_id == Survey.instrument_id,
                                        context_question.context.is_not(None)))
        .outerjoin(context, sa.and_(context.response_id == Answer.response_id,
                                    context.question_key == context_question.key))
        .where(Answer.value.is_not(None), Answer.question_key != context_question.key)
        .group_by(Answer.survey_id, Answer.school_id, context_question.key, context_value,
                  Answer.question_key, Answer.value)
    )


def _scored(select):
    """Answers that count towards a priority: coded, not "don't know", on a priority question."""
    return (
        select.join(Survey, Survey.id == Answer.survey_id)
        .join(Question, sa.and_(Question.instrument_id == Survey.instrument_id,
                                Question.key == Answer.question_key))
        .where(Answer.value.is_not(None), Answer.value != DONT_KNOW,
               Question.priority_key.is_not(None), Question.type != "text")
    )


def _plain_priority_counts():
    return _scored(
        sa.select(Answer.survey_id, Answer.school_id, sa.literal(NO_BREAKDOWN),
                  sa.literal(NOT_ANSWERED), Question.priority_key,
                  sa.func.count(sa.distinct(Answer.response_id)))
    ).group_by(Answer.survey_id, Answer.school_id, Question.priority_key)


def _context_priority_counts():
    context, context_question = aliased(Answer), aliased(Question)
    context_value = sa.func.coalesce(context.value, NOT_ANSWERED)
    return _scored(
        sa.select(Answer.survey_id, Answer.school_id, context_question.key, context_value,
                  Question.priority_key, sa.func.count(sa.distinct(Answer.response_id)))
    ).join(context_question, sa.and_(context_question.instrument_id == Survey.instrument_id,
                                     context_question.context.is_not(None))
    ).outerjoin(context, sa.and_(context.response_id == Answer.response_id,
                                 context.question_key == context_question.key)
    ).group_by(Answer.survey_id, Answer.school_id, context_question.key, context_value,
               Question.priority_key)


counts_cli = AppGroup("counts", help="The answer counts that results are worked out from.")


@counts_cli.command("rebuild")
@click.option("--survey", "survey_ids", type=int, multiple=True,
              help="Only this survey (repeat for more); all surveys when left out.")
def rebuild_command(survey_ids):
    """Count every stored answer again, e.g. after a bulk import."""
    written = rebuild(list(survey_ids) or None)
    db.session.commit()
    click.echo(f"Rebuilt the answer counts: {written} rows.")
