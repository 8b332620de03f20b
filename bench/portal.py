"""Portal benchmark: pages of 500 wishes with their outcome through HTTP, and the CSV export.

    .venv/bin/python bench/portal.py                      # embedded PostgreSQL (.hub/bench)
    .venv/bin/python bench/portal.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

It creates a fresh database, loads the demo data at the size asked (``--youths`` youths, one wish
each, about 60% of them Parcoursup's, with their steps, paths and outcomes), starts `hub serve`
with --workers, and as the Parcoursup client asks for pages of 500 wishes (outcome, cfa,
certification) at concurrency 1 and 8 for ``--seconds`` each: p50/p99 latency and requests/s.
Beside it, the raw asyncpg floor in the same run: the same page (wishes joined with their CFA
and certification) fetched by plain asyncpg at the same concurrency. Then the whole export
(`GET /exports/wishes.csv`): rows/s. The database is dropped after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import asyncpg_args, create_database, drop_database, percentile, server_url, start_hub, stop_hub  # noqa: E402
from ingest import rss_of_tree  # noqa: E402

PAGE = """query($after: String) { wishes(first: 500, after: $after) {
  totalCount pageInfo { endCursor hasNextPage }
  edges { node { portalWishId submittedAt cfa { uai name } certification { code title }
    outcome { stage match since cfa { uai } certification { code } } } } } }"""
RAW_PAGE = (
    "SELECT w.id, w.portal_wish_id, w.submitted_at, w.outcome_stage, w.outcome_match, w.outcome_since, w.outcome_uai,"
    " w.outcome_certification, c.uai, c.name, k.code, k.title FROM wish w JOIN cfa c ON c.uai = w.uai"
    " JOIN certification k ON k.code = w.certification_code WHERE w.portal = 'PARCOURSUP' AND w.id > $1"
    " ORDER BY w.id LIMIT 500"
)


async def load(url: str, youths: int, cfas: int) -> str:
    """Demo data at size; returns the Parcoursup key."""
    env = {**os.environ, "HUB_DATABASE_URL": url, "HUB_ENV": "test", "HUB_LOG_LEVEL": "WARNING"}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "demo", "--no-serve", "--youths", str(youths), "--cfas", str(cfas)],
        env=env, cwd=ROOT, capture_output=True, text=True, check=True,
    )
    print(f"demo data: {youths:,} youths and wishes in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    for line in result.stdout.splitlines():
        if line.strip().startswith("Demo PORTAL") and "Affelnet" not in line:
            return line.split()[-1]
    raise SystemExit("no Parcoursup key in the demo output")


async def cursors(port: int, key: str, count: int) -> list[str | None]:
    """Cursors of the first ``count`` pages, to spread the requests over the list."""
    found: list[str | None] = [None]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
        after = None
        while len(found) < count:
            body = (await client.post("/graphql", json={"query": PAGE, "variables": {"after": after}},
                                      headers={"Authorization": f"Bearer {key}"})).json()
            info = body["data"]["wishes"]["pageInfo"]
            if not info["hasNextPage"]:
                break
            after = info["endCursor"]
            found.append(after)
    return found


async def run_http(port: int, key: str, pages: list[str | None], concurrency: int, seconds: float) -> tuple[float, list[float]]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    rng = random.Random(concurrency)

    async def worker() -> None:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            while time.perf_counter() < deadline:
                body = json.dumps({"query": PAGE, "variables": {"after": rng.choice(pages)}})
                started = time.perf_counter()
                response = await client.post("/graphql", content=body, headers={
                    "Authorization": f"Bearer {key}", "Content-Type": "application/json"})
                latencies.append(time.perf_counter() - started)
                if "errors" in response.json():
                    raise SystemExit(f"page failed: {response.text[:300]}")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies


async def run_raw(url: str, after_ids: list[int], concurrency: int, seconds: float) -> tuple[float, list[float]]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    rng = random.Random(concurrency)
    pool = await asyncpg.create_pool(**asyncpg_args(url), min_size=concurrency, max_size=concurrency)

    async def worker() -> None:
        async with pool.acquire() as connection:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                await connection.fetch(RAW_PAGE, rng.choice(after_ids))
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    try:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:
        await pool.close()
    return time.perf_counter() - started, latencies


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a maintenance database URL; default: embedded PostgreSQL")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--youths", type=int, default=200_000, help="youths, one wish each")
    parser.add_argument("--cfas", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=10.0, help="per measurement")
    args = parser.parse_args()

    base = server_url(args.database_url)
    name, url = await create_database(base)
    server = None
    try:
        key = await load(url, args.youths, args.cfas)
        server, port = await start_hub(url, args.workers)
        pages = await cursors(port, key, 40)
        connection = await asyncpg.connect(**asyncpg_args(url))
        parcoursup = await connection.fetchval("SELECT count(*) FROM wish WHERE portal = 'PARCOURSUP'")
        after_ids = [0] + [(await connection.fetchval(
            "SELECT max(id) FROM (SELECT id FROM wish WHERE portal = 'PARCOURSUP' ORDER BY id LIMIT $1) t", 500 * n))
            for n in range(1, len(pages))]
        await connection.close()

        print()
        print(f"wishes(first: 500) with outcome, cfa and certification: {parcoursup:,} Parcoursup wishes of "
              f"{args.youths:,}, {args.workers} workers, {args.seconds:.0f} s per line")
        print("| path | concurrency | requests/s | p50 | p99 |\n|---|---|---|---|---|")
        for concurrency in (1, 8):
            elapsed, latencies = await run_http(port, key, pages, concurrency, args.seconds)
            print(f"| GraphQL over HTTP | {concurrency} | {len(latencies) / elapsed:,.1f} | "
                  f"{percentile(latencies, 0.5) * 1000:,.0f} ms | {percentile(latencies, 0.99) * 1000:,.0f} ms |")
            elapsed, latencies = await run_raw(url, after_ids, concurrency, args.seconds)
            print(f"| raw asyncpg, fetch only | {concurrency} | {len(latencies) / elapsed:,.1f} | "
                  f"{percentile(latencies, 0.5) * 1000:,.1f} ms | {percentile(latencies, 0.99) * 1000:,.1f} ms |")
        started = time.perf_counter()
        rows = 0
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=600) as client:
            async with client.stream("GET", "/exports/wishes.csv", headers={"Authorization": f"Bearer {key}"}) as response:
                async for line in response.aiter_lines():
                    rows += 1
        elapsed = time.perf_counter() - started
        peak_one, _ = rss_of_tree(server.pid)
        print(f"\nexport /exports/wishes.csv: {rows - 1:,} rows in {elapsed:.1f} s = {(rows - 1) / elapsed:,.0f} rows/s; "
              f"server peak RSS {peak_one / 1024:,.0f} MB (largest process)")
    finally:
        stop_hub(server)
        await drop_database(base, name)


if __name__ == "__main__":
    asyncio.run(main())
