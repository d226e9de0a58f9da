"""The trust, its hubs and schools, and the priorities it improves against."""

from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

# Year groups of an English primary school, in order.
YEAR_GROUPS = ["Reception", "Year 1", "Year 2", "Year 3", "Year 4", "Year 5", "Year 6"]

# Smallest group whose results may be shown; the trust may raise these, never below 3.
DEFAULT_THRESHOLDS = {"staff": 5, "parent": 10, "pupil": 10}
MIN_THRESHOLD = 3
DEFAULT_RETENTION_MONTHS = 36


class Trust(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    min_group_staff: Mapped[int] = mapped_column(default=DEFAULT_THRESHOLDS["staff"])
    min_group_parent: Mapped[int] = mapped_column(default=DEFAULT_THRESHOLDS["parent"])
    min_group_pupil: Mapped[int] = mapped_column(default=DEFAULT_THRESHOLDS["pupil"])
    # Response-level data older than this is deleted by `flask retention run`.
    retention_months: Mapped[int] = mapped_column(default=DEFAULT_RETENTION_MONTHS, server_default="36")

    hubs: Mapped[list["Hub"]] = relationship(back_populates="trust", order_by="Hub.name")
    schools: Mapped[list["School"]] = relationship(back_populates="trust", order_by="School.name")

    def threshold(self, audience):
        """Smallest number of answers whose result may be shown for this audience."""
        if audience.startswith("pupil"):
            value = self.min_group_pupil
        elif audience == "staff":
            value = self.min_group_staff
        else:
            value = self.min_group_parent
        return max(value, MIN_THRESHOLD)


class Hub(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(sa.ForeignKey("trust.id"))
    name: Mapped[str] = mapped_column(sa.String(200))

    trust: Mapped[Trust] = relationship(back_populates="hubs")
    schools: Mapped[list["School"]] = relationship(back_populates="hub", order_by="School.name")


class School(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(sa.ForeignKey("trust.id"))
    hub_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("hub.id"))
    urn: Mapped[str] = mapped_column(sa.String(10), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    phase: Mapped[str] = mapped_column(sa.String(40), default="Primary")
    # Pupils on roll by year group, e.g. {"Reception": 30, "Year 1": 29, ...}.
    roll_by_year: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    staff_count: Mapped[int] = mapped_column(default=0)
    families_count: Mapped[int] = mapped_column(default=0)
    pupil_premium_pct: Mapped[Optional[float]]
    send_pct: Mapped[Optional[float]]

    trust: Mapped[Trust] = relationship(back_populates="schools")
    hub: Mapped[Optional[Hub]] = relationship(back_populates="schools")

    @property
    def roll(self):
        return sum(self.roll_by_year.values())

    def eligible(self, audience):
        """How many people could answer a survey for this audience (the response-rate denominator)."""
        if audience == "staff":
            return self.staff_count
        if audience == "parent":
            return self.families_count
        years = ["Year 1", "Year 2"] if audience == "pupil_ks1" else YEAR_GROUPS[3:]
        return sum(self.roll_by_year.get(year, 0) for year in years)


class Priority(db.Model):
    __table_args__ = (sa.UniqueConstraint("trust_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(sa.ForeignKey("trust.id"))
    key: Mapped[str] = mapped_column(sa.String(40))
    name: Mapped[str] = mapped_column(sa.String(120))
    position: Mapped[int] = mapped_column(default=0)

    trust: Mapped[Trust] = relationship()


DEFAULT_PRIORITIES = [
    ("wellbeing", "Wellbeing"),
    ("behaviour_safety", "Behaviour and safety"),
    ("inclusion", "Inclusion (SEND and disadvantaged)"),
    ("curriculum", "Curriculum"),
    ("leadership_communication", "Leadership and communication"),
    ("sustainability", "Sustainability"),
]
