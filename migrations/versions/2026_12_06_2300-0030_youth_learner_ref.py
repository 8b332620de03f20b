"""The CFA software's ids of learners (keyed hashes with the UAI), each linked to its youth:
youths without an INE are found again by them.

Revision ID: 0030_youth_learner_ref
Revises: 0029_step_employer
Create Date: 2026-12-06 23:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0030_youth_learner_ref'
down_revision: Union[str, Sequence[str], None] = '0029_step_employer'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('youth_learner_ref',
    sa.Column('ref_hash', sa.LargeBinary(), nullable=False),
    sa.Column('youth_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['youth_id'], ['youth.id'], name=op.f('fk_youth_learner_ref_youth_id_youth'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ref_hash', name=op.f('pk_youth_learner_ref'))
    )
    op.create_index(op.f('ix_youth_learner_ref_youth_id'), 'youth_learner_ref', ['youth_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f('ix_youth_learner_ref_youth_id'), table_name='youth_learner_ref')
    op.drop_table('youth_learner_ref')
