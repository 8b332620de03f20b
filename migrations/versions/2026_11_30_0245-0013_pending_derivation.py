"""Queue of youths waiting for the deriver (HUB_DERIVATION=deferred).

Revision ID: 0013_pending_derivation
Revises: 0012_row_level_security
Create Date: 2026-11-30 02:45:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel types)


# revision identifiers, used by Alembic.
revision: str = '0013_pending_derivation'
down_revision: Union[str, Sequence[str], None] = '0012_row_level_security'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('pending_derivation',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('youth_id', sa.BigInteger(), nullable=False),
    sa.Column('paths', sa.Boolean(), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_derivation'))
    )
    op.create_index('ix_pending_derivation_youth_id', 'pending_derivation', ['youth_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_pending_derivation_youth_id', table_name='pending_derivation')
    op.drop_table('pending_derivation')
