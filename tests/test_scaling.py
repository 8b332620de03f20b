"""Past one machine, on existing engines: the hub behind PgBouncer in transaction mode, and reads
from a real streaming replica (pg_basebackup -R) with read-your-writes.

Both need programs of the system (pgbouncer; PostgreSQL's binaries, which the pgserver package
brings): a test whose program is missing is skipped with the reason (`.ci/run` installs
pgbouncer first)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url, text

from app.db import Database, make_engine
from app.domain.actors import Portal, Role
from app.domain.dates import today as france_today
from app.main import create_app
from app.migrate import upgrade
from app.services import cfas, clients
from app.settings import Derivation, Settings
from tests.helpers import Gql

RECORD = "mutation($input: [StepInput!]!) { recordSteps(input: $input) { accepted unchanged rejected { code } } }"
SUBMIT = "mutation($input: [WishInput!]!) { submitWishes(input: $input) { accepted rejected { code } } }"
WISHES = "query { wishes(first: 50) { totalCount edges { node { portalWishId outcome { stage } } } } }"
OFFERS = "query { offers(first: 10) { totalCount } }"
X = "0751234J"
TODAY = france_today()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def steps(prefix: str, count: int, step: str = "REGISTERED") -> list[dict]:
    return [
        {"eventId": f"{prefix}{i}", "uai": X, "ine": f"{i:09d}AB", "certification": "50022141", "step": step,
         "effectiveDate": (TODAY - timedelta(days=i % 50 + 1)).isoformat()}
        for i in range(count)
    ]


def wishes(prefix: str, count: int) -> list[dict]:
    at = datetime.combine(TODAY - timedelta(days=40), datetime.min.time(), UTC).isoformat()
    return [{"portalWishId": f"{prefix}{i}", "ine": f"{i:09d}AB", "uai": X, "certification": "50022141", "submittedAt": at}
            for i in range(count)]


async def seed(database: Database, settings: Settings) -> dict[str, str]:
    """An admin, a vendor, two portals' clients and one consenting CFA; their keys."""
    pepper = settings.key_pepper.get_secret_value()
    db = database.session()
    try:
        from app.auth import Principal

        admin = await clients.create_client(db, pepper, name="admin", role=Role.ADMIN)
        vendor = await clients.create_client(db, pepper, name="vendor", role=Role.VENDOR)
        reader = await clients.create_client(db, pepper, name="Parcoursup reader", role=Role.PORTAL, portal=Portal.PARCOURSUP)
        writer = await clients.create_client(db, pepper, name="Parcoursup writer", role=Role.PORTAL, portal=Portal.PARCOURSUP)
        principal = Principal(admin.client.id, "admin", Role.ADMIN, None, None, admin.client.created_at, admin.client.id)
        await cfas.register_cfa(db, uai=X, siret=None, name="CFA", department_code="75")
        await cfas.set_consent(db, principal, uai=X, given=True, vendor_client_ids=[str(vendor.client.id)])
        await db.commit()
    finally:
        await db.close()
    return {"vendor": vendor.api_key, "reader": reader.api_key, "writer": writer.api_key}


# --- PgBouncer ---------------------------------------------------------------------------------


@pytest.fixture
def shared_dir():
    """A folder the database's own user can use too (pytest's tmp_path is root's alone)."""
    path = Path(tempfile.mkdtemp(prefix="hub-test-"))
    os.chmod(path, 0o777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def pgbouncer(fresh_database_url, shared_dir):
    """PgBouncer in transaction mode in front of the test server, with a pool of 2 server
    connections (so that clients' transactions share them)."""
    binary = shutil.which("pgbouncer")
    if binary is None:
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer; .ci/run does)")
    url = make_url(fresh_database_url)
    socket_dir = url.query.get("host")
    host, port = (socket_dir, 5432) if socket_dir else (url.host, url.port or 5432)
    # PgBouncer refuses to run as root: it runs as the owner of the server's socket folder (the
    # embedded server's user), else as nobody.
    user = pwd.getpwuid(os.stat(socket_dir).st_uid).pw_name if socket_dir else "nobody"
    listen = free_port()
    tmp_path = shared_dir
    (tmp_path / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={host} port={port} user={url.username or 'postgres'}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {listen}\nunix_socket_dir =\nauth_type = any\n"
        "pool_mode = transaction\ndefault_pool_size = 2\nmax_client_conn = 200\n"
        f"logfile = {tmp_path}/pgbouncer.log\n"
    )
    command = [binary, str(tmp_path / "pgbouncer.ini")]
    if os.geteuid() == 0:
        command[1:1] = ["-u", user]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(100):
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", listen), timeout=0.1):
            break
        if process.poll() is not None:
            pytest.fail(f"pgbouncer did not start: {process.stderr.read().decode()}")
        import time

        time.sleep(0.05)
    through = url.set(host="127.0.0.1", port=listen, query={}).render_as_string(hide_password=False)
    yield fresh_database_url, through
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=10)
    process.stderr.close()


async def test_the_hub_works_behind_pgbouncer_in_transaction_mode(pgbouncer, settings):
    direct, through = pgbouncer
    hub_settings = settings.model_copy(update={
        "database_url": through, "database_migrate_url": direct, "db_pgbouncer": True,
        "derivation": Derivation.DEFERRED, "derivation_quiet_s": 0.0, "derivation_idle_s": 0.02,
        "rate_limit_burst": 10_000,
    })
    migrations = make_engine(direct, hub_settings, pgbouncer=False)
    await upgrade(migrations)
    keys = await seed(Database(migrations), hub_settings)
    await migrations.dispose()

    app = create_app(hub_settings)  # owns its engines: migrates through the direct URL, derives
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub", timeout=60) as http:
            gql = Gql(http)
            assert (await gql.data(SUBMIT, {"input": wishes("w", 40)}, key=keys["writer"]))["submitWishes"]["accepted"] == 40
            # many transactions at once over 2 server connections: prepared statements must not
            # leak from one to another (named statements would collide or go missing)
            batches = [gql.data(RECORD, {"input": steps(f"b{n}-", 40)}, key=keys["vendor"]) for n in range(6)]
            reads = [gql.data(WISHES, key=keys["writer"]) for _ in range(12)]
            results = await asyncio.gather(*batches, *reads)
            assert sum(r["recordSteps"]["accepted"] for r in results[:6]) == 240
            assert all(r["wishes"]["totalCount"] == 40 for r in results[6:])
            replay = (await gql.data(RECORD, {"input": steps("b0-", 40)}, key=keys["vendor"]))["recordSteps"]
            assert (replay["accepted"], replay["unchanged"]) == (0, 40)
            for _ in range(200):  # the deriver, through PgBouncer too
                body = (await http.get("/readyz")).json()
                if body["status"] == "ready" and body["derivation"]["queued"] == 0:
                    break
                await asyncio.sleep(0.05)
            assert body["derivation"]["queued"] == 0
            stages = {e["node"]["outcome"]["stage"] for e in (await gql.data(WISHES, key=keys["writer"]))["wishes"]["edges"]}
            assert stages == {"REGISTERED"}


async def test_behind_pgbouncer_migrations_need_a_direct_url(settings):
    from app.db import migration_engine

    with pytest.raises(RuntimeError, match="HUB_DATABASE_MIGRATE_URL"):
        migration_engine(settings.model_copy(update={"db_pgbouncer": True, "database_migrate_url": None}), "postgresql+asyncpg://x/y")


# --- Streaming replica -------------------------------------------------------------------------


def _pgserver():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
    return pgserver


@pytest.fixture
def primary_and_replica(shared_dir):
    """A primary (pgserver) and a streaming replica made by pg_basebackup -R, each on its own
    Unix socket."""
    pgserver = _pgserver()
    binaries = Path(pgserver.__file__).parent / "pginstall" / "bin"
    if not (binaries / "pg_basebackup").exists():
        pytest.skip(f"pg_basebackup not found in {binaries}")
    primary_dir, replica_dir = shared_dir / "primary", shared_dir / "replica"
    server = pgserver.get_server(primary_dir, cleanup_mode="stop")
    server.psql('CREATE DATABASE "hub";')
    user = server.system_user

    def as_user(args: list[str], **kwargs) -> subprocess.CompletedProcess:
        command = args if os.geteuid() != 0 else ["su", "-s", "/bin/sh", user, "-c", " ".join(map(_quote, args))]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, **kwargs)

    made = as_user([str(binaries / "pg_basebackup"), "-h", str(primary_dir), "-U", "postgres", "-D", str(replica_dir),
                    "-R", "-X", "stream", "-c", "fast"])
    if made.returncode != 0:
        pytest.fail(f"pg_basebackup failed: {made.stderr}")
    # the primary keeps its socket in its data folder: the copy of its lock file must go
    (replica_dir / ".s.PGSQL.5432.lock").unlink(missing_ok=True)
    started = as_user([str(binaries / "pg_ctl"), "-D", str(replica_dir), "-w", "-l", str(replica_dir / "log"),
                       "-o", f"-h '' -k {replica_dir} -c hot_standby=on", "start"])
    if started.returncode != 0:
        pytest.fail(f"the replica did not start: {started.stderr} {(replica_dir / 'log').read_text()}")
    primary_url = f"postgresql+asyncpg://postgres@/hub?host={primary_dir}"
    replica_url = f"postgresql+asyncpg://postgres@/hub?host={replica_dir}"
    yield primary_url, replica_url
    as_user([str(binaries / "pg_ctl"), "-D", str(replica_dir), "-w", "-m", "fast", "stop"])
    with contextlib.suppress(Exception):
        pgserver.pg_ctl(["-w", "stop", "-m", "fast"], pgdata=primary_dir, user=user, timeout=30)


def _quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


async def test_queries_read_the_replica_and_writers_read_their_writes(primary_and_replica, settings):
    primary_url, replica_url = primary_and_replica
    hub_settings = settings.model_copy(update={
        "database_url": primary_url, "database_read_url": replica_url, "rate_limit_burst": 10_000,
    })
    engine = make_engine(primary_url, hub_settings)
    await upgrade(engine)
    keys = await seed(Database(engine), hub_settings)
    replica = make_engine(replica_url, hub_settings)

    async def on_replica(statement: str) -> object:
        async with replica.connect() as connection:
            return (await connection.execute(text(statement))).scalar()

    assert await on_replica("SELECT pg_is_in_recovery()") is True
    app = create_app(hub_settings)
    try:
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub", timeout=60) as http:
                gql = Gql(http)
                assert (await gql.data(SUBMIT, {"input": wishes("a", 5)}, key=keys["writer"]))["submitWishes"]["accepted"] == 5
                for _ in range(100):  # the replica catches up
                    if await on_replica("SELECT count(*) FROM wish") == 5:
                        break
                    await asyncio.sleep(0.05)
                assert (await gql.data(WISHES, key=keys["reader"]))["wishes"]["totalCount"] == 5

                # Replay paused on the replica: what the writer writes now is not there.
                await on_replica("SELECT pg_wal_replay_pause()")
                assert (await gql.data(SUBMIT, {"input": wishes("b", 3)}, key=keys["writer"]))["submitWishes"]["accepted"] == 3
                await asyncio.sleep(0.3)
                assert await on_replica("SELECT count(*) FROM wish") == 5
                # Another client reads the replica (it has not written): the stale count proves it.
                assert (await gql.data(WISHES, key=keys["reader"]))["wishes"]["totalCount"] == 5
                # The writer reads its own writes: the replica is behind its last write, the primary answers.
                assert (await gql.data(WISHES, key=keys["writer"]))["wishes"]["totalCount"] == 8
                # Reads of youths' data are audited on the primary even when served by the replica.
                async with engine.connect() as connection:
                    audited = (await connection.execute(text(
                        "SELECT count(*) FROM audit_log WHERE operation = 'wishes'"))).scalar()
                assert audited == 3

                # A vendor's file import counts as its write too: its next reads go to the primary.
                csv_text = "Code UAI;Clé offre;Code diplôme;Département;Capacité d'accueil\n" f"{X};o1;50022141;75;12\n"
                imported = await http.post("/imports/offers", content=csv_text.encode(),
                                           headers={"Authorization": f"Bearer {keys['vendor']}", "Content-Type": "text/csv"})
                assert imported.status_code == 200 and imported.json()["accepted"] == 1, imported.text
                assert (await gql.data(OFFERS, key=keys["vendor"]))["offers"]["totalCount"] == 1
                assert (await gql.data(OFFERS, key=keys["reader"]))["offers"]["totalCount"] == 0  # the paused replica

                await on_replica("SELECT pg_wal_replay_resume()")
                for _ in range(100):
                    if await on_replica("SELECT count(*) FROM wish") == 8:
                        break
                    await asyncio.sleep(0.05)
                assert (await gql.data(WISHES, key=keys["reader"]))["wishes"]["totalCount"] == 8
    finally:
        await replica.dispose()
        await engine.dispose()


async def test_an_unreachable_replica_leaves_reads_to_the_primary(fresh_database_url, settings, tmp_path):
    hub_settings = settings.model_copy(update={
        "database_url": fresh_database_url, "rate_limit_burst": 10_000,
        "database_read_url": f"postgresql+asyncpg://postgres@/hub?host={tmp_path}",  # nothing listens there
    })
    engine = make_engine(fresh_database_url, hub_settings)
    await upgrade(engine)
    keys = await seed(Database(engine), hub_settings)
    await engine.dispose()
    app = create_app(hub_settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub", timeout=60) as http:
            gql = Gql(http)
            assert (await gql.data(SUBMIT, {"input": wishes("a", 2)}, key=keys["writer"]))["submitWishes"]["accepted"] == 2
            assert (await gql.data(WISHES, key=keys["reader"]))["wishes"]["totalCount"] == 2
