"""Free-text comments: the trust's word lists and the safeguarding flags the DSL works through."""

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import db

# Words and phrases that send a comment to the school's DSL before anyone else may read it.
DEFAULT_SAFEGUARDING_WORDS = [
    "harm", "hurt me", "hurts me", "abuse", "abused", "hit me", "hits me", "kick me", "unsafe at home",
    "not safe at home", "scared to go home", "afraid to go home", "self-harm",
    "cut myself", "cutting myself", "suicide", "kill myself", "want to die", "touched",
    "touches me", "neglect", "no food at home", "hungry", "secret", "frightened", "grooming",
]
# Keywords that tag a comment to a priority; the trust edits these.
DEFAULT_TOPIC_WORDS = {
    "wellbeing": ["happy", "unhappy", "anxious", "anxiety", "worried", "wellbeing", "stress", "lonely"],
    "behaviour_safety": ["bully", "bullied", "bullying", "behaviour", "safe", "fight", "playground"],
    "inclusion": ["send", "sen", "senco", "ehcp", "support", "needs", "included", "disab"],
    "curriculum": ["homework", "reading", "phonics", "maths", "curriculum", "lessons", "learn"],
    "leadership_communication": ["communication", "email", "newsletter", "told", "informed",
                                 "parents evening", "head", "respond", "listen"],
    "sustainability": ["recycling", "environment", "eco", "garden", "climate", "plastic"],
}
WORD_LIST_KINDS = ("safeguarding", "names", "topic")


class WordList(db.Model):
    """One editable list of words: safeguarding (trust), names (per school), topic (per priority)."""

    __table_args__ = (sa.UniqueConstraint("trust_id", "kind", "school_id", "priority_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(sa.ForeignKey("trust.id"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    school_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("school.id"))
    priority_key: Mapped[Optional[str]] = mapped_column(sa.String(40))
    words: Mapped[list] = mapped_column(sa.JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)


FLAG_STATUSES = {"open": "Waiting for the DSL", "handled": "Handled"}


class CommentFlag(db.Model):
    """A free-text answer that matched the safeguarding list: only the school's DSL may read it.

    Nothing here points at a person: the answer belongs to an anonymous response.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(sa.ForeignKey("answer.id", ondelete="CASCADE"),
                                           unique=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("school.id"), index=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id", ondelete="CASCADE"))
    matched: Mapped[list] = mapped_column(sa.JSON, default=list)
    status: Mapped[str] = mapped_column(sa.String(10), default="open")
    flagged_on: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    action_taken: Mapped[Optional[str]] = mapped_column(sa.Text)
    # After handling, the DSL decides whether the comment may join the others (names removed).
    release: Mapped[bool] = mapped_column(default=False)
    handled_by_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"))
    handled_at: Mapped[Optional[datetime]] = mapped_column(sa.DateTime(timezone=True))

    answer: Mapped["Answer"] = relationship()  # noqa: F821
    school: Mapped["School"] = relationship()  # noqa: F821
    survey: Mapped["Survey"] = relationship()  # noqa: F821
    handled_by: Mapped[Optional["User"]] = relationship()  # noqa: F821

    @property
    def is_open(self):
        return self.status == "open"
