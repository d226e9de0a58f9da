"""The audit log: who saw, exported or changed what, and when."""

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db


class AuditEvent(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)
    # Kept when the user is deleted: the record of what happened outlives the account.
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(60), index=True)  # e.g. "sign_in", "export"
    school_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("school.id"))
    detail: Mapped[dict] = mapped_column(sa.JSON, default=dict)


def record(action, user=None, school=None, **detail):
    """Add an audit event to the session; it is written with the caller's commit."""
    event = AuditEvent(
        action=action, user_id=getattr(user, "id", None),
        school_id=getattr(school, "id", None), detail=detail,
    )
    db.session.add(event)
    return event
