"""Youths whose derivation failed, set aside so that the others' goes on.

Revision ID: 0020_derivation_failure
Revises: 0019_youth_deletions
Create Date: 2026-12-06 12:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0020_derivation_failure'
down_revision: Union[str, Sequence[str], None] = '0019_youth_deletions'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'derivation_failure',
        sa.Column('youth_id', sa.BigInteger(), nullable=False),
        sa.Column('error', sa.String(length=300), nullable=False),
        sa.Column('failed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['youth_id'], ['youth.id'], name=op.f('fk_derivation_failure_youth_id_youth'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('youth_id', name=op.f('pk_derivation_failure')),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('derivation_failure')
