"""Calendar subscriptions: a secret URL per user that a calendar app reads without signing in."""

from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import db


class CalendarFeed(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # One live feed per user: a new one replaces the old, revoking it.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    # SHA-256 of the secret; the secret itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    last_used_on: Mapped[Optional[date]]  # a day, not a time: enough to spot a dead feed

    user: Mapped["User"] = relationship()  # noqa: F821
