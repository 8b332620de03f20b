"""Adviser benchmark: the first page of 100 youths at risk, for one department and for a region,
at national scale.

    .venv/bin/python bench/adviser.py                                  # generates 1,000,000 youths first
    .venv/bin/python bench/adviser.py --youths 100000 --requests 50    # a quicker run
    .venv/bin/python bench/adviser.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

It creates a fresh database, fills it with bench/generate.py (``--youths`` youths, 3,500 CFAs over
the 101 departments, about 5 steps each, paths, spans of risk and outcomes computed by the hub's
services), starts `hub serve`, creates an ADVISER for department 75 and one for region 84
(Auvergne-Rhône-Alpes, 12 departments), and asks each ``--requests`` times for
`atRiskYouths(first: 100)` (INE, reasons, since, department, last step): p50/p99 latency at
concurrency 1. It prints the plan PostgreSQL chose for each page (EXPLAIN ANALYZE) to show it
reads indexes, not every youth. The database is dropped after (``--keep`` keeps it).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import asyncpg_args, create_database, drop_database, percentile, server_url, start_hub, stop_hub  # noqa: E402
from generate import generate  # noqa: E402

from app.db import Database, make_engine  # noqa: E402
from app.domain.actors import Role  # noqa: E402
from app.domain.dates import today as france_today
from app.repositories.risks import COLUMNS, RiskQuery  # noqa: E402
from app.services import clients  # noqa: E402
from app.settings import Settings  # noqa: E402

PAGE = """query { atRiskYouths(first: 100) { totalCount pageInfo { endCursor }
  edges { node { youth { id ine } reasons since department { code name } lastStep { step effectiveDate cfa { uai } } } } } }"""


async def advisers(url: str) -> dict[str, tuple[str, frozenset[str]]]:
    settings = Settings(database_url=url)
    database = Database(make_engine(url, settings))
    db = database.session()
    keys = {}
    try:
        for label, kwargs in (("department 75", {"departments": ["75"]}), ("region 84", {"regions": ["84"]})):
            created = await clients.create_client(
                db, settings.key_pepper.get_secret_value(), name=f"bench adviser {label}", role=Role.ADVISER, **kwargs
            )
            keys[label] = (created.api_key, frozenset(created.client.departments))
        await db.commit()
    finally:
        await db.close()
        await database.dispose()
    return keys


async def explain(url: str, departments: frozenset[str]) -> str:
    args: list = []
    where = RiskQuery(on=france_today(), departments=departments).where(args)
    connection = await asyncpg.connect(**asyncpg_args(url))
    try:
        rows = await connection.fetch(
            f"EXPLAIN (ANALYZE, COSTS OFF) SELECT {COLUMNS} FROM youth_risk r WHERE {where}"
            " ORDER BY r.since, r.youth_id LIMIT 101", *args
        )
        count = await connection.fetch(f"EXPLAIN (ANALYZE, COSTS OFF) SELECT count(*) FROM youth_risk r WHERE {where}", *args)
    finally:
        await connection.close()
    return "\n".join(r[0] for r in rows) + "\n-- totalCount:\n" + "\n".join(r[0] for r in count)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a maintenance database URL; default: embedded PostgreSQL")
    parser.add_argument("--youths", type=int, default=1_000_000)
    parser.add_argument("--cfas", type=int, default=3_500)
    parser.add_argument("--requests", type=int, default=200, help="per adviser")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the generated database")
    parser.add_argument("--reuse", metavar="NAME", help="a database generated earlier (--keep) on the same server")
    args = parser.parse_args()

    base = server_url(args.database_url)
    name = args.reuse or f"hub_bench_{uuid.uuid4().hex[:8]}"
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    if args.reuse:
        args.keep = True
        connection = await asyncpg.connect(**asyncpg_args(url))
        summary = {
            "youths": await connection.fetchval("SELECT count(*) FROM youth"),
            "cfas": await connection.fetchval("SELECT count(*) FROM cfa"),
            "steps": await connection.fetchval("SELECT count(*) FROM step_event"),
            "at_risk_today": await connection.fetchval(
                "SELECT count(*) FROM youth_risk WHERE valid_from <= current_date"
                " AND (valid_to IS NULL OR valid_to > current_date)"),
        }
        await connection.close()
    else:
        await create_database(base, name)
    server = None
    try:
        if not args.reuse:
            started = time.perf_counter()
            summary = await generate(url, args.youths, args.cfas, 5, 0.2, 1)
            print(f"generated in {time.perf_counter() - started:.0f} s: {summary}", file=sys.stderr)
        keys = await advisers(url)
        server, port = await start_hub(url, args.workers)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            print(f"\natRiskYouths(first: 100) at national scale: {summary['youths']:,} youths, {summary['cfas']:,} CFAs, "
                  f"{summary['steps']:,} steps, {summary['at_risk_today']:,} at risk today; {args.requests} requests each, "
                  "concurrency 1")
            print("| adviser | youths at risk in scope | p50 | p99 |\n|---|---|---|---|")
            plans = {}
            for label, (key, departments) in keys.items():
                latencies, total = [], 0
                for _ in range(args.requests + 5):
                    began = time.perf_counter()
                    body = (await client.post("/graphql", json={"query": PAGE}, headers={"Authorization": f"Bearer {key}"})).json()
                    latencies.append(time.perf_counter() - began)
                    if "errors" in body:
                        raise SystemExit(f"failed: {body['errors']}")
                    total = body["data"]["atRiskYouths"]["totalCount"]
                latencies = latencies[5:]  # warm-up
                print(f"| {label} ({len(departments)} departments) | {total:,} | "
                      f"{percentile(latencies, 0.5) * 1000:,.1f} ms | {percentile(latencies, 0.99) * 1000:,.1f} ms |")
                plans[label] = await explain(url, departments)
        for label, plan in plans.items():
            print(f"\nEXPLAIN ANALYZE, {label}:\n{plan}")
    finally:
        stop_hub(server)
        if args.keep:
            print(f"kept database {name}", file=sys.stderr)
        else:
            await drop_database(base, name)


if __name__ == "__main__":
    asyncio.run(main())
