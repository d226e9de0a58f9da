"""instrument authoring: change notes, translations and previous wordings

Revision ID: 0003_authoring
Revises: 0002_collection
Create Date: 2026-11-23 11:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_authoring'
down_revision = '0002_collection'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('instrument', schema=None) as batch_op:
        batch_op.add_column(sa.Column('change_note', sa.Text(), nullable=True))

    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.add_column(sa.Column('translations', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('previous_text', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_column('previous_text')
        batch_op.drop_column('translations')

    with op.batch_alter_table('instrument', schema=None) as batch_op:
        batch_op.drop_column('change_note')
