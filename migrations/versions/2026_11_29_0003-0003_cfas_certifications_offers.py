"""CFAs with consent history and authorised vendors, certifications, offers.

Revision ID: 0003_cfas_certifications_offers
Revises: 0002_clients_and_keys
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel types)
from alembic import op

revision: str = "0003_cfas_certifications_offers"
down_revision: str | None = "0002_clients_and_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('certification',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=True),
    sa.Column('verified', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind IN ('CFD', 'RNCP')", name=op.f('ck_certification_kind')),
    sa.CheckConstraint('level IS NULL OR level BETWEEN 1 AND 8', name=op.f('ck_certification_level')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_certification'))
    )
    op.create_table('cfa',
    sa.Column('uai', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('siret', sqlmodel.sql.sqltypes.AutoString(length=14), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('department_code', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('consent_given', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('consent_changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['department_code'], ['department.code'], name=op.f('fk_cfa_department_code_department')),
    sa.PrimaryKeyConstraint('uai', name=op.f('pk_cfa'))
    )
    op.create_index(op.f('ix_cfa_department_code'), 'cfa', ['department_code'], unique=False)
    op.create_table('cfa_consent_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uai', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('given', sa.Boolean(), nullable=False),
    sa.Column('vendor_client_ids', sa.ARRAY(sa.Uuid()), nullable=False),
    sa.Column('changed_by', sa.Uuid(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['changed_by'], ['api_client.id'], name=op.f('fk_cfa_consent_event_changed_by_api_client')),
    sa.ForeignKeyConstraint(['uai'], ['cfa.uai'], name=op.f('fk_cfa_consent_event_uai_cfa')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cfa_consent_event'))
    )
    op.create_index(op.f('ix_cfa_consent_event_uai'), 'cfa_consent_event', ['uai'], unique=False)
    op.create_table('cfa_vendor',
    sa.Column('uai', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['api_client.id'], name=op.f('fk_cfa_vendor_client_id_api_client'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uai'], ['cfa.uai'], name=op.f('fk_cfa_vendor_uai_cfa')),
    sa.PrimaryKeyConstraint('uai', 'client_id', name=op.f('pk_cfa_vendor'))
    )
    op.create_index(op.f('ix_cfa_vendor_client_id'), 'cfa_vendor', ['client_id'], unique=False)
    op.create_table('offer',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('uai', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('offer_ref', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('certification_code', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('department_code', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('session_start', sa.Date(), nullable=True),
    sa.Column('session_end', sa.Date(), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('revised_capacity', sa.Integer(), nullable=True),
    sa.Column('parcoursup_id', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('affelnet_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('vendor_client_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['certification_code'], ['certification.code'], name=op.f('fk_offer_certification_code_certification')),
    sa.ForeignKeyConstraint(['department_code'], ['department.code'], name=op.f('fk_offer_department_code_department')),
    sa.ForeignKeyConstraint(['uai'], ['cfa.uai'], name=op.f('fk_offer_uai_cfa')),
    sa.ForeignKeyConstraint(['vendor_client_id'], ['api_client.id'], name=op.f('fk_offer_vendor_client_id_api_client')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offer')),
    sa.UniqueConstraint('uai', 'offer_ref', name=op.f('uq_offer_uai_offer_ref'))
    )
    op.create_index('ix_offer_certification_code_uai', 'offer', ['certification_code', 'uai'], unique=False)
    op.create_index(op.f('ix_offer_department_code'), 'offer', ['department_code'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_offer_department_code'), table_name='offer')
    op.drop_index('ix_offer_certification_code_uai', table_name='offer')
    op.drop_table('offer')
    op.drop_index(op.f('ix_cfa_vendor_client_id'), table_name='cfa_vendor')
    op.drop_table('cfa_vendor')
    op.drop_index(op.f('ix_cfa_consent_event_uai'), table_name='cfa_consent_event')
    op.drop_table('cfa_consent_event')
    op.drop_index(op.f('ix_cfa_department_code'), table_name='cfa')
    op.drop_table('cfa')
    op.drop_table('certification')
