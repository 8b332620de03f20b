"""Every workload at national scale, side by side with its comparison, in one run and one table.

    .venv/bin/python bench/run.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/run.py --database-url … --reuse hub_national     # data generated earlier
    .venv/bin/python bench/run.py --scale 0.05 --seconds 3                  # a quick run

It generates the national data set (bench/generate.py at ``--scale``) in a database of its own, or
reuses one, then measures, each with a fresh `hub serve --workers N` so that the server's peak RSS
belongs to the workload:

- ingest: recordSteps records/s against asyncpg `copy_records_to_table` into the same shape
  (bench/ingest.py, in a fresh database of its own, deferred derivation);
- portal: a page of 100 and of 500 wishes with their outcome, CFA and certification, requests/s at
  concurrency 8, against PostGraphile 4 (installed by npm into bench/.postgraphile, started on the
  same database with an equivalent read-only schema of views, as many cluster workers as the hub
  has workers) and against the one hand-written SQL query that returns the same rows;
- the same portal page of 100 at 1 and 2 hub workers;
- adviser: the first page of 100 youths at risk for department 75 and for region 84, latency at
  concurrency 1, against the plain SQL of that page and its count;
- pilot: national headcounts by region on today and the monthly series of the school year,
  latency, against the plain SQL over the change points that gives the same sums, and against the
  live GROUP BY over the raw step events.

The table goes to standard output and, with the raw figures, to .hub/bench-run.md and
.hub/bench-run.json. Benchmark clients have their rate limit raised (HUB_RATE_LIMIT_*): the limit
is measured by bench/abuse.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import ingest  # noqa: E402
from common import asyncpg_args, create_database, drop_database, free_port, percentile, server_url, start_hub, stop_hub  # noqa: E402
from generate import generate, sizes  # noqa: E402
from pilot import PLAIN_SQL  # noqa: E402

from app.db import Database, make_engine  # noqa: E402
from app.domain.actors import Portal, Role  # noqa: E402
from app.domain.dates import today as france_today
from app.repositories.risks import COLUMNS, RiskQuery  # noqa: E402
from app.services import clients  # noqa: E402
from app.services.headcounts import school_year_start, series_points  # noqa: E402
from app.settings import Settings  # noqa: E402

POSTGRAPHILE_DIR = ROOT / "bench" / ".postgraphile"
HUB_PAGE = """query($after: String) {{ wishes(first: {n}, after: $after) {{
  totalCount pageInfo {{ endCursor hasNextPage }}
  edges {{ node {{ portalWishId submittedAt cfa {{ uai name }} certification {{ code title }}
    outcome {{ stage match since cfa {{ uai }} certification {{ code }} }} }} }} }} }}"""
POSTGRAPHILE_PAGE = """query($after: Cursor) {{ allWishes(first: {n}, after: $after, condition: {{portal: "PARCOURSUP"}}, orderBy: ID_ASC) {{
  totalCount pageInfo {{ endCursor hasNextPage }}
  edges {{ node {{ portalWishId submittedAt cfaByUai {{ uai name }} certificationByCertificationCode {{ code title }}
    outcomeStage outcomeMatch outcomeSince cfaByOutcomeUai {{ uai }} certificationByOutcomeCertification {{ code }} }} }} }} }}"""
SQL_PAGE = (
    "SELECT w.id, w.portal_wish_id, w.submitted_at, w.outcome_stage, w.outcome_match, w.outcome_since, w.outcome_uai,"
    " w.outcome_certification, c.uai, c.name, k.code, k.title, (SELECT count(*) FROM wish WHERE portal = 'PARCOURSUP')"
    " FROM wish w JOIN cfa c ON c.uai = w.uai JOIN certification k ON k.code = w.certification_code"
    " WHERE w.portal = 'PARCOURSUP' AND w.id > $1 ORDER BY w.id LIMIT $2"
)
POSTGRAPHILE_SCHEMA = """
DROP SCHEMA IF EXISTS postgraphile_bench CASCADE;
CREATE SCHEMA postgraphile_bench;
CREATE VIEW postgraphile_bench.wish AS SELECT id, portal, portal_wish_id, submitted_at, uai, certification_code,
  outcome_stage, outcome_match, outcome_since, outcome_uai, outcome_certification FROM public.wish;
CREATE VIEW postgraphile_bench.cfa AS SELECT uai, name, department_code FROM public.cfa;
CREATE VIEW postgraphile_bench.certification AS SELECT code, title, kind FROM public.certification;
COMMENT ON VIEW postgraphile_bench.cfa IS E'@primaryKey uai';
COMMENT ON VIEW postgraphile_bench.certification IS E'@primaryKey code';
COMMENT ON VIEW postgraphile_bench.wish IS E'@primaryKey id\\n@foreignKey (uai) references postgraphile_bench.cfa (uai)\\n@foreignKey (certification_code) references postgraphile_bench.certification (code)\\n@foreignKey (outcome_uai) references postgraphile_bench.cfa (uai)\\n@foreignKey (outcome_certification) references postgraphile_bench.certification (code)';
"""
ROW = "key registered apprentices contractBroken droppedOut capacity vacancies"


PILOT_QUERIES = {
    "headcounts by REGION": f"{{ headcounts(groupBy: REGION) {{ {ROW} }} }}",
    "headcounts by CFA": f"{{ headcounts(groupBy: CFA) {{ {ROW} }} }}",
    "headcountSeries MONTH by REGION": (
        f'{{ headcountSeries(from: "{school_year_start(france_today()).isoformat()}", to: "{france_today().isoformat()}",'
        f" interval: MONTH, groupBy: REGION) {{ on rows {{ {ROW} }} }} }}"
    ),
    "transmissionCoverage by DEPARTMENT": (
        "{ transmissionCoverage(groupBy: DEPARTMENT) { key label cfas consenting transmitting apprentices } }"
    ),
    "wishConversion by REGION": (
        "{ wishConversion(groupBy: REGION) { key label wishes handled handledByWishedCfa registered apprentices"
        " apprenticesAsWished left suppressed suppressedFields } }"
    ),
}


# --- measuring -------------------------------------------------------------------------------


async def load(fire, concurrency: int, seconds: float) -> dict:
    """Calls ``fire()`` from ``concurrency`` loops for ``seconds``: requests/s, p50, p99 (ms)."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def loop() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await fire()
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {"requests_per_s": len(latencies) / elapsed, "p50_ms": percentile(latencies, 0.5) * 1000,
            "p99_ms": percentile(latencies, 0.99) * 1000, "requests": len(latencies)}


def graphql_caller(client: httpx.AsyncClient, query: str, key: str | None, variables) -> callable:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}

    async def fire() -> None:
        response = await client.post("/graphql", content=json.dumps({"query": query, "variables": variables()}), headers=headers)
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise SystemExit(f"request failed ({response.status_code}): {response.text[:300]}")

    return fire


async def page_cursors(client: httpx.AsyncClient, query: str, key: str | None, root: str, pages: int) -> list:
    found: list = [None]
    after = None
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    while len(found) < pages:
        body = (await client.post("/graphql", json={"query": query, "variables": {"after": after}}, headers=headers)).json()
        info = body["data"][root]["pageInfo"]
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
        found.append(after)
    return found


def rss_mb(pid: int) -> tuple[float, float]:
    one, total = ingest.rss_of_tree(pid)
    return one / 1024, total / 1024


# --- setting up ------------------------------------------------------------------------------


async def bench_clients(url: str) -> dict[str, str]:
    settings = Settings(database_url=url)
    database = Database(make_engine(url, settings))
    db = database.session()
    pepper = settings.key_pepper.get_secret_value()
    try:
        keys = {
            "portal": (await clients.create_client(db, pepper, name="bench Parcoursup", role=Role.PORTAL,
                                                   portal=Portal.PARCOURSUP)).api_key,
            "adviser 75": (await clients.create_client(db, pepper, name="bench adviser 75", role=Role.ADVISER,
                                                       departments=["75"])).api_key,
            "adviser 84": (await clients.create_client(db, pepper, name="bench adviser 84", role=Role.ADVISER,
                                                       regions=["84"])).api_key,
            "pilot": (await clients.create_client(db, pepper, name="bench pilot", role=Role.PILOT)).api_key,
        }
        await db.commit()
        return keys
    finally:
        await db.close()
        await database.dispose()


def install_postgraphile() -> Path | None:
    binary = POSTGRAPHILE_DIR / "node_modules" / ".bin" / "postgraphile"
    if binary.exists():
        return binary
    if shutil.which("npm") is None:
        print("PostGraphile: npm is not installed; its columns stay empty", file=sys.stderr)
        return None
    POSTGRAPHILE_DIR.mkdir(parents=True, exist_ok=True)
    print("installing postgraphile@4 with npm into bench/.postgraphile ...", file=sys.stderr)
    done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "postgraphile@4"],
                          cwd=POSTGRAPHILE_DIR, capture_output=True, text=True, timeout=600)
    if done.returncode != 0 or not binary.exists():
        print(f"PostGraphile could not be installed ({done.stderr.strip()[:300]}); its columns stay empty", file=sys.stderr)
        return None
    return binary


def libpq_url(url: str) -> str:
    parsed = make_url(url)
    host = parsed.query.get("host")
    if host:  # a Unix socket (the embedded server)
        return f"postgres://{parsed.username or 'postgres'}@/{parsed.database}?host={host}"
    auth = parsed.username + (f":{parsed.password}" if parsed.password else "") + "@" if parsed.username else ""
    return f"postgres://{auth}{parsed.host}:{parsed.port or 5432}/{parsed.database}"


async def start_postgraphile(binary: Path, url: str, workers: int) -> tuple[subprocess.Popen, int] | None:
    connection = await asyncpg.connect(**asyncpg_args(url))
    try:
        await connection.execute(POSTGRAPHILE_SCHEMA)
    finally:
        await connection.close()
    port = free_port()
    log = (ROOT / ".hub" / "bench-postgraphile.log").open("w")
    process = subprocess.Popen(
        [str(binary), "-c", libpq_url(url), "--schema", "postgraphile_bench", "--host", "127.0.0.1", "--port", str(port),
         "--disable-graphiql", "--disable-query-log", "--cluster-workers", str(workers)],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env={**os.environ, "NODE_ENV": "production"},
    )
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        for _ in range(600):
            try:
                response = await client.post("/graphql", json={"query": "{ __typename }"})
                if response.status_code == 200:
                    return process, port
            except httpx.TransportError:
                pass
            if process.poll() is not None:
                break
            await asyncio.sleep(0.1)
    stop(process)
    print("PostGraphile did not start: see .hub/bench-postgraphile.log", file=sys.stderr)
    return None


def stop(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


# --- workloads -------------------------------------------------------------------------------


async def portal(url: str, key: str, workers: int, seconds: float, postgraphile: Path | None, sizes_: tuple[int, ...]) -> list[dict]:
    rows = []
    server, port = await start_hub(url, workers)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            for n in sizes_:
                query = HUB_PAGE.format(n=n)
                cursors = await page_cursors(client, query, key, "wishes", 40)
                rng = random.Random(n)
                fire = graphql_caller(client, query, key, lambda: {"after": rng.choice(cursors)})
                await load(fire, 2, 1.0)  # warm-up
                result = await load(fire, 8, seconds)
                rows.append({"workload": f"portal page of {n} wishes", "workers": workers, **result,
                             "rss_worker_mb": rss_mb(server.pid)[0]})
            if len(sizes_) > 1:  # the full export, once
                started = time.perf_counter()
                lines = 0
                async with client.stream("GET", "/exports/wishes.csv", headers={"Authorization": f"Bearer {key}"}) as response:
                    async for chunk in response.aiter_bytes():
                        lines += chunk.count(b"\n")
                elapsed = time.perf_counter() - started
                export = {"workload": "portal CSV export of every wish (rows/s)", "workers": workers, "rows": lines - 1,
                          "requests_per_s": (lines - 1) / elapsed, "p50_ms": elapsed * 1000, "p99_ms": elapsed * 1000,
                          "rows_per_s": (lines - 1) / elapsed, "rss_worker_mb": rss_mb(server.pid)[0]}
    finally:
        stop_hub(server)
    # the hand-written SQL floor: the same rows (and the total count) by plain asyncpg
    pool = await asyncpg.create_pool(**asyncpg_args(url), min_size=8, max_size=8)
    try:
        ids = [row[0] for row in await pool.fetch("SELECT id FROM wish WHERE portal = 'PARCOURSUP' ORDER BY id")]
        for n, row in zip(sizes_, rows):
            starts = [0] + ids[n - 1::n][:39]
            rng = random.Random(n)

            async def fire(n: int = n) -> None:
                async with pool.acquire() as connection:
                    await connection.fetch(SQL_PAGE, rng.choice(starts), n)

            row["sql"] = await load(fire, 8, seconds)
    finally:
        await pool.close()
    if len(sizes_) > 1:  # the export's floor: the same rows by COPY … TO STDOUT
        connection = await asyncpg.connect(**asyncpg_args(url))
        try:
            async def discard(data: bytes) -> None:
                pass

            started = time.perf_counter()
            await connection.copy_from_query(
                "SELECT w.portal_wish_id, w.submitted_at, w.uai, w.certification_code, w.outcome_stage, w.outcome_match,"
                " w.outcome_since, w.outcome_uai, w.outcome_certification, w.outcome_changed_at FROM wish w"
                " WHERE w.portal = 'PARCOURSUP' ORDER BY w.id", output=discard, format="csv")
            elapsed = time.perf_counter() - started
        finally:
            await connection.close()
        export["sql"] = {"requests_per_s": export["rows"] / elapsed, "p50_ms": elapsed * 1000, "p99_ms": elapsed * 1000}
        rows.append(export)
    if postgraphile is not None:
        started = await start_postgraphile(postgraphile, url, workers)
        if started is not None:
            process, port = started
            try:
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
                    for n, row in zip(sizes_, rows):
                        query = POSTGRAPHILE_PAGE.format(n=n)
                        cursors = await page_cursors(client, query, None, "allWishes", 40)
                        rng = random.Random(n)
                        fire = graphql_caller(client, query, None, lambda: {"after": rng.choice(cursors)})
                        await load(fire, 2, 1.0)
                        row["postgraphile"] = {**await load(fire, 8, seconds), "rss_worker_mb": rss_mb(process.pid)[0]}
            finally:
                stop(process)
    return rows


async def adviser(url: str, keys: dict[str, str], workers: int, seconds: float) -> list[dict]:
    page = """query { atRiskYouths(first: 100) { totalCount pageInfo { endCursor }
      edges { node { youth { id ine } reasons since department { code name } lastStep { step effectiveDate cfa { uai } } } } } }"""
    rows = []
    server, port = await start_hub(url, workers)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            for label in ("adviser 75", "adviser 84"):
                fire = graphql_caller(client, page, keys[label], dict)
                await load(fire, 1, 0.5)
                rows.append({"workload": f"{label.replace('adviser', 'adviser, department' if '75' in label else 'adviser, region')}"
                             ": first page of 100 at risk", "workers": workers, **await load(fire, 1, seconds),
                             "rss_worker_mb": rss_mb(server.pid)[0]})
    finally:
        stop_hub(server)
    connection = await asyncpg.connect(**asyncpg_args(url))
    try:
        departments = {
            "adviser 75": frozenset({"75"}),
            "adviser 84": frozenset(r[0] for r in await connection.fetch("SELECT code FROM department WHERE region_code = '84'")),
        }
        for label, row in zip(("adviser 75", "adviser 84"), rows):
            args: list = []
            where = RiskQuery(on=france_today(), departments=departments[label]).where(args)

            async def fire(where: str = where, args: list = args) -> None:
                await connection.fetch(f"SELECT {COLUMNS} FROM youth_risk r WHERE {where} ORDER BY r.since, r.youth_id LIMIT 101", *args)
                await connection.fetchval(f"SELECT count(*) FROM youth_risk r WHERE {where}", *args)

            row["sql"] = await load(fire, 1, seconds)
    finally:
        await connection.close()
    return rows


async def pilot(url: str, key: str, workers: int, seconds: float) -> list[dict]:
    rows = []
    # what every hub process's sweeper does: the CFAs' headcount sums moved on to yesterday
    swept = subprocess.run([sys.executable, "-m", "app.cli", "sweep"], env={**os.environ, "HUB_DATABASE_URL": url},
                           cwd=ROOT, capture_output=True, text=True, timeout=3600)
    assert swept.returncode == 0, swept.stderr[-2000:]
    server, port = await start_hub(url, workers)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            for label, query in PILOT_QUERIES.items():
                fire = graphql_caller(client, query, key, dict)
                await load(fire, 1, 0.5)
                rows.append({"workload": f"pilot, national {label}", "workers": workers, **await load(fire, 1, seconds),
                             "rss_worker_mb": rss_mb(server.pid)[0]})
    finally:
        stop_hub(server)
    today = france_today()
    start = school_year_start(today)
    month_ends = series_points(start, today, "MONTH")
    connection = await asyncpg.connect(**asyncpg_args(url))
    try:
        # The best plain SQL for the same sums: whole months from the monthly rollup of the
        # department change points, the days of the months a date falls in from the daily rows,
        # grouped by region; and the capacities of the offers open then.
        change_sql = (
            "WITH split AS (SELECT DISTINCT date_trunc('month', c)::date AS month FROM unnest($3::date[]) AS c"
            " WHERE c <> (date_trunc('month', c) + interval '1 month - 1 day')::date)"
            " SELECT d.region_code, width_bucket(s.day, $1::date[]), s.status, sum(s.entries - s.exits) FROM split"
            " JOIN department_status_change s ON s.day >= split.month AND s.day < split.month + interval '1 month'"
            " JOIN department d ON d.code = s.department_code WHERE s.day <= $2 GROUP BY 1, 2, 3"
            " UNION ALL SELECT d.region_code, width_bucket((m.month + interval '1 month - 1 day')::date, $1::date[]),"
            " m.status, sum(m.entries - m.exits) FROM department_status_month m JOIN department d ON d.code = m.department_code"
            " WHERE (m.month + interval '1 month')::date <= $2::date + 1 AND m.month <> ALL(ARRAY(SELECT month FROM split))"
            " GROUP BY 1, 2, 3"
        )
        capacity_sql = (
            "SELECT p.day, d.region_code, sum(coalesce(o.revised_capacity, o.capacity)) FROM unnest($1::date[]) AS p(day)"
            " JOIN offer o ON (o.session_start IS NULL OR o.session_start <= p.day) AND (o.session_end IS NULL OR o.session_end >= p.day)"
            " JOIN department d ON d.code = o.department_code GROUP BY 1, 2"
        )
        cfa_sql = (
            "SELECT s.uai, width_bucket(s.day, $1::date[]), s.status, sum(s.entries - s.exits) FROM status_change s"
            " WHERE s.day <= $2 GROUP BY 1, 2, 3"
        )
        by_cfa = rows.pop(1)
        for row, points in zip(rows, ([today], month_ends)):
            cuts = sorted({*points, start - timedelta(days=1)})
            thresholds = [cut + timedelta(days=1) for cut in cuts]

            async def fire(thresholds: list = thresholds, cuts: list = cuts, points: list = points) -> None:
                await connection.fetch(change_sql, thresholds, cuts[-1], cuts)
                await connection.fetch(capacity_sql, points)

            row["sql"] = await load(fire, 1, seconds)
        cuts = sorted({today, start - timedelta(days=1)})

        async def fire_cfa() -> None:
            await connection.fetch(cfa_sql, [cut + timedelta(days=1) for cut in cuts], today)

        by_cfa["sql"] = await load(fire_cfa, 1, seconds)
        rows.insert(1, by_cfa)
        # coverage: the plain SQL of the CFAs known, consenting and transmitting by department,
        # and the apprentices of each CFA from its sums up to the cut and the days since
        coverage_sql = (
            "SELECT c.department_code, count(*), count(*) FILTER (WHERE c.consent_given),"
            " count(*) FILTER (WHERE EXISTS (SELECT FROM cfa_transmission_day t WHERE t.uai = c.uai AND t.day <= $1"
            " AND t.day > $1 - 30 AND t.received > 0)) FROM cfa c GROUP BY 1"
        )
        apprentices_sql = (
            "SELECT uai, sum(n) FROM (SELECT uai, net AS n FROM cfa_status_base WHERE status = 'APPRENTICE'"
            " UNION ALL SELECT uai, entries - exits FROM status_change WHERE status = 'APPRENTICE'"
            " AND day > (SELECT cut FROM status_cut) AND day <= $1) x GROUP BY 1"
        )

        async def fire_coverage() -> None:
            await connection.fetch(coverage_sql, today)
            await connection.fetch(apprentices_sql, today)

        conversion_sql = (
            "SELECT d.region_code, count(*), count(*) FILTER (WHERE w.outcome_stage <> 'NO_NEWS'),"
            " count(*) FILTER (WHERE w.outcome_handled_by_wished_cfa), count(*) FILTER (WHERE w.outcome_stage = 'REGISTERED'),"
            " count(*) FILTER (WHERE w.outcome_stage = 'APPRENTICE'),"
            " count(*) FILTER (WHERE w.outcome_stage = 'APPRENTICE' AND w.outcome_match = 'AS_WISHED'),"
            " count(*) FILTER (WHERE w.outcome_stage = 'LEFT')"
            " FROM wish w JOIN cfa c ON c.uai = w.uai JOIN department d ON d.code = c.department_code GROUP BY 1"
        )

        async def fire_conversion() -> None:
            await connection.fetch(conversion_sql)

        for row in rows:
            if row["workload"].endswith("transmissionCoverage by DEPARTMENT"):
                row["sql"] = await load(fire_coverage, 1, seconds)
            elif row["workload"].endswith("wishConversion by REGION"):
                row["sql"] = await load(fire_conversion, 1, seconds)
        # the live GROUP BY over the raw step events, for the count by region on today
        async def live() -> None:
            await connection.fetch(PLAIN_SQL, today)

        rows[0]["live_group_by"] = await load(live, 1, max(seconds, 3.0))
    finally:
        await connection.close()
    return rows


# --- the table -------------------------------------------------------------------------------


def table(rows: list[dict], ingest_row: dict | None) -> str:
    lines = [
        "| workload | hub: req/s | p50 / p99 ms | worker peak RSS | comparison | its req/s | p50 / p99 ms | hub ÷ comparison |",
        "|---|---|---|---|---|---|---|---|",
    ]
    if ingest_row:
        r = ingest_row
        lines.append(
            f"| ingest, recordSteps (2,000 a batch, {r['workers']} workers, deferred derivation) | "
            f"{r['records_per_s']:,.0f} records/s | {r['p50_ms']:,.0f} / {r['p99_ms']:,.0f} per batch | "
            f"{r['rss_peak_worker_mb']:,.0f} MB | asyncpg COPY of the same rows into the same shape | {r['floor']:,.0f} rows/s | — | "
            f"{r['ratio']:.1%} (counting the derivation's catching up: {r['records_per_s_with_drain']:,.0f} records/s) |"
        )
        lines.append(
            f"| ingest, the same run | {r['records_per_s']:,.0f} records/s | | | asyncpg COPY of synthetic rows (one vendor,"
            f" youths in order, no contract) | {r['synthetic_floor']:,.0f} rows/s | — | {r['synthetic_ratio']:.1%} |"
        )
    for row in rows:
        for name, other in (("PostGraphile 4", row.get("postgraphile")), ("plain SQL", row.get("sql")),
                            ("live GROUP BY over raw events", row.get("live_group_by"))):
            if other is None:
                continue
            if name == "live GROUP BY over raw events":
                ratio = f"{other['p50_ms'] / row['p50_ms']:,.1f}× faster (p50)"
            elif row["workload"].startswith("portal CSV"):
                ratio = f"{row['rows_per_s'] / other['requests_per_s']:.2f}× the rows/s"
            elif row["workload"].startswith("portal"):
                ratio = f"{row['requests_per_s'] / other['requests_per_s']:.2f}× the req/s"
            else:
                ratio = f"{row['p50_ms'] / other['p50_ms']:,.1f}× its p50"
            lines.append(
                f"| {row['workload']} ({row['workers']} workers) | {row['requests_per_s']:,.1f} | "
                f"{row['p50_ms']:,.1f} / {row['p99_ms']:,.1f} | {row['rss_worker_mb']:,.0f} MB | {name} | "
                f"{other['requests_per_s']:,.1f} | {other['p50_ms']:,.1f} / {other['p99_ms']:,.1f} | {ratio} |"
            )
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a maintenance database URL; default: embedded PostgreSQL")
    parser.add_argument("--reuse", metavar="NAME", help="a database filled by bench/generate.py on the same server")
    parser.add_argument("--scale", type=float, default=1.0, help="of the generated data set (1: national)")
    parser.add_argument("--keep", action="store_true", help="keep the generated database")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=8.0, help="per measurement")
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--only", default="portal,adviser,pilot,ingest",
                        help="the workloads to run, comma-separated (default: all)")
    args = parser.parse_args()
    os.environ.update({"HUB_RATE_LIMIT_PER_SECOND": "100000", "HUB_RATE_LIMIT_BURST": "100000"})

    base = server_url(args.database_url)
    generated = None
    if args.reuse:
        url = make_url(base).set(database=args.reuse).render_as_string(hide_password=False)
        load_time = None
    else:
        name, url = await create_database(base)
        generated = name
        youths, cfas, offers = sizes(args.scale)
        started = time.perf_counter()
        summary = await generate(url, youths, cfas, 7, 0.25, 1, offers)
        load_time = time.perf_counter() - started
        print(f"generated {summary} in {load_time:.0f} s ({name})", file=sys.stderr)
    try:
        connection = await asyncpg.connect(**asyncpg_args(url))
        counts = dict(zip(("youths", "steps", "wishes", "cfas", "offers"), await connection.fetchrow(
            "SELECT (SELECT count(*) FROM youth), (SELECT count(*) FROM step_event), (SELECT count(*) FROM wish),"
            " (SELECT count(*) FROM cfa), (SELECT count(*) FROM offer)")))
        await connection.close()
        keys = await bench_clients(url)
        postgraphile = install_postgraphile() if "portal" in args.only.split(",") else None
        rows = []
        only = set(args.only.split(","))
        if "portal" in only:
            rows += await portal(url, keys["portal"], args.workers, args.seconds, postgraphile, (100, 500))
            if args.workers != 1:
                rows += await portal(url, keys["portal"], 1, args.seconds, postgraphile, (100,))
        if "adviser" in only:
            rows += await adviser(url, keys, args.workers, args.seconds)
        if "pilot" in only:
            rows += await pilot(url, keys["pilot"], args.workers, args.seconds)
        ingest_row = None
        if not args.skip_ingest and "ingest" in only:
            ingest_row = await ingest.measure(ingest.parse(["--workers", str(args.workers)] + (
                ["--database-url", args.database_url] if args.database_url else [])))
    finally:
        if generated and not args.keep:
            await drop_database(base, generated)
        elif generated:
            print(f"kept the data set in {generated}", file=sys.stderr)
    heading = (f"2 cores; {counts['youths']:,} youths, {counts['steps']:,} step events, {counts['wishes']:,} wishes, "
               f"{counts['cfas']:,} CFAs, {counts['offers']:,} offers" + (f"; generated in {load_time:,.0f} s" if load_time else ""))
    markdown = f"{heading}\n\n{table(rows, ingest_row)}\n"
    print(markdown)
    out = ROOT / ".hub"
    out.mkdir(exist_ok=True)
    (out / "bench-run.md").write_text(markdown)
    (out / "bench-run.json").write_text(json.dumps({"date": france_today().isoformat(), "data": counts, "load_s": load_time,
                                                     "workloads": rows, "ingest": ingest_row, "id": uuid.uuid4().hex},
                                                    indent=2, default=str))


if __name__ == "__main__":
    asyncio.run(main())
