"""Add sign_in_throttle (failed sign-ins per email tried) and trust.retention_months

Revision ID: 0006_security
Revises: 0005_reports
Create Date: 2026-11-23 11:24:18.606713

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_security'
down_revision = '0005_reports'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sign_in_throttle',
    sa.Column('email_digest', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('email_digest', name=op.f('pk_sign_in_throttle'))
    )
    with op.batch_alter_table('trust', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_months', sa.Integer(), server_default='36', nullable=False))



def downgrade():
    with op.batch_alter_table('trust', schema=None) as batch_op:
        batch_op.drop_column('retention_months')

    op.drop_table('sign_in_throttle')
