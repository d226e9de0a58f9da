"""email invitations become collection invitation tokens; the outbox becomes the send queue

Each existing invitation gets the collection token its seed stands for (same token, now
answerable at /i/<token>; the old /t/ links never had a page), keeping whether it was used.
Its sending state moves to its outbox row; an invitation still queued gets a queued row.

Revision ID: 0009_token_join
Revises: 0008_invitations
Create Date: 2026-11-23 13:50:25.656055

"""
import base64
import hashlib
import hmac
from contextlib import contextmanager
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
from flask import current_app


# revision identifiers, used by Alembic.
revision = '0009_token_join'
down_revision = '0008_invitations'
branch_labels = None
depends_on = None


def _token(seed):
    """app.invitations.services.token_of, frozen here so later changes there cannot change old links."""
    key = current_app.config["SECRET_KEY"].encode()
    mac = hmac.new(key, b"invitation-token:" + seed.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:16]).rstrip(b"=").decode()


def _digest(purpose, secret):
    return hashlib.sha256(f"{purpose}:{secret}".encode()).hexdigest()


invitation = sa.table(
    'invitation', sa.column('id', sa.Integer), sa.column('survey_school_id', sa.Integer),
    sa.column('contact_id', sa.Integer), sa.column('seed', sa.String),
    sa.column('token_hash', sa.String), sa.column('status', sa.String),
    sa.column('attempts', sa.Integer), sa.column('error', sa.String),
    sa.column('sent_at', sa.DateTime(timezone=True)), sa.column('reminders_sent', sa.Integer),
    sa.column('used', sa.Boolean), sa.column('token_id', sa.Integer),
    sa.column('created_at', sa.DateTime(timezone=True)),
)
token = sa.Table(  # a Table, not sa.table, so an insert reports its new id
    'invitation_token', sa.MetaData(), sa.Column('id', sa.Integer, primary_key=True),
    sa.Column('survey_school_id', sa.Integer), sa.Column('token_hash', sa.String),
    sa.Column('used', sa.Boolean),
)
outbox = sa.table(
    'outbox_message', sa.column('id', sa.Integer), sa.column('invitation_id', sa.Integer),
    sa.column('purpose', sa.String), sa.column('recipient', sa.String),
    sa.column('subject', sa.String), sa.column('status', sa.String), sa.column('error', sa.String),
    sa.column('attempts', sa.Integer), sa.column('at', sa.DateTime(timezone=True)),
)
contact = sa.table('contact', sa.column('id', sa.Integer), sa.column('email', sa.String))


@contextmanager
def _rebuilding_invitation(bind):
    """Keep the outbox while the invitation table is rebuilt.

    SQLite's batch mode copies the table and drops the old one, and with foreign keys on that
    drop cascades to every outbox row; so a copy of the outbox is put back afterwards.
    """
    table = sa.Table('outbox_message', sa.MetaData(), autoload_with=bind)
    rows = [dict(row) for row in bind.execute(sa.select(table)).mappings()]
    yield
    if bind.dialect.name == 'sqlite' and rows:
        bind.execute(table.delete())
        bind.execute(table.insert(), rows)


def upgrade():
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('created_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('claim', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('message_id', sa.String(length=200), nullable=True))

    bind = op.get_bind()
    now = datetime.now(timezone.utc)
    rows = bind.execute(sa.select(
        invitation.c.id, invitation.c.survey_school_id, invitation.c.seed, invitation.c.used,
        invitation.c.status, invitation.c.attempts, invitation.c.sent_at, contact.c.email,
    ).join(contact, contact.c.id == invitation.c.contact_id)).all()
    with_outbox = set(bind.scalars(
        sa.select(outbox.c.invitation_id).where(outbox.c.purpose == 'invitation')))
    for row in rows:
        token_id = bind.execute(token.insert().values(
            survey_school_id=row.survey_school_id, used=row.used,
            token_hash=_digest('invitation', _token(row.seed)))).inserted_primary_key[0]
        bind.execute(invitation.update().where(invitation.c.id == row.id)
                     .values(token_id=token_id, created_at=row.sent_at or now))
        if row.id in with_outbox:
            bind.execute(outbox.update().where(outbox.c.invitation_id == row.id, outbox.c.purpose == 'invitation')
                         .values(attempts=row.attempts))
        elif row.email:
            bind.execute(outbox.insert().values(invitation_id=row.id, purpose='invitation', recipient=row.email,
                                                subject='', status='queued', attempts=row.attempts, at=now))

    with _rebuilding_invitation(bind), op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.alter_column('token_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('created_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_invitation_token_hash'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_invitation_token_id'), ['token_id'])
        batch_op.create_foreign_key(batch_op.f('fk_invitation_token_id_invitation_token'), 'invitation_token', ['token_id'], ['id'], ondelete='CASCADE')
        batch_op.drop_column('used')
        batch_op.drop_column('error')
        batch_op.drop_column('token_hash')
        batch_op.drop_column('reminders_sent')
        batch_op.drop_column('attempts')
        batch_op.drop_column('sent_at')
        batch_op.drop_column('status')

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.alter_column('attempts', existing_type=sa.Integer(), server_default=None)
        batch_op.create_index(batch_op.f('ix_outbox_message_claim'), ['claim'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_message_status'), ['status'], unique=False)


def downgrade():
    """Back to invitations with their own hash and state; their tokens leave the collection table."""
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reminders_sent', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('token_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('error', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('used', sa.Boolean(), nullable=True))

    bind = op.get_bind()
    rows = bind.execute(sa.select(invitation.c.id, invitation.c.seed, token.c.used)
                        .join(token, token.c.id == invitation.c.token_id)).all()
    for row in rows:
        sent = bind.execute(sa.select(outbox.c.status, outbox.c.attempts, outbox.c.error, outbox.c.at).where(
            outbox.c.invitation_id == row.id, outbox.c.purpose == 'invitation')).first()
        reminders = bind.scalar(sa.select(sa.func.count()).select_from(outbox).where(
            outbox.c.invitation_id == row.id, outbox.c.purpose != 'invitation', outbox.c.status == 'sent'))
        status = sent.status if sent and sent.status in ('sent', 'failed', 'bounced') else 'queued'
        bind.execute(invitation.update().where(invitation.c.id == row.id).values(
            status=status, sent_at=sent.at if status == 'sent' else None, attempts=sent.attempts if sent else 0,
            error=sent.error if sent else None, reminders_sent=reminders, used=row.used,
            token_hash=hashlib.sha256(_token(row.seed).encode()).hexdigest()))
    # The old schema claimed an outbox row only when it sent: rows not yet sent go.
    bind.execute(outbox.delete().where(outbox.c.status.in_(('queued', 'sending', 'cancelled'))))
    token_ids = list(bind.scalars(sa.select(invitation.c.token_id)))

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_status'))
        batch_op.drop_index(batch_op.f('ix_outbox_message_claim'))
        batch_op.drop_column('message_id')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('claim')
        batch_op.drop_column('attempts')

    with _rebuilding_invitation(bind), op.batch_alter_table('invitation', schema=None) as batch_op:
        for name, type_ in (('status', sa.String(length=10)), ('attempts', sa.Integer()),
                            ('reminders_sent', sa.Integer()), ('token_hash', sa.String(length=64)),
                            ('used', sa.Boolean())):
            batch_op.alter_column(name, existing_type=type_, nullable=False)
        batch_op.drop_constraint(batch_op.f('fk_invitation_token_id_invitation_token'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_invitation_token_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_invitation_token_hash'), ['token_hash'])
        batch_op.drop_column('created_at')
        batch_op.drop_column('token_id')
    if token_ids:
        bind.execute(token.delete().where(token.c.id.in_(token_ids)))
