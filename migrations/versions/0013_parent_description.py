"""the built-in parent questionnaire's description no longer promises anonymity

The promise belongs to each survey (anonymous, confidential or named) and the respondent page
states it; an instrument used in a named survey must not say the answers are anonymous.

Revision ID: 0013_parent_description
Revises: 0012_targets_schedule
Create Date: 2026-11-23 18:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_parent_description'
down_revision = '0012_targets_schedule'
branch_labels = None
depends_on = None

OLD = ("Thank you for taking part. Please tell us what you think about your child's school; it "
       "takes about five minutes and your answers are anonymous.")
NEW = ("Thank you for taking part. Please tell us what you think about your child's school; it "
       "takes about five minutes.")


def _replace(before, after):
    instrument = sa.table("instrument", sa.column("key", sa.String), sa.column("description", sa.Text))
    op.execute(instrument.update()
               .where(instrument.c.key == "parent", instrument.c.description == before)
               .values(description=after))


def upgrade():
    _replace(OLD, NEW)


def downgrade():
    _replace(NEW, OLD)
