"""Action plans: what a school does about a priority, linked to the indicator it answers."""

from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import db

ACTION_STATUSES = {"planned": "Planned", "in_progress": "In progress", "done": "Done"}


class Action(db.Model):
    __table_args__ = (
        sa.CheckConstraint("status IN ('planned','in_progress','done')", name="known_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("school.id"), index=True)
    priority_key: Mapped[str] = mapped_column(sa.String(40))
    # The question (indicator) the action answers; stable across instrument versions.
    question_key: Mapped[Optional[str]] = mapped_column(sa.String(60))
    # "You said": the finding, in plain words; "we did": the action.
    you_said: Mapped[str] = mapped_column(sa.Text)
    title: Mapped[str] = mapped_column(sa.String(300))
    owner: Mapped[str] = mapped_column(sa.String(200))
    due_on: Mapped[date]
    status: Mapped[str] = mapped_column(sa.String(20), default="planned")
    progress: Mapped[Optional[str]] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)

    school: Mapped["School"] = relationship()  # noqa: F821

    @property
    def status_label(self):
        return ACTION_STATUSES[self.status]

    def is_overdue(self, today):
        return self.status != "done" and self.due_on < today
