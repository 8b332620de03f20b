"""What each CFA's software sends, by day: the stamps of transmission coverage, filled from the
stored step events (their receipt day in France; rejections are not known per CFA before).

Revision ID: 0023_cfa_transmission_day
Revises: 0022_intake_change
Create Date: 2026-12-06 16:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0023_cfa_transmission_day'
down_revision: Union[str, Sequence[str], None] = '0022_intake_change'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('cfa_transmission_day',
    sa.Column('uai', sa.String(length=8), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('steps_accepted', sa.Integer(), nullable=False),
    sa.Column('steps_rejected', sa.Integer(), nullable=False),
    sa.Column('last_received_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('uai', 'day', name=op.f('pk_cfa_transmission_day'))
    )
    op.create_index('ix_cfa_transmission_day_day', 'cfa_transmission_day', ['day'], unique=False)
    op.execute(
        "INSERT INTO cfa_transmission_day (uai, day, received, steps_accepted, steps_rejected, last_received_at)"
        " SELECT e.uai, (e.received_at AT TIME ZONE 'Europe/Paris')::date, count(*), count(*), 0, max(e.received_at)"
        " FROM step_event e JOIN cfa c ON c.uai = e.uai GROUP BY 1, 2"
    )
    op.execute("GRANT SELECT ON cfa_transmission_day TO hub_tenant")


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_cfa_transmission_day_day', table_name='cfa_transmission_day')
    op.drop_table('cfa_transmission_day')
