"""create SMART targets, calendar feeds, schedule settings and window surveys

Revision ID: 0012_targets_schedule
Revises: 0011_answer_counts
Create Date: 2026-11-23 13:47:18.028436

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_targets_schedule'
down_revision = '0011_answer_counts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_feed',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_calendar_feed_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feed')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feed_token_hash')),
    sa.UniqueConstraint('user_id', name=op.f('uq_calendar_feed_user_id'))
    )
    op.create_table('schedule_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('max_surveys_per_term', sa.Integer(), nullable=False),
    sa.Column('template', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('max_surveys_per_term >= 1', name=op.f('ck_schedule_settings_limit_positive')),
    sa.ForeignKeyConstraint(['trust_id'], ['trust.id'], name=op.f('fk_schedule_settings_trust_id_trust')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_schedule_settings_updated_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedule_settings')),
    sa.UniqueConstraint('trust_id', name=op.f('uq_schedule_settings_trust_id'))
    )
    op.create_table('smart_target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('priority_key', sa.String(length=40), nullable=False),
    sa.Column('indicator', sa.String(length=120), nullable=False),
    sa.Column('baseline', sa.Double(), nullable=False),
    sa.Column('baseline_as_of', sa.Date(), nullable=True),
    sa.Column('baseline_source', sa.String(length=200), nullable=False),
    sa.Column('target_value', sa.Double(), nullable=False),
    sa.Column('target_on', sa.Date(), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('target_value >= 0 AND target_value <= 100', name=op.f('ck_smart_target_target_is_percent')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_smart_target_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_smart_target_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_smart_target'))
    )
    with op.batch_alter_table('smart_target', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_smart_target_school_id'), ['school_id'], unique=False)

    op.create_table('window_survey',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['schedule_event.id'], name=op.f('fk_window_survey_event_id_schedule_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_window_survey_school_id_school')),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_window_survey_survey_id_survey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_window_survey')),
    sa.UniqueConstraint('event_id', 'school_id', name=op.f('uq_window_survey_event_id_school_id'))
    )


def downgrade():
    op.drop_table('window_survey')
    with op.batch_alter_table('smart_target', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_smart_target_school_id'))

    op.drop_table('smart_target')
    op.drop_table('schedule_settings')
    op.drop_table('calendar_feed')
