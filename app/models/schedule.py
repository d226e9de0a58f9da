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
