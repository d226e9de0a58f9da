"""add invitation tokens, class sessions and partial responses

Revision ID: 0002_collection
Revises: 0001
Create Date: 2026-11-23 11:15:19.415604

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_collection'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('class_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_school_id', sa.Integer(), nullable=False),
    sa.Column('teacher_id', sa.Integer(), nullable=True),
    sa.Column('group_name', sa.String(length=60), nullable=False),
    sa.Column('join_code', sa.String(length=6), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('joins', sa.Integer(), nullable=False),
    sa.Column('completions', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['survey_school_id'], ['survey_school.id'], name=op.f('fk_class_session_survey_school_id_survey_school'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['teacher_id'], ['user.id'], name=op.f('fk_class_session_teacher_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_class_session')),
    sa.UniqueConstraint('join_code', name=op.f('uq_class_session_join_code'))
    )
    with op.batch_alter_table('class_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_class_session_survey_school_id'), ['survey_school_id'], unique=False)

    op.create_table('invitation_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_school_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('used', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['survey_school_id'], ['survey_school.id'], name=op.f('fk_invitation_token_survey_school_id_survey_school'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitation_token_token_hash'))
    )
    with op.batch_alter_table('invitation_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_token_survey_school_id'), ['survey_school_id'], unique=False)

    op.create_table('partial_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_school_id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('resume_hash', sa.String(length=64), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('saved_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['survey_school_id'], ['survey_school.id'], name=op.f('fk_partial_response_survey_school_id_survey_school'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partial_response')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_partial_response_key_hash')),
    sa.UniqueConstraint('resume_hash', name=op.f('uq_partial_response_resume_hash'))
    )
    with op.batch_alter_table('partial_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partial_response_survey_school_id'), ['survey_school_id'], unique=False)



def downgrade():
    with op.batch_alter_table('partial_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partial_response_survey_school_id'))

    op.drop_table('partial_response')
    with op.batch_alter_table('invitation_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_token_survey_school_id'))

    op.drop_table('invitation_token')
    with op.batch_alter_table('class_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_class_session_survey_school_id'))

    op.drop_table('class_session')
