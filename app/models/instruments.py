"""Instruments (versioned questionnaire designs) and their questions."""

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

AUDIENCES = {
    "parent": "Parents and carers",
    "staff": "Staff",
    "pupil_ks1": "Pupils (KS1)",
    "pupil_ks2": "Pupils (KS2)",
}
QUESTION_TYPES = ("agree5", "faces3", "yes_no", "single", "multiple", "scale010", "text")
DONT_KNOW = -1

AGREE5_LABELS = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"]
FACES3_LABELS = ["Not happy", "Okay", "Happy"]
SCALE_RANGE = {"agree5": (1, 5), "faces3": (1, 3), "yes_no": (0, 1), "scale010": (0, 10)}
DEFAULT_POSITIVE = {"agree5": [4, 5], "faces3": [3], "yes_no": [1], "scale010": [9, 10]}


class Instrument(db.Model):
    __table_args__ = (sa.UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(60))
    version: Mapped[int] = mapped_column(default=1)
    name: Mapped[str] = mapped_column(sa.String(200))
    audience: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")
    description: Mapped[Optional[str]] = mapped_column(sa.Text)
    attribution: Mapped[Optional[str]] = mapped_column(sa.Text)
    published_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))
    # Why this version differs from the one before, shown beside its changed wordings.
    change_note: Mapped[Optional[str]] = mapped_column(sa.Text)

    questions: Mapped[list["Question"]] = relationship(
        back_populates="instrument", order_by="Question.position", cascade="all, delete-orphan"
    )

    @property
    def is_editable(self):
        return self.status == "draft"

    @property
    def label(self):
        return f"{self.name} (version {self.version})"

    def question(self, key):
        return next((q for q in self.questions if q.key == key), None)


class Question(db.Model):
    __table_args__ = (sa.UniqueConstraint("instrument_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(sa.ForeignKey("instrument.id", ondelete="CASCADE"))
    position: Mapped[int]
    section: Mapped[Optional[str]] = mapped_column(sa.String(200))
    # Stable across versions, so trends join on it.
    key: Mapped[str] = mapped_column(sa.String(60))
    text: Mapped[str] = mapped_column(sa.Text)
    type: Mapped[str] = mapped_column(sa.String(20))
    priority_key: Mapped[Optional[str]] = mapped_column(sa.String(40))
    required: Mapped[bool] = mapped_column(default=False)
    dont_know: Mapped[bool] = mapped_column(default=False)
    reverse: Mapped[bool] = mapped_column(default=False)
    positive: Mapped[Optional[list]] = mapped_column(sa.JSON)
    options: Mapped[Optional[list]] = mapped_column(sa.JSON)
    labels: Mapped[Optional[list]] = mapped_column(sa.JSON)
    context: Mapped[Optional[str]] = mapped_column(sa.String(20))
    scale: Mapped[Optional[str]] = mapped_column(sa.String(40))
    hint: Mapped[Optional[str]] = mapped_column(sa.Text)
    read_aloud: Mapped[Optional[str]] = mapped_column(sa.Text)
    condition: Mapped[Optional[dict]] = mapped_column(sa.JSON)
    # Question text in other languages, e.g. {"cy": "...", "pl": "..."}.
    translations: Mapped[Optional[dict]] = mapped_column(sa.JSON)
    # The wording in the previous published version, when this version changed it.
    previous_text: Mapped[Optional[str]] = mapped_column(sa.Text)

    instrument: Mapped[Instrument] = relationship(back_populates="questions")

    def text_in(self, language):
        """The question in `language` when a translation is stored, else in English."""
        return (self.translations or {}).get(language) or self.text

    def language_of(self, language):
        """The language text_in(language) is actually written in."""
        return language if (self.translations or {}).get(language) else "en"

    def choices(self):
        """(code, label) pairs in the order a respondent sees them."""
        if self.type == "agree5":
            labels = self.labels or AGREE5_LABELS
            pairs = [(code, labels[code - 1]) for code in (5, 4, 3, 2, 1)]
            return pairs + ([(DONT_KNOW, "Don't know")] if self.dont_know else [])
        if self.type == "faces3":
            labels = self.labels or FACES3_LABELS
            return [(code, labels[code - 1]) for code in (3, 2, 1)]
        if self.type == "yes_no":
            return [(1, "Yes"), (0, "No")]
        if self.type == "scale010":
            return [(code, str(code)) for code in range(11)]
        if self.type in ("single", "multiple"):
            return list(enumerate(self.options or [], start=1))
        return []

    def positive_codes(self):
        if self.positive is not None:
            return list(self.positive)
        if self.type == "agree5" and self.reverse:
            return [1, 2]
        return list(DEFAULT_POSITIVE.get(self.type, []))

    def scale_range(self):
        if self.type in SCALE_RANGE:
            return SCALE_RANGE[self.type]
        return (1, len(self.options or [])) if self.options else (None, None)

    def is_shown(self, answers):
        """Whether the display condition holds for answers {question key: [codes]}."""
        if not self.condition:
            return True
        given = answers.get(self.condition["question"], [])
        return any(code in self.condition["values"] for code in given)
