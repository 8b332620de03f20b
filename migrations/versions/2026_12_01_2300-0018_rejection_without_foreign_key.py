"""Rejections keep the authenticated client's id without a foreign key (a per-row check per batch).

Revision ID: 0018_rejection_without_fk
Revises: 0017_pending_derivation_batches
Create Date: 2026-12-01 23:00:00

"""
from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0018_rejection_without_fk'
down_revision: Union[str, Sequence[str], None] = '0017_pending_derivation_batches'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.drop_constraint('fk_rejection_client_id_api_client', 'rejection', type_='foreignkey')


def downgrade() -> None:
    """Downgrade schema."""
    op.execute("DELETE FROM rejection r WHERE NOT EXISTS (SELECT FROM api_client c WHERE c.id = r.client_id)")
    op.create_foreign_key(
        'fk_rejection_client_id_api_client', 'rejection', 'api_client', ['client_id'], ['id'], ondelete='CASCADE'
    )
