"""Clients' last write position, for read-your-writes with a read replica.

Revision ID: 0014_client_last_write_lsn
Revises: 0013_pending_derivation
Create Date: 2026-11-30 03:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel types)


# revision identifiers, used by Alembic.
revision: str = '0014_client_last_write_lsn'
down_revision: Union[str, Sequence[str], None] = '0013_pending_derivation'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column('api_client', sa.Column('last_write_lsn', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column('api_client', 'last_write_lsn')
