"""How responses arrive: invitation tokens, pupil class sessions and autosaved partial answers."""

import hashlib
import secrets
from datetime import date, datetime, timezone
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

# No 0/O, 1/I/L, 5/S, 2/Z, 8/B: a class reads the code off the board and types it on a tablet.
JOIN_CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
JOIN_CODE_LENGTH = 6


def digest(purpose, secret):
    """sha256 of a secret with its purpose, so one secret's hashes never match another's."""
    return hashlib.sha256(f"{purpose}:{secret}".encode()).hexdigest()


def new_join_code():
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


class InvitationToken(db.Model):
    """A single-use invitation to one school's survey.

    Only the hash of the token is kept, and nothing joins it to the response it produced:
    no response id, no time, only whether it has been used.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_school_id: Mapped[int] = mapped_column(
        sa.ForeignKey("survey_school.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    used: Mapped[bool] = mapped_column(default=False)

    survey_school: Mapped["SurveySchool"] = relationship()  # noqa: F821


class ClassSession(db.Model):
    """A teacher's lesson in which a class answers a pupil survey on shared devices."""

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_school_id: Mapped[int] = mapped_column(
        sa.ForeignKey("survey_school.id", ondelete="CASCADE"), index=True
    )
    teacher_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    group_name: Mapped[str] = mapped_column(sa.String(60))
    join_code: Mapped[str] = mapped_column(sa.String(JOIN_CODE_LENGTH), unique=True, default=new_join_code)
    opened_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    closed_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    # Counts only: the teacher sees how many joined and finished, never who answered what.
    joins: Mapped[int] = mapped_column(default=0)
    completions: Mapped[int] = mapped_column(default=0)

    survey_school: Mapped["SurveySchool"] = relationship()  # noqa: F821
    teacher: Mapped[Optional["User"]] = relationship()  # noqa: F821

    def is_open(self, now):
        return self.closed_at is None and _aware(self.ends_at) > now


def _aware(moment):
    """SQLite hands back naive datetimes for timezone-aware columns; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class PartialResponse(db.Model):
    """Answers saved as someone goes, before they press send; deleted when they do.

    Kept apart from Response so that no count or indicator can include half-finished answers.
    key_hash is a hash of the page's submission key under a different purpose from the
    response's, so a partial seen in one database copy cannot be matched to the response later.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_school_id: Mapped[int] = mapped_column(
        sa.ForeignKey("survey_school.id", ondelete="CASCADE"), index=True
    )
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # For token surveys, so the same link resumes on another device; cleared with the row.
    resume_hash: Mapped[Optional[str]] = mapped_column(sa.String(64), unique=True)
    answers: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    saved_on: Mapped[date]
