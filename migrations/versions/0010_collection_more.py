"""add response.respondent_name, for the name given on a named survey

Revision ID: 0010_collection_more
Revises: 0009_token_join
Create Date: 2026-11-23 14:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_collection_more'
down_revision = '0009_token_join'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('respondent_name', sa.String(length=100), nullable=True))


def downgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('respondent_name')
