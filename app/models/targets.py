"""SMART targets: per school and priority, an indicator to move from a baseline to a value by a date."""

from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import db

TARGET_STATUSES = {
    "met": "Met",
    "on_track": "On track",
    "behind": "Behind",
    "insufficient": "Insufficient evidence",
}


class SmartTarget(db.Model):
    __table_args__ = (
        sa.CheckConstraint("target_value >= 0 AND target_value <= 100", name="target_is_percent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("school.id"), index=True)
    priority_key: Mapped[str] = mapped_column(sa.String(40))
    # "priority:parent:wellbeing" or "question:staff:workload", as in the evidence rules.
    indicator: Mapped[str] = mapped_column(sa.String(120))
    baseline: Mapped[float]
    baseline_as_of: Mapped[Optional[date]]  # when the baseline came from data: the survey's close
    baseline_source: Mapped[str] = mapped_column(sa.String(200))
    target_value: Mapped[float]
    target_on: Mapped[date]
    owner: Mapped[str] = mapped_column(sa.String(200))
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)

    school: Mapped["School"] = relationship()  # noqa: F821

    @property
    def rising(self):
        """Most targets raise a % positive; one set below its baseline aims to bring it down."""
        return self.target_value >= self.baseline
