"""categorisation: areas, school data, rules, decisions, reviews; schedule events

Revision ID: 0004_categorisation
Revises: 0003_authoring
Create Date: 2026-11-23 11:15:42.531893

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_categorisation'
down_revision = '0003_authoring'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('area',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['trust_id'], ['trust.id'], name=op.f('fk_area_trust_id_trust')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_area')),
    sa.UniqueConstraint('trust_id', 'key', name=op.f('uq_area_trust_id_key'))
    )
    op.create_table('rule_set',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_rule_set_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['trust_id'], ['trust.id'], name=op.f('fk_rule_set_trust_id_trust')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rule_set')),
    sa.UniqueConstraint('trust_id', 'version', name=op.f('uq_rule_set_trust_id_version'))
    )
    op.create_table('review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('taken_by_id', sa.Integer(), nullable=True),
    sa.Column('rule_set_id', sa.Integer(), nullable=True),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['rule_set_id'], ['rule_set.id'], name=op.f('fk_review_rule_set_id_rule_set')),
    sa.ForeignKeyConstraint(['taken_by_id'], ['user.id'], name=op.f('fk_review_taken_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['trust_id'], ['trust.id'], name=op.f('fk_review_trust_id_trust')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review'))
    )
    freeze_reviews()
    op.create_table('decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('suggested', sa.String(length=20), nullable=True),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.Column('rule_set_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_decision_area_id_area')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_decision_decided_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['rule_set_id'], ['rule_set.id'], name=op.f('fk_decision_rule_set_id_rule_set')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_decision_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decision'))
    )
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decision_school_id'), ['school_id'], unique=False)

    op.create_table('schedule_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('academic_year', sa.Integer(), nullable=False),
    sa.Column('term', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('audience', sa.String(length=20), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=True),
    sa.Column('uid', sa.String(length=80), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_schedule_event_event_in_order')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_schedule_event_school_id_school')),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_schedule_event_survey_id_survey'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['trust_id'], ['trust.id'], name=op.f('fk_schedule_event_trust_id_trust')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedule_event')),
    sa.UniqueConstraint('uid', name=op.f('uq_schedule_event_uid'))
    )
    with op.batch_alter_table('schedule_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_schedule_event_trust_id'), ['trust_id'], unique=False)

    op.create_table('school_measure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('measure', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Double(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user.id'], name=op.f('fk_school_measure_entered_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_school_measure_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_measure')),
    sa.UniqueConstraint('school_id', 'measure', 'as_of', name=op.f('uq_school_measure_school_id_measure_as_of'))
    )
    with op.batch_alter_table('school_measure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_school_measure_school_id'), ['school_id'], unique=False)



def downgrade():
    thaw_reviews()
    with op.batch_alter_table('school_measure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_school_measure_school_id'))

    op.drop_table('school_measure')
    with op.batch_alter_table('schedule_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_schedule_event_trust_id'))

    op.drop_table('schedule_event')
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decision_school_id'))

    op.drop_table('decision')
    op.drop_table('review')
    op.drop_table('rule_set')
    op.drop_table('area')


# A review is a frozen record: the database itself refuses to change or delete one.
def freeze_reviews():
    if op.get_bind().dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER review_frozen_{event.lower()} BEFORE {event} ON review "
                       "BEGIN SELECT RAISE(ABORT, 'a review is frozen once taken'); END")
    else:
        op.execute("CREATE FUNCTION review_frozen() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION 'a review is frozen once taken'; END $$")
        op.execute("CREATE TRIGGER review_frozen BEFORE UPDATE OR DELETE ON review "
                   "FOR EACH ROW EXECUTE FUNCTION review_frozen()")


def thaw_reviews():
    if op.get_bind().dialect.name == "sqlite":
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS review_frozen_{event}")
    else:
        op.execute("DROP TRIGGER IF EXISTS review_frozen ON review")
        op.execute("DROP FUNCTION IF EXISTS review_frozen()")
