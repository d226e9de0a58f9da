"""Categorisation: areas, school data, evidence rules, the CIO's decisions and review snapshots."""

from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import db

# Worst first: a lower rank means the school needs more support.
CATEGORIES = {"stabilise": "Stabilise", "repair": "Repair", "improve": "Improve", "sustain": "Sustain"}
CATEGORY_RANK = {key: rank for rank, key in enumerate(CATEGORIES)}

DEFAULT_AREAS = [
    ("outcomes", "Outcomes"),
    ("quality_of_education", "Quality of education and curriculum"),
    ("behaviour_attendance", "Behaviour and attendance"),
    ("personal_development", "Personal development and wellbeing"),
    ("send_disadvantaged", "SEND and disadvantaged"),
    ("leadership_governance", "Leadership and governance"),
    ("staff", "Staff"),
    ("stakeholder_voice", "Stakeholder voice"),
    ("sustainability", "Sustainability"),
]

# School data that is not a survey: key -> (label, unit, smallest, largest, whole numbers only).
MEASURES = {
    "attendance_pct": ("Attendance", "%", 0, 100, False),
    "persistent_absence_pct": ("Persistent absence", "%", 0, 100, False),
    "suspensions": ("Suspensions", "count", 0, 10000, True),
    "exclusions": ("Permanent exclusions", "count", 0, 1000, True),
    "ks2_rwm_expected_pct": ("KS2 reading, writing and maths at expected standard", "%", 0, 100, False),
    "phonics_pass_pct": ("Year 1 phonics check passed", "%", 0, 100, False),
    "ofsted_grade": ("Latest Ofsted grade (1 outstanding to 4 inadequate)", "grade", 1, 4, True),
    "staff_turnover_pct": ("Staff turnover", "%", 0, 100, False),
}


class Area(db.Model):
    __table_args__ = (sa.UniqueConstraint("trust_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(sa.ForeignKey("trust.id"))
    key: Mapped[str] = mapped_column(sa.String(40))
    name: Mapped[str] = mapped_column(sa.String(120))
    position: Mapped[int] = mapped_column(default=0)


class SchoolMeasure(db.Model):
    """One value of school data, with the date it describes and where it came from."""

    __table_args__ = (sa.UniqueConstraint("school_id", "measure", "as_of"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("school.id"), index=True)
    measure: Mapped[str] = mapped_column(sa.String(40))
    value: Mapped[float]
    as_of: Mapped[date]
    source: Mapped[str] = mapped_column(sa.String(200))
    entered_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    entered_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    school: Mapped["School"] = relationship()  # noqa: F821

    @property
    def label(self):
        return MEASURES[self.measure][0]


class RuleSet(db.Model):
    """One version of the trust's evidence rules; saving rules makes a new version, never an edit."""

    __table_args__ = (sa.UniqueConstraint("trust_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(sa.ForeignKey("trust.id"))
    version: Mapped[int]
    # [{"area": key, "indicator": "measure:attendance_pct" | "priority:parent:behaviour_safety"
    #   | "question:parent:safe", "higher_is_better": bool,
    #   "thresholds": {"stabilise": x, "repair": y, "improve": z}}, ...]
    rules: Mapped[list] = mapped_column(sa.JSON, default=list)
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class Decision(db.Model):
    """The CIO's category for one school and area (area None = overall); rows are only ever added."""

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("school.id"), index=True)
    area_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("area.id"))
    category: Mapped[str] = mapped_column(sa.String(20))
    suggested: Mapped[Optional[str]] = mapped_column(sa.String(20))
    rationale: Mapped[str] = mapped_column(sa.Text, default="")
    rule_set_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("rule_set.id"))
    decided_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    decided_by: Mapped[Optional["User"]] = relationship()  # noqa: F821
    area: Mapped[Optional[Area]] = relationship()

    @property
    def is_override(self):
        return self.category != self.suggested


class Review(db.Model):
    """A 6-monthly review: a frozen copy of every school's indicators, suggestions and decisions."""

    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(sa.ForeignKey("trust.id"))
    name: Mapped[str] = mapped_column(sa.String(120))
    taken_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    taken_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    rule_set_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("rule_set.id"))
    # {"areas": [[key, name]], "schools": {school_id: {...}}}: see categorisation.services.snapshot.
    snapshot: Mapped[dict] = mapped_column(sa.JSON)

    taken_by: Mapped[Optional["User"]] = relationship()  # noqa: F821


class FrozenError(Exception):
    """Raised on any attempt to change or delete a review once it is taken."""


@sa.event.listens_for(Review, "before_update")
def _refuse_update(mapper, connection, target):
    raise FrozenError("A review is frozen once taken; take a new review instead.")


@sa.event.listens_for(Review, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise FrozenError("A review is frozen once taken and cannot be deleted.")
