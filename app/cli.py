"""The ``hub`` command: serve, migrate, demo, clients, import, recompute, purge, audit, schema.

Every command uses ``HUB_DATABASE_URL`` when set, else the embedded PostgreSQL in
``HUB_DATA_DIR`` (default ``./.hub``), and brings the schema to head before it works.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from app.db import Database, RequestSession, make_engine, migration_engine, resolve_database_url
from app.domain.actors import Portal, Role
from app.domain.dates import today as france_today
from app.domain.policy import roles_for
from app.migrate import upgrade
from app.settings import Settings, get_settings

T = TypeVar("T")


def _prepare(settings: Settings) -> str:
    """Resolve the database (starting the embedded one if needed) and migrate it."""
    url = resolve_database_url(settings)

    async def migrate() -> None:
        engine = migration_engine(settings, url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(migrate())
    return url


def _with_session(settings: Settings, url: str, work: Callable[[RequestSession], Awaitable[T]]) -> T:
    async def run() -> T:
        database = Database(make_engine(url, settings))
        db = database.session()
        try:
            result = await work(db)
            await db.commit()
            return result
        finally:
            await db.close()
            await database.dispose()

    return asyncio.run(run())


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    _prepare(settings)
    from app.migrate import head_revision

    print(f"database at revision {head_revision()}")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    url = _prepare(settings)
    # Workers are fresh processes: they read the resolved database from the environment and
    # do not migrate again.
    os.environ["HUB_DATABASE_URL"] = url
    os.environ["HUB_MIGRATE_ON_START"] = "false"
    get_settings.cache_clear()
    if settings.is_development:
        print(f"GraphiQL: http://{args.host}:{args.port}/graphql", file=sys.stderr)
    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again with the handler it
    # found: make that a normal exit, so that exit handlers run and an embedded PostgreSQL stops.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=settings.log_level.lower(),
        log_config=None,  # the hub's JSON logging (app/logs.py), set up again in each worker
        access_log=False,  # replaced by the hub's request log, which knows the client and operation
        proxy_headers=True,
        server_header=False,
    )
    return 0


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from app.main import create_app  # noqa: F401  (fail early on a broken app)
    from app.security import IdentityVault
    from app.services import demo

    url = _prepare(settings)
    vault = IdentityVault(settings.identity_hash_key.get_secret_value().encode(), settings.encryption_key_bytes)
    pepper = settings.key_pepper.get_secret_value()

    async def load(db: RequestSession) -> dict[str, Any] | None:
        if await demo.demo_loaded(db):
            return None
        return await demo.load_demo(db, vault, settings, demo.DemoSize(cfas=args.cfas, youths=args.youths))

    started = time.monotonic()
    counts = _with_session(settings, url, load)
    if counts is None:
        print("demo data already loaded (delete HUB_DATA_DIR to start afresh)", file=sys.stderr)
    else:
        summary = ", ".join(f"{value} {name}" for name, value in counts.items())
        print(f"demo data loaded in {time.monotonic() - started:.1f}s: {summary}", file=sys.stderr)
    keys = _with_session(settings, url, lambda db: demo.issue_demo_keys(db, pepper))
    print("\nDemo API keys (shown once; `hub demo` again issues new ones):")
    for name, key in sorted(keys.items()):
        print(f"  {name:<32} {key}")
    if args.no_serve:
        return 0
    return cmd_serve(args, settings)


def cmd_clients_create(args: argparse.Namespace, settings: Settings) -> int:
    from app.errors import HubError
    from app.services import clients

    url = _prepare(settings)

    async def create(db: RequestSession) -> Any:
        return await clients.create_client(
            db,
            settings.key_pepper.get_secret_value(),
            name=args.name,
            role=Role(args.role),
            portal=Portal(args.portal) if args.portal else None,
            departments=args.departments,
            regions=args.regions,
            key_lifetime_days=settings.key_lifetime_days,
        )

    try:
        created = _with_session(settings, url, create)
    except HubError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    client = created.client
    scope = ",".join(client.departments) if client.departments else "national"
    print(f"client {client.id} ({client.role}, {client.name}, scope {scope})")
    print(created.api_key)
    return 0


def cmd_clients_list(args: argparse.Namespace, settings: Settings) -> int:
    from app.services import clients

    url = _prepare(settings)
    rows = _with_session(settings, url, clients.list_clients)
    print(f"{'id':<36}  {'role':<8} {'portal':<10} {'status':<8} name")
    for row in rows:
        status = "revoked" if row.revoked_at else "active"
        print(f"{row.id!s:<36}  {row.role:<8} {row.portal or '-':<10} {status:<8} {row.name}")
    return 0


def _client_id(text: str) -> uuid.UUID | None:
    """The client id given on the command line; None (said on stderr) when it cannot be one."""
    try:
        return uuid.UUID(text)
    except ValueError:
        print(f"error: no client has id {text}", file=sys.stderr)
        return None


def cmd_clients_revoke(args: argparse.Namespace, settings: Settings) -> int:
    from app.errors import HubError
    from app.services import clients

    client_id = _client_id(args.id)
    if client_id is None:
        return 2
    url = _prepare(settings)
    try:
        row = _with_session(settings, url, lambda db: clients.revoke_client(db, client_id))
    except HubError as problem:
        print(f"error: {problem.message}", file=sys.stderr)
        return 2
    print(f"client {row.id} revoked at {row.revoked_at.isoformat()}")
    return 0


def cmd_clients_rotate(args: argparse.Namespace, settings: Settings) -> int:
    """A new key for a client; the old one keeps working until the client has switched (a client
    has at most two usable keys: rotating again revokes the oldest)."""
    from app.services import clients

    client_id = _client_id(args.id)
    if client_id is None:
        return 2
    url = _prepare(settings)

    async def rotate(db: RequestSession) -> str | None:
        return await clients.rotate_key(db, settings.key_pepper.get_secret_value(), client_id, settings.key_lifetime_days)

    key = _with_session(settings, url, rotate)
    if key is None:
        print(f"error: no active client has id {args.id}", file=sys.stderr)
        return 2
    print(f"new key for client {client_id}, valid {settings.key_lifetime_days} days; the previous key works until the next rotation:")
    print(key)
    return 0


def cmd_recompute(args: argparse.Namespace, settings: Settings) -> int:
    """Every youth's path, spans of risk, change points and wishes' outcomes again, with the
    current settings (after a change of a threshold or of HUB_RULE_VERSION), a chunk of youths per
    transaction; an interrupted run resumes where it stopped (``--restart`` starts over)."""
    url = _prepare(settings)
    from app.progress import Progress
    from app.services.derivation import Recomputed, recompute_everyone

    bar: list[Progress] = []

    def start(total: int, before: int) -> None:
        if before:
            print(f"resuming: {before} youths were recomputed by an interrupted run", file=sys.stderr)
        bar.append(Progress("recomputing youths", total))
        bar[0].advance(before)

    async def run() -> Recomputed:
        database = Database(make_engine(url, settings))
        try:
            return await recompute_everyone(database, settings, chunk=args.chunk, restart=args.restart, on_start=start,
                                            on_chunk=lambda n: bar[0].advance(n))
        finally:
            await database.dispose()

    started = time.monotonic()
    result = asyncio.run(run())
    if bar:
        bar[0].finish()
    print(f"recomputed {result.youths} youths with rule version {settings.rule_version} in {time.monotonic() - started:,.0f} s"
          + (f" ({result.resumed_from} before the interruption)" if result.resumed_from else ""), file=sys.stderr)
    return 0


def cmd_derive(args: argparse.Namespace, settings: Settings) -> int:
    """Drain the deferred-derivation queue now (HUB_DERIVATION=deferred; the hub processes'
    derivers do it in the background): what a batch queued is derived, a round per transaction.
    With --retry, the youths whose derivation failed and were set aside are queued again first.
    Exit 1 when youths remain set aside."""
    url = _prepare(settings)
    from app.progress import Progress
    from app.services.derivation import backlog, drain, retry_set_aside, set_aside_count

    async def run() -> tuple[int, int, int]:
        database = Database(make_engine(url, settings))
        try:
            retried = await retry_set_aside(database, settings) if args.retry else 0
            db = database.session()
            try:
                queued, _ = await backlog(db)
            finally:
                await db.close()
            progress = Progress("deriving queued youths", queued)
            done = await drain(database, settings, on_round=lambda r: progress.advance(r.youths))
            progress.finish()
            db = database.session()
            try:
                aside = await set_aside_count(db)
            finally:
                await db.close()
            return done, retried, aside
        finally:
            await database.dispose()

    done, retried, aside = asyncio.run(run())
    print(f"derived {done} youths" + (f" ({retried} of them set aside before, queued again)" if args.retry else ""),
          file=sys.stderr)
    if aside:
        print(f"{aside} youths are set aside after a failed derivation (see derivation_failure; `hub derive --retry`"
              " once their data or the hub is mended)", file=sys.stderr)
        return 1
    return 0


def cmd_sweep(args: argparse.Namespace, settings: Settings) -> int:
    """The wishes' outcomes a status rule changes by today (or ``--on``), without any new step:
    what every hub process does every HUB_OUTCOME_SWEEP_S, now."""
    from datetime import date as date_

    url = _prepare(settings)
    from app.services.derivation import advance_cut, sweep_outcomes

    try:
        on = date_.fromisoformat(args.on) if args.on else None
    except ValueError:
        print("error: --on is an ISO date, e.g. 2027-01-31", file=sys.stderr)
        return 2

    async def run() -> int:
        database = Database(make_engine(url, settings))
        try:
            changed = await sweep_outcomes(database, settings, on)
            await advance_cut(database, on)  # the CFAs' headcount sums, up to the day before
            return changed
        finally:
            await database.dispose()

    print(f"{asyncio.run(run())} outcomes changed", file=sys.stderr)
    return 0


def cmd_import_offers(args: argparse.Namespace, settings: Settings) -> int:
    """A CFA catalogue's CSV, with the rules of the vendor whose key is given."""
    from pathlib import Path

    from app.auth import authenticate
    from app.errors import BadInput
    from app.progress import Progress
    from app.services import offer_import

    if not args.key:
        print("error: give the VENDOR key with --key or HUB_VENDOR_KEY", file=sys.stderr)
        return 2
    path = Path(args.file)
    try:
        text = offer_import.decode(path.read_bytes())
    except OSError as exc:
        print(f"error: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2
    except BadInput as problem:
        print(f"error: {problem.message}", file=sys.stderr)
        return 2
    url = _prepare(settings)

    async def run(db: RequestSession) -> Any:
        principal = await authenticate(db, settings.key_pepper.get_secret_value(), f"Bearer {args.key}")
        if principal is None or principal.role not in roles_for("POST /imports/offers"):  # the same import
            raise BadInput("the key is not a valid VENDOR key", field="key")
        lines = max(sum(1 for line in text.splitlines()[1:] if line.strip()), 1)
        progress = Progress(f"importing {path.name}"[:28], lines)
        report = await offer_import.import_offers(db, settings, principal, text, on_chunk=progress.advance)
        progress.finish()
        return report

    try:
        report = _with_session(settings, url, run)
    except BadInput as problem:
        print(f"error: {problem.message}", file=sys.stderr)
        return 2
    print(f"{report.lines} lines: {report.accepted} stored, {report.unchanged} unchanged, {len(report.rejected)} rejected")
    if report.ignored_columns:
        print(f"ignored columns: {', '.join(report.ignored_columns)}")
    for error in report.rejected[: args.show]:
        print(f"line {error.line}, column {error.column or '-'}: {error.code}: {error.message}")
    if len(report.rejected) > args.show:
        print(f"... and {len(report.rejected) - args.show} more (--show N)")
    return 1 if report.rejected else 0


def cmd_purge(args: argparse.Namespace, settings: Settings) -> int:
    """Retention: youths with no step and no wish for ``--older-than`` days (HUB_RETENTION_DAYS)."""
    from datetime import timedelta

    from app.progress import Progress
    from app.services import youths

    days = args.older_than or settings.retention_days
    if days < 30:
        print("error: --older-than is at least 30 days", file=sys.stderr)
        return 2
    cutoff = france_today() - timedelta(days=days)
    url = _prepare(settings)

    async def run() -> int:
        database = Database(make_engine(url, settings))
        purged, after = 0, 0
        try:
            db = database.session()
            total = len(await youths.purge_candidates(db, cutoff, 0, 10_000_000))
            await db.close()
            if args.dry_run or not total:
                return total
            progress = Progress("purging youths", total)
            while True:
                db = database.session()
                try:
                    ids = await youths.purge_candidates(db, cutoff, after, args.chunk, lock=True)
                    if not ids:
                        break
                    await youths.purge(db, ids)
                    await db.commit()
                finally:
                    await db.close()
                after, purged = ids[-1], purged + len(ids)
                progress.advance(len(ids))
            progress.finish()
            return purged
        finally:
            await database.dispose()

    count = asyncio.run(run())
    verb = "would purge" if args.dry_run else "purged"
    print(f"{verb} {count} youths with no step and no wish since {cutoff.isoformat()} ({days} days)")
    return 0


def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    """Who read which youths' data: the audit log, newest first, as tab-separated lines."""
    url = _prepare(settings)

    async def run(db: RequestSession) -> list[Any]:
        from datetime import datetime

        from app.services.feedback import audit_entries

        return await audit_entries(db, 
            client_id=uuid.UUID(args.client) if args.client else None, youth_id=args.youth,
            since=datetime.fromisoformat(args.since) if args.since else None, limit=args.limit,
        )

    try:
        rows = _with_session(settings, url, run)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("at\tclient\trole\toperation\tyouths\twishes\tyouth ids\trequest id")
    for at, name, role, operation, youths, wishes, ids, request_id in rows:
        shown = ",".join(map(str, ids[:10])) + (",…" if len(ids) > 10 else "")
        print(f"{at.isoformat()}\t{name}\t{role}\t{operation}\t{youths}\t{wishes}\t{shown}\t{request_id or ''}")
    return 0


def cmd_schema(args: argparse.Namespace, settings: Settings) -> int:
    from graphql_schema.schema import schema

    sys.stdout.write(schema.as_str() + "\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hub", description="Apprenticeship data hub.")
    commands = parser.add_subparsers(dest="command", required=True)

    def add_serve_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--host", default="127.0.0.1")
        command.add_argument("--port", type=int, default=8000)
        command.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")

    serve = commands.add_parser("serve", help="run the HTTP server (migrates first)")
    add_serve_options(serve)
    serve.set_defaults(handler=cmd_serve)

    commands.add_parser("migrate", help="bring the database schema to head").set_defaults(handler=cmd_migrate)

    demo = commands.add_parser("demo", help="load synthetic demo data, print one key per role, serve")
    add_serve_options(demo)
    demo.add_argument("--cfas", type=int, default=48)
    demo.add_argument("--youths", type=int, default=4_000)
    demo.add_argument("--no-serve", action="store_true", help="load and print keys, then exit")
    demo.set_defaults(handler=cmd_demo)

    clients = commands.add_parser("clients", help="API clients and keys").add_subparsers(dest="action", required=True)
    create = clients.add_parser("create", help="create a client; its key is printed alone on the last line")
    create.add_argument("--role", required=True, choices=[role.value for role in Role])
    create.add_argument("--name", required=True)
    create.add_argument("--portal", choices=[portal.value for portal in Portal])
    create.add_argument("--departments", nargs="+", metavar="CODE")
    create.add_argument("--regions", nargs="+", metavar="CODE")
    create.set_defaults(handler=cmd_clients_create)
    clients.add_parser("list", help="list clients").set_defaults(handler=cmd_clients_list)
    rotate = clients.add_parser("rotate", help="a new key for a client (the previous one keeps working until the next rotation)")
    rotate.add_argument("id")
    rotate.set_defaults(handler=cmd_clients_rotate)
    revoke = clients.add_parser("revoke", help="revoke a client: its keys stop working at once")
    revoke.add_argument("id")
    revoke.set_defaults(handler=cmd_clients_revoke)

    recompute = commands.add_parser(
        "recompute", help="recompute every youth's path, risk and wishes' outcomes (after changing a rule setting)"
    )
    recompute.add_argument("--chunk", type=int, default=2000, help="youths per transaction")
    recompute.add_argument("--restart", action="store_true", help="start over instead of resuming an interrupted run")
    recompute.set_defaults(handler=cmd_recompute)

    sweep = commands.add_parser("sweep", help="refresh the wishes' outcomes a status rule changes by today")
    sweep.add_argument("--on", help="the day to sweep for (ISO date; default: today)")
    sweep.set_defaults(handler=cmd_sweep)

    derive = commands.add_parser(
        "derive", help="derive now what recordSteps queued (HUB_DERIVATION=deferred); exit 1 if youths stay set aside"
    )
    derive.add_argument("--retry", action="store_true", help="queue again the youths set aside after a failed derivation")
    derive.set_defaults(handler=cmd_derive)
    imports = commands.add_parser("import", help="take in a file").add_subparsers(dest="kind", required=True)
    offers = imports.add_parser(
        "offers", help="a CFA catalogue's CSV, as upsertOffers with the vendor's key (exit 1: some lines rejected)"
    )
    offers.add_argument("file")
    offers.add_argument(
        "--key", default=os.environ.get("HUB_VENDOR_KEY"),
        help="the VENDOR key whose rules apply (default: $HUB_VENDOR_KEY, which keeps it out of process lists)",
    )
    offers.add_argument("--show", type=int, default=20, help="rejected lines to print")
    offers.set_defaults(handler=cmd_import_offers)

    purge = commands.add_parser("purge", help="retention: remove youths with no step and no wish for a long time")
    purge.add_argument("--older-than", type=int, metavar="DAYS", help="default: HUB_RETENTION_DAYS (5 years)")
    purge.add_argument("--dry-run", action="store_true", help="count only")
    purge.add_argument("--chunk", type=int, default=2000, help="youths per transaction")
    purge.set_defaults(handler=cmd_purge)

    audit = commands.add_parser("audit", help="who read which youths' data (the append-only audit log)")
    audit.add_argument("--client", help="a client id")
    audit.add_argument("--youth", type=int, help="a youth's hub id: every read that returned it")
    audit.add_argument("--since", help="ISO 8601 instant, e.g. 2026-11-01T00:00:00+00:00")
    audit.add_argument("--limit", type=int, default=100)
    audit.set_defaults(handler=cmd_audit)

    commands.add_parser("schema", help="print the GraphQL SDL").set_defaults(handler=cmd_schema)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    from app import logs

    logs.configure(settings.log_level, settings.log_format)
    try:
        settings.check_production()
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    code: int = args.handler(args, settings)
    return code


if __name__ == "__main__":
    sys.exit(main())
