"""Monthly rollup of the department change points, and the day index of the daily ones.

Revision ID: 0015_department_status_month
Revises: 0014_client_last_write_lsn
Create Date: 2026-11-30 03:45:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel types)


# revision identifiers, used by Alembic.
revision: str = '0015_department_status_month'
down_revision: Union[str, Sequence[str], None] = '0014_client_last_write_lsn'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('department_status_month',
    sa.Column('department_code', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('exits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('department_code', 'status', 'month', name=op.f('pk_department_status_month'))
    )
    op.create_index('ix_department_status_change_day', 'department_status_change', ['day'], unique=False)
    # the rollup of what exists
    op.execute(
        "INSERT INTO department_status_month (department_code, status, month, entries, exits)"
        " SELECT department_code, status, date_trunc('month', day)::date, sum(entries), sum(exits)"
        " FROM department_status_change GROUP BY 1, 2, 3"
    )
    op.execute("GRANT SELECT ON department_status_month TO hub_tenant")


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_department_status_change_day', table_name='department_status_change')
    op.drop_table('department_status_month')
