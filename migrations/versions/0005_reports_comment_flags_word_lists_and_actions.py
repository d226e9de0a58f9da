"""comment flags, word lists and actions

Revision ID: 0005_reports
Revises: 0004_categorisation
Create Date: 2026-11-23 11:14:47.421402

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_reports'
down_revision = '0004_categorisation'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('priority_key', sa.String(length=40), nullable=False),
    sa.Column('question_key', sa.String(length=60), nullable=True),
    sa.Column('you_said', sa.Text(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('progress', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('planned','in_progress','done')", name=op.f('ck_action_known_status')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_action_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action'))
    )
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_school_id'), ['school_id'], unique=False)

    op.create_table('word_list',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('priority_key', sa.String(length=40), nullable=True),
    sa.Column('words', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_word_list_school_id_school')),
    sa.ForeignKeyConstraint(['trust_id'], ['trust.id'], name=op.f('fk_word_list_trust_id_trust')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_word_list')),
    sa.UniqueConstraint('trust_id', 'kind', 'school_id', 'priority_key', name=op.f('uq_word_list_trust_id_kind_school_id_priority_key'))
    )
    op.create_table('comment_flag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('answer_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('matched', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('flagged_on', sa.DateTime(timezone=True), nullable=False),
    sa.Column('action_taken', sa.Text(), nullable=True),
    sa.Column('release', sa.Boolean(), nullable=False),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['answer_id'], ['answer.id'], name=op.f('fk_comment_flag_answer_id_answer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['handled_by_id'], ['user.id'], name=op.f('fk_comment_flag_handled_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_comment_flag_school_id_school')),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_comment_flag_survey_id_survey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment_flag')),
    sa.UniqueConstraint('answer_id', name=op.f('uq_comment_flag_answer_id'))
    )
    with op.batch_alter_table('comment_flag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_flag_school_id'), ['school_id'], unique=False)



def downgrade():
    with op.batch_alter_table('comment_flag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comment_flag_school_id'))

    op.drop_table('comment_flag')
    op.drop_table('word_list')
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_school_id'))

    op.drop_table('action')
