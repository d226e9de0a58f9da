"""The trust's annual schedule: survey windows, reviews, governance meetings and visits."""

import uuid
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import db

EVENT_KINDS = {
    "survey_window": "Survey window",
    "review": "Categorisation review",
    "sgc_overview": "CIO overview to the SGC",
    "link_governor_visit": "Link governor visit",
    "wellbeing_meeting": "Wellbeing committee meeting",
    "appraisal": "Appraisal point",
}
TERMS = ("autumn", "spring", "summer")


def new_uid():
    return f"{uuid.uuid4()}@stakeholder-voice"


class ScheduleEvent(db.Model):
    __table_args__ = (sa.CheckConstraint("ends_on >= starts_on", name="event_in_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(sa.ForeignKey("trust.id"), index=True)
    # None for trust-wide events (reviews, wellbeing committee, survey windows for every school).
    school_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("school.id"))
    academic_year: Mapped[int]  # the calendar year the academic year starts in, e.g. 2026 = 2026-27
    term: Mapped[str] = mapped_column(sa.String(10))
    kind: Mapped[str] = mapped_column(sa.String(30))
    audience: Mapped[Optional[str]] = mapped_column(sa.String(20))  # survey windows only
    title: Mapped[str] = mapped_column(sa.String(200))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    survey_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("survey.id", ondelete="SET NULL"))
    # Stable across edits so calendar apps update the event instead of adding a copy.
    uid: Mapped[str] = mapped_column(sa.String(80), unique=True, default=new_uid)
    sequence: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    school: Mapped[Optional["School"]] = relationship()  # noqa: F821
    survey: Mapped[Optional["Survey"]] = relationship()  # noqa: F821

    @property
    def kind_name(self):
        return EVENT_KINDS[self.kind]


class ScheduleSettings(db.Model):
    """The trust's schedule template and survey-fatigue limit, editable by the CIO and trust admin."""

    __table_args__ = (sa.CheckConstraint("max_surveys_per_term >= 1", name="limit_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(sa.ForeignKey("trust.id"), unique=True)
    # No audience at a school is asked more than this many surveys in one term.
    max_surveys_per_term: Mapped[int] = mapped_column(default=2)
    # The template a year is generated from; see app.schedule.services.DEFAULT_TEMPLATE.
    template: Mapped[dict] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))


class WindowSurvey(db.Model):
    """Which school's survey a survey window created; a head may create their own school's alone."""

    __table_args__ = (sa.UniqueConstraint("event_id", "school_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("schedule_event.id", ondelete="CASCADE"))
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("school.id"))
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id", ondelete="CASCADE"))

    survey: Mapped["Survey"] = relationship()  # noqa: F821
