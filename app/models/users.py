"""People who sign in, and the roles and school scopes they hold."""

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import db

ROLES = {
    "trust_admin": "Trust admin",
    "cio": "CIO",
    "head": "Headteacher",
    "wellbeing": "Wellbeing committee",
    "governor": "Governor",
    "dsl": "Designated safeguarding lead",
    "teacher": "Teacher",
}
# Roles that see every school of the trust; the others are held for one school.
TRUST_WIDE_ROLES = {"trust_admin", "cio"}

_hasher = PasswordHasher()


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    roles: Mapped[list["RoleAssignment"]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_active(self):
        return self.active

    def set_password(self, password):
        self.password_hash = _hasher.hash(password)

    def check_password(self, password):
        try:
            return _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def has_role(self, *roles):
        return any(assignment.role in roles for assignment in self.roles)

    def school_ids(self, *roles):
        """Schools this user may see in the given roles (any role if none given); None means all."""
        ids = set()
        for assignment in self.roles:
            if roles and assignment.role not in roles:
                continue
            if assignment.school_id is None:
                return None
            ids.add(assignment.school_id)
        return ids

    def role_names(self):
        return sorted({ROLES[a.role] for a in self.roles})


class RoleAssignment(db.Model):
    __table_args__ = (
        sa.UniqueConstraint("user_id", "role", "school_id"),
        sa.CheckConstraint(
            "role IN ('trust_admin','cio','head','wellbeing','governor','dsl','teacher')",
            name="known_role",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(sa.String(20))
    # None: across the trust (trust admin, CIO, trust-wide wellbeing committee).
    school_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("school.id"))

    user: Mapped[User] = relationship(back_populates="roles")
    school: Mapped[Optional["School"]] = relationship()  # noqa: F821
