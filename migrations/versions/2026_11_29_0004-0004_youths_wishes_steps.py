"""Pseudonymous youths, portals' wishes and CFAs' step events.

Revision ID: 0004_youths_wishes_steps
Revises: 0003_cfas_certifications_offers
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel types)
from alembic import op

revision: str = "0004_youths_wishes_steps"
down_revision: str | None = "0003_cfas_certifications_offers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('youth',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('ine_hash', sa.LargeBinary(), nullable=True),
    sa.Column('ine_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('nir_hash', sa.LargeBinary(), nullable=True),
    sa.Column('nir_given', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_youth')),
    sa.UniqueConstraint('ine_hash', name=op.f('uq_youth_ine_hash'))
    )
    op.create_index('uq_youth_nir_hash', 'youth', ['nir_hash'], unique=True, postgresql_where=sa.text('nir_hash IS NOT NULL'))
    op.create_table('step_event',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('vendor_client_id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('youth_id', sa.BigInteger(), nullable=False),
    sa.Column('uai', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('certification_code', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('step', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=False),
    sa.Column('portal', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('portal_wish_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('contract_start', sa.Date(), nullable=True),
    sa.Column('contract_end', sa.Date(), nullable=True),
    sa.Column('content_hash', sa.LargeBinary(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("portal IS NULL OR portal IN ('PARCOURSUP', 'AFFELNET')", name=op.f('ck_step_event_portal')),
    sa.CheckConstraint("step IN ('MEETING', 'INFO_SESSION', 'PRE_REGISTERED', 'REGISTERED', 'APPRENTICE', 'CONTRACT_BROKEN', 'DROPPED_OUT', 'COMPLETED')", name=op.f('ck_step_event_step')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_step_event')),
    sa.UniqueConstraint('vendor_client_id', 'event_id', name=op.f('uq_step_event_vendor_client_id_event_id'))
    )
    op.create_index('ix_step_event_portal_portal_wish_id', 'step_event', ['portal', 'portal_wish_id'], unique=False, postgresql_where='portal_wish_id IS NOT NULL')
    op.create_index('ix_step_event_youth_id_effective_date', 'step_event', ['youth_id', 'effective_date', 'id'], unique=False)
    op.create_table('wish',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('portal', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('portal_wish_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('youth_id', sa.BigInteger(), nullable=True),
    sa.Column('uai', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('certification_code', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('offer_id', sa.BigInteger(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome_changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("portal IN ('PARCOURSUP', 'AFFELNET')", name=op.f('ck_wish_portal')),
    sa.ForeignKeyConstraint(['certification_code'], ['certification.code'], name=op.f('fk_wish_certification_code_certification')),
    sa.ForeignKeyConstraint(['offer_id'], ['offer.id'], name=op.f('fk_wish_offer_id_offer')),
    sa.ForeignKeyConstraint(['uai'], ['cfa.uai'], name=op.f('fk_wish_uai_cfa')),
    sa.ForeignKeyConstraint(['youth_id'], ['youth.id'], name=op.f('fk_wish_youth_id_youth'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wish')),
    sa.UniqueConstraint('portal', 'portal_wish_id', name=op.f('uq_wish_portal_portal_wish_id'))
    )
    op.create_index('ix_wish_portal_outcome_changed_at', 'wish', ['portal', 'outcome_changed_at'], unique=False)
    op.create_index('ix_wish_portal_submitted_at_id', 'wish', ['portal', 'submitted_at', 'id'], unique=False)
    op.create_index(op.f('ix_wish_uai'), 'wish', ['uai'], unique=False)
    op.create_index(op.f('ix_wish_youth_id'), 'wish', ['youth_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_wish_youth_id'), table_name='wish')
    op.drop_index(op.f('ix_wish_uai'), table_name='wish')
    op.drop_index('ix_wish_portal_submitted_at_id', table_name='wish')
    op.drop_index('ix_wish_portal_outcome_changed_at', table_name='wish')
    op.drop_table('wish')
    op.drop_index('ix_step_event_youth_id_effective_date', table_name='step_event')
    op.drop_index('ix_step_event_portal_portal_wish_id', table_name='step_event', postgresql_where='portal_wish_id IS NOT NULL')
    op.drop_table('step_event')
    op.drop_index('uq_youth_nir_hash', table_name='youth', postgresql_where=sa.text('nir_hash IS NOT NULL'))
    op.drop_table('youth')
