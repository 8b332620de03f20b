"""Rejected records kept for their senders, and the audit log of reads.

Revision ID: 0005_rejections_and_audit
Revises: 0004_youths_wishes_steps
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel types)
from alembic import op

revision: str = "0005_rejections_and_audit"
down_revision: str | None = "0004_youths_wishes_steps"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('operation', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('youth_ids', sa.ARRAY(sa.BigInteger()), nullable=False),
    sa.Column('wish_ids', sa.ARRAY(sa.BigInteger()), nullable=False),
    sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['api_client.id'], name=op.f('fk_audit_log_client_id_api_client')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_index('ix_audit_log_client_id_at', 'audit_log', ['client_id', 'at'], unique=False)
    op.create_table('rejection',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('operation', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('record_index', sa.Integer(), nullable=False),
    sa.Column('ref', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('field', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('message', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['api_client.id'], name=op.f('fk_rejection_client_id_api_client'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rejection'))
    )
    op.create_index('ix_rejection_client_id_received_at', 'rejection', ['client_id', 'received_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_rejection_client_id_received_at', table_name='rejection')
    op.drop_table('rejection')
    op.drop_index('ix_audit_log_client_id_at', table_name='audit_log')
    op.drop_table('audit_log')
