"""National-scale data for the benchmarks: CFAs, offers, youths with their steps, wishes, and
everything the hub derives from them (paths, change points, spans of risk, wishes' outcomes), in
a database of its own. Deterministic for a seed.

    .venv/bin/python bench/generate.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/hub_national
    .venv/bin/python bench/generate.py --database-url ... --scale 0.1     # a tenth of every volume

At ``--scale 1`` (the default): 3,500 CFAs over the 101 departments, 15,000 offers, 1,000,000
youths, about 5,000,000 step events over two school years and 250,000 wishes (DOMAIN.md's
volumes). The database is migrated, then filled by COPY (CFAs, certifications, offers, a vendor
and its consents, youths with a keyed INE hash and the INE encrypted as the hub does, steps,
wishes); then the derived rows are computed by the hub's own services (``recompute`` and
``outcomes.refresh``) a chunk of 2,000 youths at a time, so they are exactly what recordSteps
would have left. A progress bar shows each phase; the load time is printed. Synthetic only: INEs
are serial numbers, no NIR is generated.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import asyncpg_args  # noqa: E402

from app.db import Database, make_engine  # noqa: E402
from app.domain.actors import Role  # noqa: E402
from app.domain.dates import today as france_today
from app.domain.identifiers import uai_check_letter  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.progress import Progress  # noqa: E402
from app.repositories.transmission import TransmissionRepository  # noqa: E402
from app.security import IdentityVault  # noqa: E402
from app.services import clients, outcomes  # noqa: E402
from app.services.paths import recompute  # noqa: E402
from app.settings import Settings  # noqa: E402

CERTIFICATIONS = [f"500{n:05d}" for n in range(22100, 22140)] + [f"RNCP{n}" for n in range(34000, 34020)]
HANDLED = ("MEETING", "INFO_SESSION", "PRE_REGISTERED")


def path(rng: random.Random, start: date, today: date, steps: int) -> list[tuple[str, date]]:
    """About ``steps`` steps from ``start``: handled, registered, then most sign a contract; some
    break it, some drop out, some move on; a share stays registered without contract."""
    out: list[tuple[str, date]] = []
    day = start
    for _ in range(rng.randint(1, 3)):
        out.append((rng.choice(HANDLED), day))
        day += timedelta(days=rng.randint(3, 30))
    out.append(("REGISTERED", day))
    roll = rng.random()
    if roll < 0.12:
        return out  # registered, no contract (yet)
    day += timedelta(days=rng.randint(10, 80))
    out.append(("APPRENTICE", day))
    while len(out) < steps + rng.randint(-1, 1):
        roll = rng.random()
        day += timedelta(days=rng.randint(30, 250))
        if roll < 0.35:
            out.append(("CONTRACT_BROKEN", day))
            day += timedelta(days=rng.randint(5, 200))
            out.append(("APPRENTICE" if rng.random() < 0.6 else "DROPPED_OUT", day))
        elif roll < 0.5:
            out.append(("COMPLETED", day))
            break
        else:
            out.append((rng.choice(HANDLED), day))
    return [(step, when) for step, when in out if when <= today]


async def generate(
    url: str, youths: int, n_cfas: int, steps: int, wish_share: float, seed: int, n_offers: int = 0,
) -> dict[str, int]:
    settings = Settings(database_url=url)
    database = Database(make_engine(url, settings))
    vault = IdentityVault(settings.identity_hash_key.get_secret_value().encode(), settings.encryption_key_bytes)
    rng = random.Random(seed)
    today = france_today()
    try:
        await upgrade(database.engine)
        db = database.session()
        vendor = await clients.create_client(db, settings.key_pepper.get_secret_value(), name="bench vendor", role=Role.VENDOR)
        await db.commit()
        driver = await db.driver_connection()
        departments = await driver.fetch("SELECT code, uai_prefix FROM department WHERE in_101 ORDER BY code")
        cfas, used = [], set()
        for index in range(n_cfas):
            code, prefix = departments[index % len(departments)]
            while True:
                seven = prefix + f"{rng.randrange(10_000):04d}"
                if seven not in used:
                    used.add(seven)
                    break
            cfas.append((seven + uai_check_letter(seven), f"CFA {index + 1}", code, True, datetime.now(UTC), True))
        async with db.lock:
            await driver.copy_records_to_table(
                "cfa", records=cfas,
                columns=["uai", "name", "department_code", "consent_given", "consent_changed_at", "own_consent"],
            )
            await driver.copy_records_to_table(
                "cfa_vendor", records=[(c[0], vendor.client.id) for c in cfas], columns=["uai", "client_id"]
            )
            await driver.copy_records_to_table(
                "certification", records=[(c, "RNCP" if c.startswith("RNCP") else "CFD", c, True) for c in CERTIFICATIONS],
                columns=["code", "kind", "title", "verified"],
            )
            # Offers: each CFA its share, on certifications of its own, sessions of this school year
            # and the next; capacities of 8 to 40.
            year = today.year if today.month >= 8 else today.year - 1
            offers = []
            for number in range(n_offers):
                uai, _, department, _, _ = cfas[number % len(cfas)]
                certification = CERTIFICATIONS[(number * 7 + number // len(cfas)) % len(CERTIFICATIONS)]
                start = date(year + rng.randint(0, 1), 9, 1)
                offers.append((uai, f"O-{number}", f"Formation {certification}", certification, department, start,
                               date(start.year + rng.choice((1, 2)), 6, 30), rng.randint(8, 40)))
            await driver.copy_records_to_table("offer", records=offers, columns=[
                "uai", "offer_ref", "title", "certification_code", "department_code", "session_start", "session_end",
                "capacity"])
        first_id = await driver.fetchval("SELECT nextval(pg_get_serial_sequence('youth', 'id'))")
        progress = Progress("youths, steps, wishes", youths)
        total_steps = total_wishes = 0
        for offset in range(0, youths, 50_000):
            count = min(50_000, youths - offset)
            youth_rows, step_rows, wish_rows = [], [], []
            for i in range(offset, offset + count):
                youth_id = first_id + i
                ine = f"{i:09d}AB"
                youth_rows.append((youth_id, vault.hash_ine(ine), vault.encrypt_ine(ine)))
                home = cfas[rng.randrange(len(cfas))][0]
                certification = rng.choice(CERTIFICATIONS)
                start = today - timedelta(days=rng.randint(1, 730))  # two school years
                if rng.random() < wish_share:
                    submitted = datetime.combine(start - timedelta(days=rng.randint(0, 20)), datetime.min.time(), UTC)
                    wish_rows.append(("PARCOURSUP" if rng.random() < 0.6 else "AFFELNET", f"N-{i}", youth_id, home,
                                      certification, submitted, submitted))
                for number, (step, when) in enumerate(path(rng, start, today, steps)):
                    if rng.random() < 0.05:
                        home = cfas[rng.randrange(len(cfas))][0]  # moves to another CFA
                    contract = (when, when + timedelta(days=730)) if step == "APPRENTICE" else (None, None)
                    step_rows.append((
                        vendor.client.id, f"E-{i}-{number}", youth_id, home, certification, step, when,
                        contract[0], contract[1], hashlib.sha256(f"{i}-{number}".encode()).digest(),
                    ))
            async with db.lock:
                await driver.copy_records_to_table("youth", records=youth_rows, columns=["id", "ine_hash", "ine_encrypted"])
                await driver.copy_records_to_table("step_event", records=step_rows, columns=[
                    "vendor_client_id", "event_id", "youth_id", "uai", "certification_code", "step", "effective_date",
                    "contract_start", "contract_end", "content_hash"])
                if wish_rows:
                    await driver.copy_records_to_table("wish", records=wish_rows, columns=[
                        "portal", "portal_wish_id", "youth_id", "uai", "certification_code", "submitted_at",
                        "outcome_changed_at"])
            await db.commit()
            driver = await db.driver_connection()
            total_steps += len(step_rows)
            total_wishes += len(wish_rows)
            progress.advance(count)
        progress.finish()
        await driver.execute(f"SELECT setval(pg_get_serial_sequence('youth', 'id'), {first_id + youths})")
        await TransmissionRepository(db).stamp_from_events()  # the CFAs' transmission, as recordSteps keeps it
        await db.commit()
        await driver.execute("ANALYZE")  # the planner must know the tables' sizes before the derivations
        await db.close()
        progress = Progress("paths, risks, outcomes", youths)
        for offset in range(0, youths, 2000):
            db = database.session()
            ids = list(range(first_id + offset, first_id + min(offset + 2000, youths)))
            await recompute(db, settings, ids)
            await outcomes.refresh(db, youth_ids=ids)
            await db.commit()
            await db.close()
            progress.advance(len(ids))
        progress.finish()
        # VACUUM as autovacuum would: index-only scans (a portal's totalCount, an adviser's page)
        # read the heap for every row until the visibility map is set.
        async with database.engine.connect() as connection:
            raw = (await connection.get_raw_connection()).driver_connection
            await raw.execute("VACUUM ANALYZE")
        db = database.session()
        driver = await db.driver_connection()
        at_risk = await driver.fetchval(
            "SELECT count(*) FROM youth_risk WHERE valid_from <= current_date AND (valid_to IS NULL OR valid_to > current_date)"
        )
        await db.close()
        return {"youths": youths, "cfas": n_cfas, "offers": n_offers, "steps": total_steps, "wishes": total_wishes,
                "at_risk_today": at_risk}
    finally:
        await database.dispose()


def sizes(scale: float, youths: int | None = None, cfas: int | None = None, offers: int | None = None) -> tuple[int, int, int]:
    """(youths, CFAs, offers) at ``scale``, unless given."""
    return (
        youths if youths is not None else max(1, round(1_000_000 * scale)),
        cfas if cfas is not None else max(101, round(3_500 * scale)),
        offers if offers is not None else max(1, round(15_000 * scale)),
    )


async def create_if_missing(url: str) -> None:
    """Create the database of ``url`` on its server when it does not exist yet."""
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    connection = await asyncpg.connect(**asyncpg_args(make_url(url).set(database="postgres").render_as_string(hide_password=False)))
    try:
        if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await connection.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}", file=sys.stderr)
    finally:
        await connection.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True,
                        help="an empty database, created when missing (it is migrated first)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every volume (1: national scale)")
    parser.add_argument("--youths", type=int, help="default 1,000,000 × scale")
    parser.add_argument("--cfas", type=int, help="default 3,500 × scale (at least 101: one per department)")
    parser.add_argument("--offers", type=int, help="default 15,000 × scale")
    parser.add_argument("--steps-per-youth", type=int, default=7, help="aimed at; about 5 reach today's date")
    parser.add_argument("--wish-share", type=float, default=0.25, help="share of youths with a wish")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    youths, cfas, offers = sizes(args.scale, args.youths, args.cfas, args.offers)
    await create_if_missing(args.database_url)
    started = time.perf_counter()
    summary = await generate(args.database_url, youths, cfas, args.steps_per_youth, args.wish_share, args.seed, offers)
    print(f"generated in {time.perf_counter() - started:.0f} s: {summary}")


if __name__ == "__main__":
    asyncio.run(main())


