"""The statements of the layer under the repositories: the session (app/db.py: opening its
transaction, the tenant wall, a replica's lag), the migration lock (app/migrate.py) and the
embedded server's database check (app/embedded.py). Session control, not data access; kept here
so that every SQL text of the hub is under app/repositories. This module imports nothing."""

OPEN_TRANSACTION = "SELECT 1"  # any statement: the first one opens the session's transaction

# set_config('role', ..., true) is SET LOCAL ROLE, in the same statement as the tenant
ENTER_WALL = "SELECT set_config($1, $2, true), set_config('role', 'hub_tenant', true)"
LEAVE_WALL = "RESET ROLE"

# whether the replica has replayed the primary's WAL up to $1 (a pg_lsn as text; NULL: any)
REPLICA_CAUGHT_UP = (
    "SELECT pg_is_in_recovery() AND ($1::text IS NULL OR pg_last_wal_replay_lsn() >= $1::text::pg_lsn)"
)

MIGRATION_LOCK = "SELECT pg_advisory_lock(:id)"
MIGRATION_UNLOCK = "SELECT pg_advisory_unlock(:id)"

DATABASE_EXISTS = "SELECT 1 FROM pg_database WHERE datname = '{database}';"  # psql; the name is the hub's own
