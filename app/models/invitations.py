"""Contacts of each school and the invitations and reminders sent to them."""

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import db

CONTACT_KINDS = {"staff": "Staff", "family": "Families"}
OUTBOX_STATUSES = ("queued", "sending", "sent", "failed", "bounced", "cancelled")


class Contact(db.Model):
    """A member of staff or a family of one school; a family at two schools is two contacts."""

    __table_args__ = (
        sa.UniqueConstraint("school_id", "kind", "email", name="uq_contact_email"),
        sa.UniqueConstraint("school_id", "kind", "mobile", name="uq_contact_mobile"),
        sa.CheckConstraint("kind IN ('staff','family')", name="known_contact_kind"),
        sa.CheckConstraint("email IS NOT NULL OR mobile IS NOT NULL", name="reachable"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("school.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    name: Mapped[Optional[str]] = mapped_column(sa.String(200))
    email: Mapped[Optional[str]] = mapped_column(sa.String(254))
    mobile: Mapped[Optional[str]] = mapped_column(sa.String(20))
    role_group: Mapped[Optional[str]] = mapped_column(sa.String(60))
    # Families: the year groups of their children at this school, e.g. ["Year 1", "Year 4"].
    year_groups: Mapped[list] = mapped_column(sa.JSON, default=list)
    opted_out: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    school: Mapped["School"] = relationship()  # noqa: F821


class ContactImport(db.Model):
    """An uploaded CSV waiting for its columns to be mapped and the import confirmed."""

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("school.id", ondelete="CASCADE"))
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(10))
    filename: Mapped[str] = mapped_column(sa.String(200))
    text: Mapped[str] = mapped_column(sa.Text)
    mapping: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class MessageTemplate(db.Model):
    """The words of a survey's invitation and reminder emails, with {placeholders}."""

    __table_args__ = (sa.UniqueConstraint("survey_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(sa.String(20))  # "invitation" or "reminder"
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)


class Invitation(db.Model):
    """One contact's email invitation to one school's survey: who was sent which collection token.

    The link is an ordinary InvitationToken (app/models/collection.py), so the respondent
    flow marks it used like a paper letter's. The token row knows whether it was used and
    nothing else; this row knows whom it was sent to; nothing knows which response it produced.
    """

    __table_args__ = (sa.UniqueConstraint("survey_school_id", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_school_id: Mapped[int] = mapped_column(
        sa.ForeignKey("survey_school.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contact.id", ondelete="CASCADE"), index=True)
    token_id: Mapped[int] = mapped_column(
        sa.ForeignKey("invitation_token.id", ondelete="CASCADE"), unique=True
    )
    # The token is worked out again from this seed and the secret key for each email, so
    # reminders carry the same link while the database holds only the token's hash.
    seed: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    contact: Mapped[Contact] = relationship()
    survey_school: Mapped["SurveySchool"] = relationship()  # noqa: F821
    token: Mapped["InvitationToken"] = relationship()  # noqa: F821


class OutboxMessage(db.Model):
    """One email to send or sent: the queue the sender works through and the record of each attempt.

    Unique per invitation and purpose (invitation, reminder_1, reminder_2 ...), so none is
    queued twice. A run claims rows by setting status "sending" with its claim and time; a
    row left "sending" by a killed run is queued again by the next run after
    MAIL_STUCK_MINUTES, with the same Message-ID so mail programs can drop a repeat.
    """

    __table_args__ = (sa.UniqueConstraint("invitation_id", "purpose", name="uq_outbox_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("invitation.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(sa.String(20))  # invitation, reminder_1, reminder_2 ...
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200), default="")
    status: Mapped[str] = mapped_column(sa.String(10), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[Optional[str]] = mapped_column(sa.String(300))
    claim: Mapped[Optional[str]] = mapped_column(sa.String(32), index=True)
    claimed_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    message_id: Mapped[Optional[str]] = mapped_column(sa.String(200))
    # When it was queued, then when it was last sent or failed.
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)

    invitation: Mapped[Invitation] = relationship()
