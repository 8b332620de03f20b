"""The pilots' wish conversion counted from an index alone (an index-only scan by CFA).

Revision ID: 0025_wish_conversion_index
Revises: 0024_cfa_status_base
Create Date: 2026-12-06 18:00:00

"""
from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0025_wish_conversion_index'
down_revision: Union[str, Sequence[str], None] = '0024_cfa_status_base'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index('ix_wish_conversion', 'wish',
                    ['uai', 'outcome_stage', 'outcome_match', 'outcome_handled_by_wished_cfa', 'portal'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_wish_conversion', table_name='wish')
