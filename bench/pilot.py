"""Pilot benchmark: national headcounts at national scale, against the best plain SQL over the
raw step events, in the same run.

    .venv/bin/python bench/pilot.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/pilot.py --reuse hub_bench_xxxxxxxx --database-url …    # data kept by adviser.py --keep

It generates (bench/generate.py: 1,000,000 youths, about 4.5 million step events) or reuses a
database, starts `hub serve`, and as a national PILOT asks ``--requests`` times each:
`headcounts(groupBy: REGION)`, `headcounts(groupBy: CFA)` on today, and
`headcountSeries(MONTH, REGION)` over the school year: p50/p99 over HTTP. Beside it, the same
national count by region computed by one plain SQL statement over ``step_event`` (each youth's
last status step on the date, the 90- and 180-day rules and contract ends in SQL, GROUP BY region):
its p50, and the ratio.
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
from app.services import clients  # noqa: E402
from app.settings import Settings  # noqa: E402

ROW = "key registered apprentices contractBroken droppedOut capacity vacancies"
QUERIES = {
    "headcounts by REGION": f"{{ headcounts(groupBy: REGION) {{ {ROW} }} }}",
    "headcounts by CFA": f"{{ headcounts(groupBy: CFA) {{ {ROW} }} }}",
    "headcountSeries MONTH by REGION, school year": (
        f'{{ headcountSeries(from: "{france_today().year - (france_today().month < 8)}-08-01", to: "{france_today().isoformat()}",'
        f" interval: MONTH, groupBy: REGION) {{ on rows {{ {ROW} }} }} }}"
    ),
}
# Each youth's last status step on the date (effective date, then arrival), with the rules of
# the path timeline written in SQL (not the completion of contracts, which needs the offers).
PLAIN_SQL = """
WITH last AS (
  SELECT DISTINCT ON (youth_id) youth_id, step, effective_date, contract_end, uai
  FROM step_event
  WHERE effective_date <= $1 AND step IN ('REGISTERED', 'APPRENTICE', 'CONTRACT_BROKEN', 'DROPPED_OUT', 'COMPLETED')
  ORDER BY youth_id, effective_date DESC, id DESC
), status AS (
  SELECT uai, CASE
    WHEN step = 'REGISTERED' AND $1 - effective_date > 90 THEN 'DROPPED_OUT'
    WHEN step = 'CONTRACT_BROKEN' AND $1 - effective_date > 180 THEN 'DROPPED_OUT'
    WHEN step = 'APPRENTICE' AND contract_end < $1 AND $1 - contract_end > 91 THEN 'DROPPED_OUT'
    WHEN step = 'APPRENTICE' AND contract_end < $1 THEN 'REGISTERED'
    ELSE step END AS status
  FROM last
)
SELECT d.region_code, count(*) FILTER (WHERE s.status = 'REGISTERED'), count(*) FILTER (WHERE s.status = 'APPRENTICE'),
       count(*) FILTER (WHERE s.status = 'CONTRACT_BROKEN')
FROM status s JOIN cfa c ON c.uai = s.uai JOIN department d ON d.code = c.department_code
GROUP BY d.region_code
"""


async def national_pilot(url: str) -> str:
    settings = Settings(database_url=url)
    database = Database(make_engine(url, settings))
    db = database.session()
    try:
        created = await clients.create_client(db, settings.key_pepper.get_secret_value(), name="bench pilot", role=Role.PILOT)
        await db.commit()
        return created.api_key
    finally:
        await db.close()
        await database.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a maintenance database URL; default: embedded PostgreSQL")
    parser.add_argument("--youths", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reuse", metavar="NAME", help="a database generated earlier on the same server")
    args = parser.parse_args()
    base = server_url(args.database_url)
    name = args.reuse or f"hub_bench_{uuid.uuid4().hex[:8]}"
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    if not args.reuse:
        await create_database(base, name)
    server = None
    try:
        if not args.reuse:
            summary = await generate(url, args.youths, 3_500, 5, 0.2, 1)
            print(f"generated: {summary}", file=sys.stderr)
        key = await national_pilot(url)
        connection = await asyncpg.connect(**asyncpg_args(url))
        events = await connection.fetchval("SELECT count(*) FROM step_event")
        youths = await connection.fetchval("SELECT count(*) FROM youth")
        changes = await connection.fetchval("SELECT count(*) FROM status_change")
        by_department = await connection.fetchval("SELECT count(*) FROM department_status_change")
        plain = []
        for _ in range(5):
            started = time.perf_counter()
            await connection.fetch(PLAIN_SQL, france_today())
            plain.append(time.perf_counter() - started)
        await connection.close()

        server, port = await start_hub(url, args.workers)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=300) as client:
            print(f"\npilot headcounts: {youths:,} youths, {events:,} step events; change points {changes:,} "
                  f"(by department {by_department:,}); {args.requests} requests each, concurrency 1, national PILOT")
            print("| query | p50 | p99 |\n|---|---|---|")
            results = {}
            for label, query in QUERIES.items():
                latencies = []
                for _ in range(args.requests + 2):
                    started = time.perf_counter()
                    body = (await client.post("/graphql", json={"query": query}, headers={"Authorization": f"Bearer {key}"})).json()
                    latencies.append(time.perf_counter() - started)
                    if "errors" in body:
                        raise SystemExit(f"failed: {body['errors']}")
                latencies = latencies[2:]
                results[label] = percentile(latencies, 0.5)
                print(f"| {label} | {percentile(latencies, 0.5) * 1000:,.0f} ms | {percentile(latencies, 0.99) * 1000:,.0f} ms |")
            plain_p50 = percentile(plain, 0.5)
            print(f"| plain SQL GROUP BY region over step_event (database only) | {plain_p50 * 1000:,.0f} ms | "
                  f"{max(plain) * 1000:,.0f} ms |")
            print(f"\nratio plain SQL / headcounts by REGION over HTTP: {plain_p50 / results['headcounts by REGION']:.1f}x")
    finally:
        stop_hub(server)
        if not args.reuse:
            await drop_database(base, name)


if __name__ == "__main__":
    asyncio.run(main())
