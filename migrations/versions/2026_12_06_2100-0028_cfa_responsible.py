"""CFAs formateurs under an organisme responsable, and each CFA's own consent decision (a
formateur without one follows its responsible's). The CFAs that decided so far keep their
decision as their own.

Revision ID: 0028_cfa_responsible
Revises: 0027_offer_intake_month
Create Date: 2026-12-06 21:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0028_cfa_responsible'
down_revision: Union[str, Sequence[str], None] = '0027_offer_intake_month'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column('cfa', sa.Column('own_consent', sa.Boolean(), nullable=True))
    op.add_column('cfa', sa.Column('responsible_uai', sa.String(length=8), nullable=True))
    op.create_index(op.f('ix_cfa_responsible_uai'), 'cfa', ['responsible_uai'], unique=False)
    op.create_foreign_key(op.f('fk_cfa_responsible_uai_cfa'), 'cfa', 'cfa', ['responsible_uai'], ['uai'])
    op.execute("UPDATE cfa SET own_consent = consent_given WHERE consent_changed_at IS NOT NULL")


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_constraint(op.f('fk_cfa_responsible_uai_cfa'), 'cfa', type_='foreignkey')
    op.drop_index(op.f('ix_cfa_responsible_uai'), table_name='cfa')
    op.drop_column('cfa', 'responsible_uai')
    op.drop_column('cfa', 'own_consent')
