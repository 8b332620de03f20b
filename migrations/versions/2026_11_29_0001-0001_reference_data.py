"""Reference data: regions, académies, departments (INSEE), loaded from migrations/data.

Revision ID: 0001_reference_data
Revises: 
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel types)
from alembic import op

from migrations.reference import load_reference_rows

revision: str = "0001_reference_data"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('academie',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_academie'))
    )
    op.create_table('region',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_region'))
    )
    op.create_table('department',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('region_code', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('academie_code', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('uai_prefix', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('in_101', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['academie_code'], ['academie.code'], name=op.f('fk_department_academie_code_academie')),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], name=op.f('fk_department_region_code_region')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_department')),
    sa.UniqueConstraint('uai_prefix', name=op.f('uq_department_uai_prefix'))
    )
    op.create_index(op.f('ix_department_region_code'), 'department', ['region_code'], unique=False)
    load_reference_rows(op.get_bind())


def downgrade() -> None:
    op.drop_index(op.f('ix_department_region_code'), table_name='department')
    op.drop_table('department')
    op.drop_table('region')
    op.drop_table('academie')
