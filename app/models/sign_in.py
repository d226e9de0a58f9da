"""Failed sign-ins counted per email address tried, whether or not an account has it."""

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class SignInThrottle(db.Model):
    # An HMAC of the email tried: counts attempts without keeping addresses people mistyped.
    email_digest: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    last_failed_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
