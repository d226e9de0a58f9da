"""Answer counts per survey x school x question x code, kept up to date as responses arrive."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

#: context_key of the plain counts (no breakdown).
NO_BREAKDOWN = ""
#: context_value of the plain counts, and of responses that did not answer the context question.
NOT_ANSWERED = -99


class CountKey:
    """The survey, school and breakdown (context question and its answer) a count is kept for."""

    # sort_order: these come first in the table, as in migration 0011.
    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-1)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id", ondelete="CASCADE"),
                                           sort_order=-1)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("school.id"), sort_order=-1)
    context_key: Mapped[str] = mapped_column(sa.String(60), sort_order=-1)
    context_value: Mapped[int] = mapped_column(sort_order=-1)


class AnswerCount(CountKey, db.Model):
    """How many answers gave each code, overall and broken down by each context question.

    Rows with ``context_key == ""`` are the plain counts (GROUP BY survey, school, question,
    code over answers).  Rows with a context question's key (year group, SEND, role group ...)
    count the same answers split by that response's answer to it, so a subgroup gap needs no
    self-join over millions of answers.  ``NOT_ANSWERED`` stands for "no context answer"
    because NULLs never clash in a unique index, and the upsert needs them to.
    """

    __table_args__ = (
        sa.UniqueConstraint("survey_id", "school_id", "context_key", "context_value",
                            "question_key", "value", name="uq_answer_count_key"),
    )

    question_key: Mapped[str] = mapped_column(sa.String(60))
    value: Mapped[int]
    count: Mapped[int]


class PriorityCount(CountKey, db.Model):
    """Respondents who gave at least one scored answer in each priority (the n of a priority)."""

    __table_args__ = (
        sa.UniqueConstraint("survey_id", "school_id", "context_key", "context_value",
                            "priority_key", name="uq_priority_count_key"),
    )

    priority_key: Mapped[str] = mapped_column(sa.String(40))
    count: Mapped[int]
