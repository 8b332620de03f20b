"""Ingestion benchmark: recordSteps through HTTP against the raw asyncpg COPY floor.

    .venv/bin/python bench/ingest.py                      # embedded PostgreSQL (.hub/bench)
    .venv/bin/python bench/ingest.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

It creates a fresh database, registers vendors and consenting CFAs, starts `hub serve` with
--workers, and has several vendors send batches of 2,000 records concurrently (5% invalid, 10%
replays of records already sent). It prints records/s, p50/p99 per batch and the server's peak
RSS; then it inserts the same rows with asyncpg's copy_records_to_table into a table of the same
shape (same indexes) in the same database, and prints the ratio. The database is dropped after.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import asyncpg_args, create_database, drop_database, percentile, post_once, server_url, start_hub, stop_hub  # noqa: E402

from app.db import Database, make_engine  # noqa: E402
from app.domain.actors import Role  # noqa: E402
from app.domain.dates import today as france_today
from app.domain.identifiers import uai_check_letter  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.services import cfas, clients  # noqa: E402
from app.settings import Settings  # noqa: E402

MUTATION = "mutation($input: [StepInput!]!) { recordSteps(input: $input) { accepted unchanged rejected { index code } } }"
STEPS = ["MEETING", "INFO_SESSION", "PRE_REGISTERED", "REGISTERED", "APPRENTICE", "CONTRACT_BROKEN"]
CERTS = ["50022141", "50022135", "40025214", "32031210", "RNCP35185", "RNCP34092"]


def cpu_seconds(pattern: str) -> float:
    """User+system CPU seconds of every process whose command line contains ``pattern``."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if pattern not in (proc / "cmdline").read_bytes().decode(errors="ignore"):
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
        except OSError:
            continue
    return total


def tree(pid: int) -> list[int]:
    """The process and its children (uvicorn's workers)."""
    pids = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            pids += [int(p) for p in (task / "children").read_text().split()]
    except OSError:
        pass
    return pids


def cpu_of(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
        except OSError:
            pass
    return total


def rss_of_tree(pid: int) -> tuple[int, int]:
    """(largest peak RSS of one process, sum of peak RSS) in kB over the process and its children."""
    pids = tree(pid)
    peaks = []
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]))
        except OSError:
            pass
    return (max(peaks, default=0), sum(peaks))


async def setup(url: str, vendors: int, n_cfas: int) -> tuple[list[str], list[str]]:
    settings = Settings(database_url=url)
    database = Database(make_engine(url, settings))
    await upgrade(database.engine)
    db = database.session()
    pepper = settings.key_pepper.get_secret_value()
    admin = await clients.create_client(db, pepper, name="bench admin", role=Role.ADMIN)
    from app.auth import Principal

    principal = Principal(admin.client.id, "bench admin", Role.ADMIN, None, None, admin.client.created_at, admin.client.id)
    keys, vendor_ids = [], []
    for i in range(vendors):
        created = await clients.create_client(db, pepper, name=f"bench vendor {i}", role=Role.VENDOR)
        keys.append(created.api_key)
        vendor_ids.append(str(created.client.id))
    uais = []
    for i in range(n_cfas):
        seven = f"075{i:04d}"
        uai = seven + uai_check_letter(seven)
        await cfas.register_cfa(db, uai=uai, siret=None, name=f"CFA {i}", department_code="75")
        await cfas.set_consent(db, principal, uai=uai, given=True, vendor_client_ids=vendor_ids)
        uais.append(uai)
    await db.commit()
    await db.close()
    await database.dispose()
    return keys, uais


def make_batches(
    vendor: int, batches: int, size: int, uais: list[str], seed: int, steps_per_youth: int, learner_share: float = 0.0,
) -> list[list[dict]]:
    """Batches for one vendor: 5% invalid records, 10% replays of records sent before, and about
    ``steps_per_youth`` steps per youth over the run (DOMAIN.md: 5 to 10 a year), each youth's at
    its own CFA and training but one in twenty. ``learner_share`` of the youths have no INE: their
    records carry the software's learnerRef instead."""
    rng = random.Random(seed + vendor)
    youths = max(1, batches * size // steps_per_youth)
    today = france_today()
    sent: list[dict] = []
    out = []
    serial = 0
    for _ in range(batches):
        batch = []
        for _ in range(size):
            roll = rng.random()
            if roll < 0.10 and sent:
                batch.append(rng.choice(sent))
                continue
            serial += 1
            step = rng.choice(STEPS)
            youth = rng.randrange(youths)
            # A youth's steps come from its CFA, in its training; one in twenty from elsewhere.
            home = youth % len(uais) if rng.random() >= 0.05 else rng.randrange(len(uais))
            record = {
                "eventId": f"v{vendor}-{serial}",
                "uai": uais[home],
                **({"learnerRef": f"L{vendor}-{youth}"} if youth % 100 < learner_share * 100 else
                   {"ine": f"{vendor:03d}{youth:06d}AB"}),
                "certification": CERTS[(youth + home) % len(CERTS)],
                "step": step,
                "effectiveDate": (today - timedelta(days=rng.randint(1, 700))).isoformat(),
            }
            if step == "APPRENTICE":
                record["contractStart"] = record["effectiveDate"]
                record["contractEnd"] = (today + timedelta(days=rng.randint(100, 700))).isoformat()
            if roll > 0.95:
                record["uai"] = "0751234A"  # invalid check letter
            else:
                sent.append(record)
            batch.append(record)
        # a replay must not repeat an eventId inside its own batch
        seen, unique = set(), []
        for record in batch:
            if record["eventId"] not in seen:
                seen.add(record["eventId"])
                unique.append(record)
        out.append(unique)
    return out


async def send_all(port: int, keys: list[str], bodies: list[list[bytes]]) -> tuple[float, list[float], int, dict]:
    latencies: list[float] = []
    totals = {"accepted": 0, "unchanged": 0, "rejected": 0}
    records = 0

    async def vendor(key: str, vendor_bodies: list[bytes]) -> None:
        nonlocal records
        # One connection per batch, as a vendor's periodic push opens it: the kernel hands each
        # new connection to a worker waiting in accept(), which spreads batches over the workers.
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        for body in vendor_bodies:
            started = time.perf_counter()
            status, raw = await post_once(port, "/graphql", body, headers)
            latencies.append(time.perf_counter() - started)
            payload = json.loads(raw)
            if status != 200 or "errors" in payload:
                raise SystemExit(f"batch failed ({status}): {raw[:300]!r}")
            result = payload["data"]["recordSteps"]
            totals["accepted"] += result["accepted"]
            totals["unchanged"] += result["unchanged"]
            totals["rejected"] += len(result["rejected"])
            records += result["accepted"] + result["unchanged"] + len(result["rejected"])

    started = time.perf_counter()
    await asyncio.gather(*(vendor(key, vendor_bodies) for key, vendor_bodies in zip(keys, bodies)))
    return time.perf_counter() - started, latencies, records, totals


async def wait_until_derived(port: int) -> float:
    """Seconds until the hub's derivation queue is empty (its /readyz tells the backlog)."""
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        while True:
            body = (await client.get("/readyz")).json()
            if body["derivation"]["queued"] == 0:
                return time.perf_counter() - started
            await asyncio.sleep(0.05)


FLOOR_COLUMNS = ["vendor_client_id", "event_id", "youth_id", "uai", "certification_code", "step", "effective_date",
                 "portal", "portal_wish_id", "contract_start", "contract_end", "content_hash"]
INVALID_UAI = "0751234A"  # make_batches' invalid records (a wrong check letter)


def synthetic_rows(rows: int) -> list[list[tuple]]:
    """The floor earlier sessions measured: one vendor, youth ids in increasing order, one CFA,
    certification and step, no contract: the indexes take each row at their right-hand edge."""
    vendor, today = uuid.uuid4(), france_today()
    records = [
        (vendor, f"f{i}", i % 200_000 + 1, "0750000A", "50022141", "REGISTERED", today - timedelta(days=i % 700),
         None, None, None, None, hashlib.sha256(str(i).encode()).digest())
        for i in range(rows)
    ]
    return [records[offset:offset + 2000] for offset in range(0, rows, 2000)]


def same_rows(batches: list[list[list[dict]]]) -> list[list[tuple]]:
    """The rows the hub stores for these batches (each vendor's new events, its invalid records
    and replays left out), COPY by COPY as the batches come (the vendors' in turn), each in
    youth order (as the hub writes them); youth ids numbered as the youths first appear."""
    youth_of: dict[str, int] = {}
    vendors = [uuid.uuid4() for _ in batches]
    seen: list[set[str]] = [set() for _ in batches]
    chunks = []
    for round_ in range(max(map(len, batches))):
        for v, vendor_batches in enumerate(batches):
            if round_ >= len(vendor_batches):
                continue
            chunk = []
            for r in vendor_batches[round_]:
                if r["uai"] == INVALID_UAI or r["eventId"] in seen[v]:
                    continue
                seen[v].add(r["eventId"])
                youth = youth_of.setdefault(r.get("ine") or f"{r['uai']}/{r['learnerRef']}", len(youth_of) + 1)
                start, end = r.get("contractStart"), r.get("contractEnd")
                chunk.append((
                    vendors[v], r["eventId"], youth, r["uai"], r["certification"], r["step"],
                    date.fromisoformat(r["effectiveDate"]), None, None, start and date.fromisoformat(start),
                    end and date.fromisoformat(end), hashlib.sha256(json.dumps(r, sort_keys=True).encode()).digest(),
                ))
            chunks.append(sorted(chunk, key=lambda row: row[2]))
    return chunks


async def copy_floor(url: str, chunks: list[list[tuple]]) -> float:
    """rows/s of copy_records_to_table into a table shaped like step_event (same indexes), a
    COPY per chunk."""
    connection = await asyncpg.connect(**asyncpg_args(url))
    try:
        await connection.execute(
            "DROP TABLE IF EXISTS step_event_floor;"
            " CREATE TABLE step_event_floor (LIKE step_event INCLUDING DEFAULTS INCLUDING INDEXES)"
        )
        started = time.perf_counter()
        for chunk in chunks:
            await connection.copy_records_to_table("step_event_floor", records=chunk, columns=FLOOR_COLUMNS)
        elapsed = time.perf_counter() - started
        await connection.execute("DROP TABLE step_event_floor")
        return sum(map(len, chunks)) / elapsed
    finally:
        await connection.close()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a maintenance database URL; default: embedded PostgreSQL")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--vendors", type=int, default=4)
    parser.add_argument("--batches", type=int, default=25, help="batches per vendor")
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--cfas", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--steps-per-youth", type=int, default=5, help="1: every record a new youth")
    parser.add_argument("--learner-share", type=float, default=0.0,
                        help="the share of youths without INE, sent with a learnerRef (issue 18: 0.3)")
    parser.add_argument("--runs", type=int, default=1,
                        help="measurements, each in a fresh database; with several, the median ratio is printed too")
    parser.add_argument("--derivation", choices=["inline", "deferred"], default="deferred",
                        help="HUB_DERIVATION of the hub (deferred: also waits until the queue is drained)")
    return parser.parse_args(argv)


async def measure(args: argparse.Namespace) -> dict:
    """One run in a fresh database (dropped after): the figures, as a dict."""
    os.environ["HUB_DERIVATION"] = args.derivation
    base = server_url(args.database_url)
    name, url = await create_database(base)
    server = None
    try:
        print(f"setting up {args.vendors} vendors and {args.cfas} consenting CFAs in {name} ...", file=sys.stderr)
        keys, uais = await setup(url, args.vendors, args.cfas)
        batches = [
            make_batches(v, args.batches, args.batch_size, uais, args.seed, args.steps_per_youth, args.learner_share)
            for v in range(args.vendors)
        ]
        bodies = [[json.dumps({"query": MUTATION, "variables": {"input": b}}).encode() for b in vb] for vb in batches]
        # The floors, measured before and after the run (the machine's own speed drifts; the
        # higher figure is the one compared with): the same rows as the hub stores, and the
        # synthetic rows of earlier sessions (as many rows as records sent).
        rows = same_rows(batches)
        synthetic = synthetic_rows(sum(map(len, rows)))
        floor_before, synthetic_before = await copy_floor(url, rows), await copy_floor(url, synthetic)
        server, port = await start_hub(url, args.workers)
        # warm-up: one small batch per worker, not counted
        warm = json.dumps({"query": MUTATION, "variables": {"input": batches[0][0][:50]}}).encode()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(args.workers * 2):
                await client.post("/graphql", content=warm, headers={"Authorization": f"Bearer {keys[0]}", "Content-Type": "application/json"})

        import resource

        hub_pids = tree(server.pid)
        cpu_hub, cpu_pg = cpu_of(hub_pids), cpu_seconds("postgres")
        per_worker = {p: cpu_of([p]) for p in hub_pids}
        cpu_me = resource.getrusage(resource.RUSAGE_SELF)
        elapsed, latencies, records, totals = await send_all(port, keys, bodies)
        burst_hub, burst_pg = cpu_of(hub_pids) - cpu_hub, cpu_seconds("postgres") - cpu_pg
        burst_workers = [cpu_of([p]) - before for p, before in per_worker.items()]
        drained = await wait_until_derived(port) if args.derivation == "deferred" else 0.0
        cpu_hub, cpu_pg = cpu_of(hub_pids) - cpu_hub, cpu_seconds("postgres") - cpu_pg
        per_worker_total = [cpu_of([p]) - before for p, before in per_worker.items()]
        after_me = resource.getrusage(resource.RUSAGE_SELF)
        cpu_client = after_me.ru_utime + after_me.ru_stime - cpu_me.ru_utime - cpu_me.ru_stime
        peak_one, peak_sum = rss_of_tree(server.pid)
        floor_after, synthetic_after = await copy_floor(url, rows), await copy_floor(url, synthetic)
    finally:
        stop_hub(server)
        await drop_database(base, name)
    floor, synthetic_floor = max(floor_before, floor_after), max(synthetic_before, synthetic_after)
    return {
        "workers": args.workers, "vendors": args.vendors, "batches": len(latencies), "batch_size": args.batch_size,
        "derivation": args.derivation, "steps_per_youth": args.steps_per_youth, "records": records, **totals,
        "records_per_s": records / elapsed, "elapsed_s": elapsed, "drained_s": drained,
        "records_per_s_with_drain": records / (elapsed + drained),
        "p50_ms": percentile(latencies, 0.5) * 1000, "p99_ms": percentile(latencies, 0.99) * 1000,
        "rss_peak_worker_mb": peak_one / 1024, "rss_peak_all_mb": peak_sum / 1024,
        "cpu_hub_s": cpu_hub, "cpu_pg_s": cpu_pg, "cpu_client_s": cpu_client, "cpu_hub_burst_s": burst_hub,
        "cpu_pg_burst_s": burst_pg, "cpu_per_process_burst_s": burst_workers, "cpu_per_process_s": per_worker_total,
        "floor_before": floor_before, "floor_after": floor_after, "floor": floor, "ratio": records / elapsed / floor,
        "synthetic_before": synthetic_before, "synthetic_after": synthetic_after, "synthetic_floor": synthetic_floor,
        "synthetic_ratio": records / elapsed / synthetic_floor,
    }


def report(r: dict) -> None:
    print("per hub process CPU s (batches / until drained):", [round(c, 1) for c in r["cpu_per_process_burst_s"]],
          [round(c, 1) for c in r["cpu_per_process_s"]], file=sys.stderr)
    print()
    print(f"recordSteps over HTTP: {r['vendors']} concurrent vendors, {r['batches']} batches of "
          f"{r['batch_size']}, {r['workers']} workers, about {r['steps_per_youth']} steps per youth")
    print("| measure | value |\n|---|---|")
    print(f"| records sent | {r['records']:,} (accepted {r['accepted']:,}, unchanged {r['unchanged']:,}, "
          f"rejected {r['rejected']:,}) |")
    print(f"| GraphQL records/s ({r['derivation']} derivation) | {r['records_per_s']:,.0f} |")
    if r["derivation"] == "deferred":
        print(f"| derivation queue drained | {r['drained_s']:,.1f} s after the last batch; records/s counting it: "
              f"{r['records_per_s_with_drain']:,.0f} |")
    print(f"| batch latency p50 / p99 | {r['p50_ms']:,.0f} ms / {r['p99_ms']:,.0f} ms |")
    print(f"| server peak RSS (largest process / all) | {r['rss_peak_worker_mb']:,.0f} MB / {r['rss_peak_all_mb']:,.0f} MB |")
    print(f"| CPU during the run (until drained): hub / PostgreSQL / this client | {r['cpu_hub_s']:,.1f} s / "
          f"{r['cpu_pg_s']:,.1f} s / {r['cpu_client_s']:,.1f} s (wall {r['elapsed_s'] + r['drained_s']:,.1f} s, "
          f"{os.cpu_count()} cores) |")
    if r["derivation"] == "deferred":
        print(f"| CPU while the batches came: hub / PostgreSQL | {r['cpu_hub_burst_s']:,.1f} s / {r['cpu_pg_burst_s']:,.1f} s |")
    print(f"| asyncpg copy_records_to_table of the same rows, rows/s (before / after the run) | {r['floor_before']:,.0f} / "
          f"{r['floor_after']:,.0f} |")
    print(f"| ratio GraphQL / COPY floor (the higher one) | {r['ratio']:.1%} |")
    print(f"| synthetic floor of earlier sessions (one vendor, youths in order, no contract), rows/s | "
          f"{r['synthetic_before']:,.0f} / {r['synthetic_after']:,.0f} |")
    print(f"| ratio GraphQL / synthetic floor (the higher one) | {r['synthetic_ratio']:.1%} |")


async def main() -> None:
    args = parse()
    results = []
    for run in range(args.runs):
        if args.runs > 1:
            print(f"\n## run {run + 1} of {args.runs}")
        results.append(await measure(args))
        report(results[-1])
    if len(results) > 1:
        # The machine's speed drifts by a quarter from one minute to the next (the floor with it):
        # the median of several runs is the figure to quote.
        ratios = sorted(r["ratio"] for r in results)
        synthetic = sorted(r["synthetic_ratio"] for r in results)
        rates = sorted(r["records_per_s"] for r in results)
        print(f"\nmedian of {len(results)} runs: {statistics.median(rates):,.0f} records/s; ratio to the COPY of the same "
              f"rows {statistics.median(ratios):.1%} (runs: {', '.join(f'{r:.1%}' for r in ratios)}); to the synthetic "
              f"floor {statistics.median(synthetic):.1%} (runs: {', '.join(f'{r:.1%}' for r in synthetic)})")


if __name__ == "__main__":
    asyncio.run(main())
