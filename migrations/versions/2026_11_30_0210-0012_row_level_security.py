"""Row-level security as a second wall for the reads of portals and advisers.

A role ``hub_tenant`` (no login, no BYPASSRLS, owner of nothing) that the hub takes for the rest of
a transaction (``SET LOCAL ROLE``) before a portal's or an adviser's reads, after setting the tenant
(``hub.portal``, ``hub.departments``) with ``set_config(..., true)``. Policies on ``wish`` and
``youth_risk`` then show it only that tenant's rows, whatever the query asks; without a tenant, no
row. The hub's own role (owner) is not subject to them.

Revision ID: 0012_row_level_security
Revises: 0011_rate_buckets
Create Date: 2026-11-30 02:10:00

"""
from typing import Sequence, Union

from alembic import op


revision: str = '0012_row_level_security'
down_revision: Union[str, Sequence[str], None] = '0011_rate_buckets'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

READ = ("wish", "youth_risk", "youth", "step_event", "cfa", "cfa_vendor", "certification", "department", "region",
        "academie", "offer", "status_change", "department_status_change", "youth_path", "api_client", "rejection")


def upgrade() -> None:
    op.execute(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hub_tenant') THEN"
        " CREATE ROLE hub_tenant NOLOGIN NOBYPASSRLS; END IF; END $$"
    )
    op.execute("GRANT hub_tenant TO CURRENT_USER")
    op.execute("GRANT USAGE ON SCHEMA public TO hub_tenant")
    op.execute(f"GRANT SELECT ON {', '.join(READ)} TO hub_tenant")
    op.execute("GRANT INSERT ON audit_log TO hub_tenant")
    op.execute("GRANT USAGE ON SEQUENCE audit_log_id_seq TO hub_tenant")
    op.execute("ALTER TABLE wish ENABLE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY wish_of_the_portal ON wish FOR SELECT TO hub_tenant"
               " USING (portal = current_setting('hub.portal', true))")
    op.execute("ALTER TABLE youth_risk ENABLE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY risk_in_the_departments ON youth_risk FOR SELECT TO hub_tenant"
               " USING (department_code = ANY (string_to_array(current_setting('hub.departments', true), ',')))")


def downgrade() -> None:
    op.execute("DROP POLICY risk_in_the_departments ON youth_risk")
    op.execute("ALTER TABLE youth_risk DISABLE ROW LEVEL SECURITY")
    op.execute("DROP POLICY wish_of_the_portal ON wish")
    op.execute("ALTER TABLE wish DISABLE ROW LEVEL SECURITY")
    op.execute("REVOKE ALL ON audit_log_id_seq FROM hub_tenant")
    op.execute(f"REVOKE ALL ON audit_log, {', '.join(READ)} FROM hub_tenant")
    op.execute("REVOKE USAGE ON SCHEMA public FROM hub_tenant")
    # the role is the cluster's, possibly used by other databases: it stays
