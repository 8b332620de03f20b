"""Monthly rollup of the change points by CFA, and the day index of the daily ones.

Revision ID: 0016_cfa_status_month
Revises: 0015_department_status_month
Create Date: 2026-11-30 04:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel types)


# revision identifiers, used by Alembic.
revision: str = '0016_cfa_status_month'
down_revision: Union[str, Sequence[str], None] = '0015_department_status_month'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('cfa_status_month',
    sa.Column('uai', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('exits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('uai', 'status', 'month', name=op.f('pk_cfa_status_month'))
    )
    op.create_index('ix_status_change_day', 'status_change', ['day'], unique=False)
    op.execute(
        "INSERT INTO cfa_status_month (uai, status, month, entries, exits)"
        " SELECT uai, status, date_trunc('month', day)::date, sum(entries), sum(exits)"
        " FROM status_change GROUP BY 1, 2, 3"
    )
    op.execute("GRANT SELECT ON cfa_status_month TO hub_tenant")


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_status_change_day', table_name='status_change')
    op.drop_table('cfa_status_month')
