"""Each CFA's headcount change points summed up to a cut that the sweeper moves to yesterday:
national headcounts by CFA read one row per CFA and status and the days since.

The cut starts before any data: the first sweep sums the whole history once.

Revision ID: 0024_cfa_status_base
Revises: 0023_cfa_transmission_day
Create Date: 2026-12-06 17:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel types)
from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0024_cfa_status_base'
down_revision: Union[str, Sequence[str], None] = '0023_cfa_transmission_day'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('status_cut',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cut', sa.Date(), nullable=False),
    sa.Column('year_cut', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_cut'))
    )
    op.create_table('cfa_status_base',
    sa.Column('uai', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('net', sa.Integer(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('year_entries', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('uai', 'status', name=op.f('pk_cfa_status_base'))
    )
    op.execute("INSERT INTO status_cut (id, cut, year_cut) VALUES (1, '1899-12-31', '1899-07-31')")
    op.execute("GRANT SELECT ON status_cut, cfa_status_base TO hub_tenant")


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('cfa_status_base')
    op.drop_table('status_cut')
