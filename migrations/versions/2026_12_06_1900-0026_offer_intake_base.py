"""Each offer's enrolled on the cut, and the intakes' change points by day: national headcounts
read them instead of every offer's history. Empty at first: the first sweep fills it.

Revision ID: 0026_offer_intake_base
Revises: 0025_wish_conversion_index
Create Date: 2026-12-06 19:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0026_offer_intake_base'
down_revision: Union[str, Sequence[str], None] = '0025_wish_conversion_index'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('offer_intake_base',
    sa.Column('offer_id', sa.BigInteger(), nullable=False),
    sa.Column('youths', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('offer_id', name=op.f('pk_offer_intake_base'))
    )
    op.create_index('ix_intake_change_day', 'intake_change', ['day'], unique=False)
    # the cut goes back before any data: the next sweep sums every intake into the new table
    op.execute("UPDATE status_cut SET year_cut = '1899-07-31', cut = least(cut, '1899-12-31')")
    op.execute("DELETE FROM cfa_status_base")
    op.execute("GRANT SELECT ON offer_intake_base TO hub_tenant")


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_intake_change_day', table_name='intake_change')
    op.drop_table('offer_intake_base')
