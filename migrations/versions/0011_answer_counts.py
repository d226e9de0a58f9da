"""answer and priority counts kept on submit

Revision ID: 0011_answer_counts
Revises: 0010_collection_more
Create Date: 2026-11-23 13:48:04.770180

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_answer_counts'
down_revision = '0010_collection_more'
branch_labels = None
depends_on = None


CONTEXT_JOIN = """
    JOIN survey s ON s.id = a.survey_id
    JOIN question cq ON cq.instrument_id = s.instrument_id AND cq.context IS NOT NULL
    LEFT JOIN answer c ON c.response_id = a.response_id AND c.question_key = cq.key
"""
SCORED_JOIN = """
    JOIN survey ps ON ps.id = a.survey_id
    JOIN question p ON p.instrument_id = ps.instrument_id AND p.key = a.question_key
"""
SCORED = "a.value IS NOT NULL AND a.value <> -1 AND p.priority_key IS NOT NULL AND p.type <> 'text'"
ANSWER_COLUMNS = "survey_id, school_id, context_key, context_value, question_key, value, count"
PRIORITY_COLUMNS = "survey_id, school_id, context_key, context_value, priority_key, count"
COUNT_STORED_ANSWERS = [
    f"""INSERT INTO answer_count ({ANSWER_COLUMNS})
    SELECT a.survey_id, a.school_id, '', -99, a.question_key, a.value, COUNT(*) FROM answer a
    WHERE a.value IS NOT NULL
    GROUP BY a.survey_id, a.school_id, a.question_key, a.value""",
    f"""INSERT INTO answer_count ({ANSWER_COLUMNS})
    SELECT a.survey_id, a.school_id, cq.key, COALESCE(c.value, -99), a.question_key, a.value,
           COUNT(*) FROM answer a {CONTEXT_JOIN}
    WHERE a.value IS NOT NULL AND a.question_key <> cq.key
    GROUP BY a.survey_id, a.school_id, cq.key, COALESCE(c.value, -99), a.question_key, a.value""",
    f"""INSERT INTO priority_count ({PRIORITY_COLUMNS})
    SELECT a.survey_id, a.school_id, '', -99, p.priority_key, COUNT(DISTINCT a.response_id)
    FROM answer a {SCORED_JOIN}
    WHERE {SCORED}
    GROUP BY a.survey_id, a.school_id, p.priority_key""",
    f"""INSERT INTO priority_count ({PRIORITY_COLUMNS})
    SELECT a.survey_id, a.school_id, cq.key, COALESCE(c.value, -99), p.priority_key,
           COUNT(DISTINCT a.response_id)
    FROM answer a {SCORED_JOIN} {CONTEXT_JOIN}
    WHERE {SCORED}
    GROUP BY a.survey_id, a.school_id, cq.key, COALESCE(c.value, -99), p.priority_key""",
]


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
    # Count the answers already stored, as app.surveys.counts.rebuild does (-99: no context answer).
    for statement in COUNT_STORED_ANSWERS:
        op.execute(statement)


def downgrade():
    op.drop_table('priority_count')
    op.drop_table('answer_count')
