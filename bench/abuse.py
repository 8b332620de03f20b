"""Abuse benchmark: a well-behaved vendor's latency, quiet and while others attack the hub.

    .venv/bin/python bench/abuse.py
    .venv/bin/python bench/abuse.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

A fresh database with a vendor and consenting CFAs; `hub serve --workers 2` with the default
limits (HUB_RATE_LIMIT_*, HUB_ANONYMOUS_*, HUB_BODY_*). The vendor sends batches of
``--batch-size`` steps one after the other for ``--seconds``: p50/p95 alone; then the same
during each attack:

- flood: another client's key, ``--flooders`` concurrent loops of pages of CFAs as fast as they
  can (its bucket empties; 429 after);
- bombs: ``--flooders`` loops of fragment bombs without a key (a chain of 20 fragments each
  spreading the next twice, and self-spreading cycles: refused in linear time, then by the
  address's bucket before any database work);
- slow bodies: ``--trickles`` connections to POST /imports/offers with a vendor's key, each
  sending a few bytes every half second of a declared megabyte (cut after HUB_BODY_TIMEOUT_S,
  then opened again), which once held the database pool.

It prints each p95, its ratio to quiet (target: under 1.5x) and how each attack was answered.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
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

from app.db import Database, make_engine  # noqa: E402
from app.domain.actors import Role  # noqa: E402
from app.services import clients  # noqa: E402
from app.settings import Settings  # noqa: E402

FLOOD = '{"query": "{ cfas(first: 200) { totalCount edges { node { uai name department { name } } } } }"}'
CHAIN = "query { ...F0 } " + " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(19)) \
    + " fragment F19 on Query { me { id } }"
# Attackers come from another address than the vendor (loopback too), as they would: the hub's
# limits per address must not take the vendor down with them.
ATTACKER_ADDRESS = "127.0.0.2"
BOMBS = [json.dumps({"query": CHAIN}), json.dumps({"query": "query { ...F } fragment F on Query { ...F ...F }"})]


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
            await asyncio.sleep(0.2)  # a vendor pushes (some 2,500 records a second), it does not flood
    return latencies


async def lean_loop(port: int, body: bytes, key: str, stop: asyncio.Event, answers: Counter) -> None:
    """Requests one after the other on a kept-alive connection, with the least client CPU (a
    full-featured client would take the cores the hub and the vendor share with it here)."""
    head = (f"POST /graphql HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            + (f"Authorization: Bearer {key}\r\n" if key else "") + "\r\n").encode()
    reader = writer = None
    while not stop.is_set():
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(ATTACKER_ADDRESS, 0))
            writer.write(head + body)
            status = (await reader.readline()).split()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            payload = await reader.readexactly(length)
            code = json.loads(payload)["errors"][0]["extensions"]["code"] if b'"errors"' in payload else ""
            answers[f"{status[1].decode()} {code}".strip()] += 1
        except (ConnectionError, OSError, asyncio.IncompleteReadError, IndexError):
            answers["reset"] += 1
            if writer is not None:
                writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def flood(port: int, key: str, stop: asyncio.Event, answers: Counter) -> None:
    await lean_loop(port, FLOOD.encode(), key, stop, answers)


async def bombs(port: int, _key: str, stop: asyncio.Event, answers: Counter) -> None:
    half = Counter()
    await asyncio.gather(lean_loop(port, BOMBS[0].encode(), "", stop, answers), lean_loop(port, BOMBS[1].encode(), "", stop, half))
    answers.update(half)


async def trickle(port: int, key: str, stop: asyncio.Event, answers: Counter) -> None:
    """One slow upload after another: headers, then a few bytes every half second."""
    while not stop.is_set():
        reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(ATTACKER_ADDRESS, 0))
        try:
            writer.write(f"POST /imports/offers HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer {key}\r\n"
                         "Content-Type: text/csv\r\nContent-Length: 1000000\r\n\r\noffer_ref;uai\n".encode())
            await writer.drain()
            answered = asyncio.ensure_future(reader.readline())
            while not stop.is_set() and not answered.done():
                writer.write(b"x;y\n")
                await writer.drain()
                await asyncio.wait({answered}, timeout=0.5)
            if answered.done():
                status = answered.result().split()
                answers[status[1].decode() if len(status) > 1 else "closed"] += 1
            else:
                answered.cancel()
        except (ConnectionError, OSError):
            answers["reset"] += 1
        finally:
            writer.close()


ATTACKS = {"flood": flood, "bombs": bombs, "trickle": trickle}


async def chunked_upload(port: int, key: str, megabytes: int) -> tuple[str, int]:
    """A chunked upload of ``megabytes`` to /imports/offers, sent as fast as the hub takes it:
    the status line it got, and how many bytes were sent before it came."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(ATTACKER_ADDRESS, 0))
    sent = 0
    try:
        writer.write(f"POST /imports/offers HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer {key}\r\n"
                     "Content-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
        chunk = b"x" * 65_536
        answered = asyncio.ensure_future(reader.readline())
        while sent < megabytes * 1024 * 1024 and not answered.done():
            writer.write(b"10000\r\n" + chunk + b"\r\n")
            await writer.drain()
            sent += len(chunk)
        line = await asyncio.wait_for(answered, 30)
        return line.decode().strip(), sent
    except (ConnectionError, OSError):
        return "connection closed", sent
    finally:
        writer.close()


def workers_rss(server: object) -> int:
    """The largest resident memory of the hub's worker processes, in MB."""
    import psutil

    children = psutil.Process(server.pid).children(recursive=True)  # type: ignore[attr-defined]
    return max((c.memory_info().rss for c in children if "postgres" not in c.name()), default=0) // (1024 * 1024)


def attack_process(kind: str, port: int, key: str, count: int, seconds: float, results: object) -> None:
    """``count`` loops of one attack for ``seconds``; what they were answered goes to ``results``."""

    async def run() -> Counter:
        stop, answers = asyncio.Event(), Counter()
        loops = [asyncio.ensure_future(ATTACKS[kind](port, key, stop, answers)) for _ in range(count)]
        await asyncio.sleep(seconds)
        stop.set()
        await asyncio.gather(*loops, return_exceptions=True)
        return answers

    results.put(asyncio.run(run()))  # type: ignore[attr-defined]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a maintenance database URL; default: embedded PostgreSQL")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--flooders", type=int, default=16)
    parser.add_argument("--trickles", type=int, default=25)
    args = parser.parse_args()
    base = server_url(args.database_url)
    name, url = await create_database(base)
    server = None
    try:
        keys, uais = await setup(url, 2, 200)
        settings = Settings(database_url=url)
        database = Database(make_engine(url, settings))
        db = database.session()
        flooder = (await clients.create_client(db, settings.key_pepper.get_secret_value(), name="flooder", role=Role.PILOT)).api_key
        await db.commit()
        await db.close()
        await database.dispose()
        # fresh batches for each phase (a replayed batch is cheaper: its records are unchanged),
        # and a quiet phase before each attack (the data grows: each attack is compared with the
        # quiet phase just before it)
        attacks = (("flood", "flood", flooder, args.flooders), ("fragment bombs", "bombs", "", args.flooders),
                   ("slow bodies", "trickle", keys[1], args.trickles))
        per_phase = int(args.seconds * 6) + 10
        batches = make_batches(0, per_phase * 2 * len(attacks), args.batch_size, uais, 1, 5)
        bodies = [json.dumps({"query": MUTATION, "variables": {"input": b}}).encode() for b in batches]
        phases = iter([bodies[i * per_phase:(i + 1) * per_phase] for i in range(2 * len(attacks))])
        server, port = await start_hub(url, 2, rate_limits=True)
        context = multiprocessing.get_context("spawn")
        rows = []
        for label, kind, key, count in attacks:
            quiet = await vendor_loop(port, keys[0], next(phases), args.seconds)
            # the attackers in a process of their own: their loops must not delay the vendor's client
            results = context.Queue()
            attacker = context.Process(target=attack_process, args=(kind, port, key, count, args.seconds + 2.0, results))
            attacker.start()
            await asyncio.sleep(1.5)  # the attack is on
            loud = await vendor_loop(port, keys[0], next(phases), args.seconds)
            answers = await asyncio.to_thread(results.get, True, 120)
            attacker.join(30)
            rows.append((label, quiet, loud, answers))
        print(f"\na vendor's batches of {args.batch_size} steps, {args.seconds:.0f} s a phase; {args.flooders} flooding or"
              f" bombing loops, {args.trickles} slow uploads, from another address")
        print("| attack | vendor p50 / p95 quiet before | p50 / p95 during | p95 ratio | the attack was answered |")
        print("|---|---|---|---|---|")
        for label, quiet, loud, answers in rows:
            told = ", ".join(f"{count:,} × {status}" for status, count in sorted(answers.items()))
            print(f"| {label} | {percentile(quiet, 0.5) * 1000:,.0f} / {percentile(quiet, 0.95) * 1000:,.0f} ms"
                  f" | {percentile(loud, 0.5) * 1000:,.0f} / {percentile(loud, 0.95) * 1000:,.0f} ms"
                  f" | {percentile(loud, 0.95) / percentile(quiet, 0.95):.2f}x | {told} |")
        print("\ntarget: p95 under 1.5x quiet during the fragment bombs and the slow bodies")
        before, peak = workers_rss(server), [0]

        async def sample() -> None:
            while True:
                peak[0] = max(peak[0], workers_rss(server))
                await asyncio.sleep(0.05)

        sampler = asyncio.ensure_future(sample())
        status, sent = await chunked_upload(port, keys[1], 120)
        sampler.cancel()
        print(f"\na 120 MB chunked upload to /imports/offers (limit HUB_MAX_IMPORT_BYTES, 50 MB): answered '{status}'"
              f" after {sent / 1024 / 1024:,.1f} MB sent; largest worker RSS {before} MB before, {peak[0]} MB at most"
              " meanwhile")
    finally:
        stop_hub(server)
        await drop_database(base, name)


if __name__ == "__main__":
    asyncio.run(main())
