"""Surveys: one run of an instrument version for some schools in a window."""

import secrets
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.clock import utcnow

ACCESS_MODES = {
    "open_link": "Open link per school, one response per device",
    "tokens": "Single-use invitations, one per person",
    "class_session": "Pupils in class, with a join code a teacher shows on the board",
}
ANONYMITY = {
    "anonymous": "Anonymous",
    "confidential": "Confidential",
    "named": "Named",
}
# Looser settings come later: a survey may move left along this list, never right.
ANONYMITY_ORDER = ["anonymous", "confidential", "named"]


def new_link_code():
    """An unguessable code for a school's survey link."""
    return secrets.token_urlsafe(9)


class Survey(db.Model):
    __table_args__ = (sa.CheckConstraint("closes_on >= opens_on", name="window_in_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    instrument_id: Mapped[int] = mapped_column(sa.ForeignKey("instrument.id"))
    opens_on: Mapped[date]
    closes_on: Mapped[date]
    access_mode: Mapped[str] = mapped_column(sa.String(20), default="open_link")
    anonymity: Mapped[str] = mapped_column(sa.String(20), default="anonymous")
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    instrument: Mapped["Instrument"] = relationship()  # noqa: F821
    schools: Mapped[list["SurveySchool"]] = relationship(
        back_populates="survey", cascade="all, delete-orphan"
    )

    def status(self, today):
        if today < self.opens_on:
            return "scheduled"
        if today > self.closes_on:
            return "closed"
        return "open"

    def is_open(self, today):
        return self.status(today) == "open"


class SurveySchool(db.Model):
    """A school taking part in a survey, with its own respondent link."""

    __table_args__ = (sa.UniqueConstraint("survey_id", "school_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id", ondelete="CASCADE"))
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("school.id"))
    link_code: Mapped[str] = mapped_column(sa.String(32), unique=True, default=new_link_code)

    survey: Mapped[Survey] = relationship(back_populates="schools")
    school: Mapped["School"] = relationship()  # noqa: F821
