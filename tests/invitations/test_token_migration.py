"""Migration 0009: invitations made before the join keep their links, now as collection tokens."""

from datetime import datetime, timezone

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app.extensions import db
from app.invitations.services import token_of
from app.models import Invitation, InvitationToken, OutboxMessage
from app.surveys.collection import token_by_value
from tests.builders import make_contact, make_school, make_survey, make_trust


def test_old_invitations_become_tokens_with_the_same_link_and_their_state_kept(app):
    sent_at = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
    with app.app_context():
        school = make_school(make_trust())
        survey = make_survey([school])
        contacts = [make_contact(school, f"family{n}@example.org") for n in range(3)]
        link_id = survey.schools[0].id
        db.session.commit()
        ids = [c.id for c in contacts]
        db.session.remove()
        downgrade(revision="0008_invitations")
        old = sa.table("invitation", *(sa.column(name) for name in (
            "id", "survey_school_id", "contact_id", "seed", "token_hash", "status", "attempts",
            "error", "sent_at", "reminders_sent", "used")))
        outbox = sa.table("outbox_message", *(sa.column(name) for name in (
            "invitation_id", "purpose", "recipient", "subject", "status", "at")))
        states = [("sent", True), ("sent", False), ("queued", False)]
        with db.engine.begin() as conn:
            for number, (contact_id, (status, used)) in enumerate(zip(ids, states), start=1):
                conn.execute(old.insert().values(
                    id=number, survey_school_id=link_id, contact_id=contact_id, seed=f"seed{number}",
                    token_hash=f"{number:064d}", status=status, attempts=1 if status == "sent" else 0,
                    sent_at=sent_at if status == "sent" else None, reminders_sent=0, used=used))
                if status == "sent":
                    conn.execute(outbox.insert().values(
                        invitation_id=number, purpose="invitation", recipient=f"family{number - 1}@example.org",
                        subject="Hello", status="sent", at=sent_at))
        upgrade()
        db.session.remove()

        for number, (status, used) in enumerate(states, start=1):
            token = token_by_value(token_of(f"seed{number}"))  # the link in the email now answers
            assert token.used is used
            invitation = db.session.get(Invitation, number)
            assert invitation.token_id == token.id
            (message,) = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.invitation_id == number))
            assert message.status == status and message.purpose == "invitation"
        db.session.remove()  # PostgreSQL: an open transaction's locks would block the downgrade

        downgrade(revision="0008_invitations")
        with db.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT id, status, used FROM invitation ORDER BY id")).all()
            assert [(r.id, r.status, bool(r.used)) for r in rows] == [(1, "sent", True), (2, "sent", False), (3, "queued", False)]
            assert conn.execute(sa.text("SELECT count(*) FROM outbox_message")).scalar() == 2
        upgrade()
        db.session.remove()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(InvitationToken)) == 3
        db.session.remove()
