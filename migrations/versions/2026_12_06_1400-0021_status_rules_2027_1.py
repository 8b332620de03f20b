"""Status rules 2027.1: training dates and residence on steps, residence on wishes, the stage
CONTRACT_BROKEN, the wished CFA's handling and the next day a rule changes an outcome, the reason
HANDLED_NOT_REGISTERED (longer than varchar(20)), contracts found by their missing training end,
and where an interrupted `hub recompute` stands.

Derived rows keep their 2026.1 figures (stamped so) until `hub recompute` rewrites them.

Revision ID: 0021_status_rules_2027_1
Revises: 0020_derivation_failure
Create Date: 2026-12-06 14:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0021_status_rules_2027_1'
down_revision: Union[str, Sequence[str], None] = '0020_derivation_failure'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OLD_STAGES = "('NO_NEWS', 'HANDLED', 'REGISTERED', 'APPRENTICE', 'LEFT')"
NEW_STAGES = "('NO_NEWS', 'HANDLED', 'REGISTERED', 'APPRENTICE', 'LEFT', 'CONTRACT_BROKEN')"


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column('step_event', sa.Column('training_start', sa.Date(), nullable=True))
    op.add_column('step_event', sa.Column('training_end', sa.Date(), nullable=True))
    op.add_column('step_event', sa.Column('residence_department', sa.String(length=3), nullable=True))
    op.drop_index('ix_step_event_contracts_uai_certification_code', table_name='step_event')
    op.create_index('ix_step_event_contracts_uai_certification_code', 'step_event', ['uai', 'certification_code'],
                    unique=False, postgresql_where="training_end IS NULL AND step IN ('APPRENTICE', 'CONTRACT_BROKEN')")
    op.add_column('wish', sa.Column('residence_department', sa.String(length=3), nullable=True))
    op.add_column('wish', sa.Column('outcome_handled_by_wished_cfa', sa.Boolean(), server_default=sa.text('false'),
                                    nullable=False))
    op.add_column('wish', sa.Column('outcome_next_on', sa.Date(), nullable=True))
    op.create_index('ix_wish_outcome_next_on', 'wish', ['outcome_next_on'], unique=False,
                    postgresql_where=sa.text('outcome_next_on IS NOT NULL'))
    op.drop_constraint(op.f('ck_wish_outcome_stage'), 'wish', type_='check')
    op.create_check_constraint(op.f('ck_wish_outcome_stage'), 'wish', f"outcome_stage IN {NEW_STAGES}")
    op.execute("ALTER TABLE youth_risk ALTER COLUMN reasons TYPE varchar(24)[]")
    op.create_table(
        'recompute_progress',
        sa.Column('rules', sa.String(length=200), nullable=False),
        sa.Column('last_youth_id', sa.BigInteger(), nullable=False),
        sa.Column('done', sa.BigInteger(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('rules', name=op.f('pk_recompute_progress')),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('recompute_progress')
    op.execute("DELETE FROM youth_risk WHERE 'HANDLED_NOT_REGISTERED' = ANY(reasons)")
    op.execute("ALTER TABLE youth_risk ALTER COLUMN reasons TYPE varchar(20)[]")
    op.execute("UPDATE wish SET outcome_stage = 'LEFT' WHERE outcome_stage = 'CONTRACT_BROKEN'")
    op.drop_constraint(op.f('ck_wish_outcome_stage'), 'wish', type_='check')
    op.create_check_constraint(op.f('ck_wish_outcome_stage'), 'wish', f"outcome_stage IN {OLD_STAGES}")
    op.drop_index('ix_wish_outcome_next_on', table_name='wish', postgresql_where=sa.text('outcome_next_on IS NOT NULL'))
    op.drop_column('wish', 'outcome_next_on')
    op.drop_column('wish', 'outcome_handled_by_wished_cfa')
    op.drop_column('wish', 'residence_department')
    op.drop_index('ix_step_event_contracts_uai_certification_code', table_name='step_event')
    op.create_index('ix_step_event_contracts_uai_certification_code', 'step_event', ['uai', 'certification_code'],
                    unique=False, postgresql_where='contract_end IS NOT NULL')
    op.drop_column('step_event', 'residence_department')
    op.drop_column('step_event', 'training_end')
    op.drop_column('step_event', 'training_start')
