"""answer and priority counts kept on submit

Revision ID: 0011_answer_counts
Revises: 0008_invitations
Create Date: 2026-11-23 13:48:04.770180

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_answer_counts'
down_revision = '0008_invitations'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('answer_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('context_key', sa.String(length=60), nullable=False),
    sa.Column('context_value', sa.Integer(), nullable=False),
    sa.Column('question_key', sa.String(length=60), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_answer_count_school_id_school')),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_answer_count_survey_id_survey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer_count')),
    sa.UniqueConstraint('survey_id', 'school_id', 'context_key', 'context_value', 'question_key', 'value', name='uq_answer_count_key')
    )
    op.create_table('priority_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('context_key', sa.String(length=60), nullable=False),
    sa.Column('context_value', sa.Integer(), nullable=False),
    sa.Column('priority_key', sa.String(length=40), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_priority_count_school_id_school')),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_priority_count_survey_id_survey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_priority_count')),
    sa.UniqueConstraint('survey_id', 'school_id', 'context_key', 'context_value', 'priority_key', name='uq_priority_count_key')
    )


def downgrade():
    op.drop_table('priority_count')
    op.drop_table('answer_count')
