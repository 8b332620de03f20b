"""A sequence counting the deletions of youths, for the processes' caches of youths known to exist.

Revision ID: 0019_youth_deletions
Revises: 0018_rejection_without_fk
Create Date: 2026-12-01 23:30:00

"""
from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0019_youth_deletions'
down_revision: Union[str, Sequence[str], None] = '0018_rejection_without_fk'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.execute("CREATE SEQUENCE youth_deletions")


def downgrade() -> None:
    """Downgrade schema."""
    op.execute("DROP SEQUENCE youth_deletions")
