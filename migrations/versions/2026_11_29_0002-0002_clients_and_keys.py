"""API clients and their keys (stored as keyed hashes).

Revision ID: 0002_clients_and_keys
Revises: 0001_reference_data
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel types)
from alembic import op

revision: str = "0002_clients_and_keys"
down_revision: str | None = "0001_reference_data"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('api_client',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('portal', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('departments', sa.ARRAY(sa.String(length=3)), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(role = 'PORTAL') = (portal IS NOT NULL)", name=op.f('ck_api_client_portal_iff_role')),
    sa.CheckConstraint("portal IS NULL OR portal IN ('PARCOURSUP', 'AFFELNET')", name=op.f('ck_api_client_portal')),
    sa.CheckConstraint("role IN ('VENDOR', 'PORTAL', 'ADVISER', 'PILOT', 'ADMIN')", name=op.f('ck_api_client_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_client'))
    )
    op.create_table('api_key',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('key_hash', sa.LargeBinary(), nullable=False),
    sa.Column('hint', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['api_client.id'], name=op.f('fk_api_key_client_id_api_client'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_key')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_key_key_hash'))
    )
    op.create_index(op.f('ix_api_key_client_id'), 'api_key', ['client_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_api_key_client_id'), table_name='api_key')
    op.drop_table('api_key')
    op.drop_table('api_client')
