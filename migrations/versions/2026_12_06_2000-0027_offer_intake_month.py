"""Each offer's intake at the cut by month: a pilot's monthly series of the school year reads
the months up to each point instead of every offer's history. Empty at first: the cut goes back
and the next sweep fills both intake tables and the CFAs' sums anew.

Revision ID: 0027_offer_intake_month
Revises: 0026_offer_intake_base
Create Date: 2026-12-06 20:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0027_offer_intake_month'
down_revision: Union[str, Sequence[str], None] = '0026_offer_intake_base'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('offer_intake_month',
    sa.Column('offer_id', sa.BigInteger(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('youths', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('offer_id', 'month', name=op.f('pk_offer_intake_month'))
    )
    # the cut goes back before any data: the next sweep sums everything into the tables again
    op.execute("UPDATE status_cut SET year_cut = '1899-07-31', cut = least(cut, '1899-12-31')")
    op.execute("DELETE FROM cfa_status_base")
    op.execute("DELETE FROM offer_intake_base")
    op.execute("GRANT SELECT ON offer_intake_month TO hub_tenant")


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('offer_intake_month')
