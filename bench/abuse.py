"""Abuse benchmark: a well-behaved vendor's latency, quiet and while another client floods the hub.

    .venv/bin/python bench/abuse.py
    .venv/bin/python bench/abuse.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

A fresh database with a vendor and consenting CFAs; `hub serve --workers 2` with the default
limits (20 requests/s per client, bursts of 60). The vendor sends batches of ``--batch-size``
steps one after the other for ``--seconds``: p50/p95 alone; then the same while a flooder (another
client's key, ``--flooders`` concurrent loops) hammers the hub with pages of CFAs as fast as it
can. It prints both p95, the ratio (target: under 2×), and how the flood was answered (how many
requests got 200 and how many 429).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import create_database, drop_database, percentile, server_url, start_hub, stop_hub  # noqa: E402
from ingest import MUTATION, make_batches, setup  # noqa: E402

from app.auth import Role  # noqa: E402
from app.db import Database, make_engine  # noqa: E402
from app.services import clients  # noqa: E402
from app.settings import Settings  # noqa: E402

FLOOD = '{"query": "{ cfas(first: 200) { totalCount edges { node { uai name department { name } } } } }"}'


async def vendor_loop(port: int, key: str, bodies: list[bytes], seconds: float) -> list[float]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
        i = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            response = await client.post("/graphql", content=bodies[i % len(bodies)],
                                         headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200 or "errors" in response.json():
                raise SystemExit(f"the vendor's batch failed: {response.status_code} {response.text[:200]}")
            i += 1
            await asyncio.sleep(0.05)  # a vendor pushes, it does not flood
    return latencies


async def flood(port: int, key: str, stop: asyncio.Event, answers: Counter) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
        while not stop.is_set():
            response = await client.post("/graphql", content=FLOOD,
                                         headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
            answers[response.status_code] += 1


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a maintenance database URL; default: embedded PostgreSQL")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--flooders", type=int, default=16)
    args = parser.parse_args()
    base = server_url(args.database_url)
    name, url = await create_database(base)
    server = None
    try:
        keys, uais = await setup(url, 1, 200)
        settings = Settings(database_url=url)
        database = Database(make_engine(url, settings))
        db = database.session()
        flooder = (await clients.create_client(db, settings.key_pepper.get_secret_value(), name="flooder", role=Role.PILOT)).api_key
        await db.commit()
        await db.close()
        await database.dispose()
        batches = make_batches(0, 60, args.batch_size, uais, 1, 5)
        bodies = [json.dumps({"query": MUTATION, "variables": {"input": b}}).encode() for b in batches]
        server, port = await start_hub(url, 2, rate_limits=True)
        quiet = await vendor_loop(port, keys[0], bodies, args.seconds)
        stop, answers = asyncio.Event(), Counter()
        flooders = [asyncio.ensure_future(flood(port, flooder, stop, answers)) for _ in range(args.flooders)]
        await asyncio.sleep(1.0)  # the flood is on
        loud = await vendor_loop(port, keys[0], bodies[::-1], args.seconds)
        stop.set()
        await asyncio.gather(*flooders)
        q95, l95 = percentile(quiet, 0.95), percentile(loud, 0.95)
        print(f"\na vendor's batches of {args.batch_size} steps, {args.seconds:.0f} s each way; flood: {args.flooders} "
              "concurrent loops of cfas(first: 200) with another client's key")
        print("| vendor | batches | p50 | p95 |\n|---|---|---|---|")
        print(f"| quiet | {len(quiet)} | {percentile(quiet, 0.5) * 1000:,.0f} ms | {q95 * 1000:,.0f} ms |")
        print(f"| during the flood | {len(loud)} | {percentile(loud, 0.5) * 1000:,.0f} ms | {l95 * 1000:,.0f} ms |")
        print(f"\nratio p95 flood / quiet: {l95 / q95:.2f}x (target under 2x); the flood was answered: "
              + ", ".join(f"{count:,} × {status}" for status, count in sorted(answers.items())))
    finally:
        stop_hub(server)
        await drop_database(base, name)


if __name__ == "__main__":
    asyncio.run(main())
