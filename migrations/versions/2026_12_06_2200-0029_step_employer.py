"""The employer's SIRET on contract steps (APPRENTICE, CONTRACT_BROKEN). A nullable column
without default: added without rewriting the table.

Revision ID: 0029_step_employer
Revises: 0028_cfa_responsible
Create Date: 2026-12-06 22:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0029_step_employer'
down_revision: Union[str, Sequence[str], None] = '0028_cfa_responsible'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column('step_event', sa.Column('employer_siret', sa.String(length=14), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column('step_event', 'employer_siret')
