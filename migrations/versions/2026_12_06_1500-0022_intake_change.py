"""The offers' intakes: change points by entry day (app/domain/intake.py), filled from the paths.

Revision ID: 0022_intake_change
Revises: 0021_status_rules_2027_1
Create Date: 2026-12-06 15:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel types)
from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0022_intake_change'
down_revision: Union[str, Sequence[str], None] = '0021_status_rules_2027_1'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The stays of the stored paths, as app/domain/intake.py stays() gives them: from the first
# REGISTERED or APPRENTICE segment at a CFA and certification, every REGISTERED, APPRENTICE or
# CONTRACT_BROKEN segment there (tests/test_intake_backfill.py compares it with the incremental
# change points).
BACKFILL = ("WITH seg AS (SELECT p.youth_id, s.start, s.status, s.uai, s.certification_code,"
        " lead(s.start) OVER (PARTITION BY p.youth_id ORDER BY s.i) AS next_start"
        " FROM youth_path p, unnest(p.starts, p.statuses, p.uais, p.certifications)"
        " WITH ORDINALITY AS s(start, status, uai, certification_code, i)),"
        " entry AS (SELECT youth_id, uai, certification_code, min(start) AS entered_on FROM seg"
        " WHERE status IN ('REGISTERED', 'APPRENTICE') GROUP BY 1, 2, 3),"
        " stay AS (SELECT s.uai, s.certification_code, e.entered_on, s.start, s.next_start"
        " FROM seg s JOIN entry e USING (youth_id, uai, certification_code)"
        " WHERE s.status IN ('REGISTERED', 'APPRENTICE', 'CONTRACT_BROKEN') AND s.start >= e.entered_on),"
        " points AS (SELECT uai, certification_code, entered_on, start AS day, 1 AS youths FROM stay"
        " UNION ALL SELECT uai, certification_code, entered_on, next_start, -1 FROM stay WHERE next_start IS NOT NULL)"
        " INSERT INTO intake_change (uai, certification_code, entered_on, day, youths)"
        " SELECT uai, certification_code, entered_on, day, sum(youths) FROM points GROUP BY 1, 2, 3, 4"
        " HAVING sum(youths) <> 0")


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('intake_change',
    sa.Column('uai', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('certification_code', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('entered_on', sa.Date(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('youths', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('uai', 'certification_code', 'entered_on', 'day', name=op.f('pk_intake_change'))
    )
    op.execute(BACKFILL)
    op.execute("GRANT SELECT ON intake_change TO hub_tenant")


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('intake_change')
