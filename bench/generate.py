"""National-scale data for the benchmarks: youths with their steps, wishes, and everything the hub
derives from them (paths, spans of risk, wishes' outcomes), in a database of its own.

    .venv/bin/python bench/generate.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/hub_national
    .venv/bin/python bench/generate.py --youths 1000000 --cfas 3500      # the defaults: DOMAIN.md's volumes

The database is migrated, then filled by COPY (CFAs over the 101 departments, certifications, a
vendor and its consents, youths with a keyed INE hash and the INE encrypted as the hub does,
steps, wishes for ``--wish-share`` of the youths); then the derived rows are computed by the
hub's own services (``recompute`` and ``outcomes.refresh``) a chunk of 2,000 youths at a time,
so they are exactly what recordSteps would have left. A progress bar shows each phase.
Synthetic only: INEs are serial numbers, no NIR is generated.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.auth import Role  # noqa: E402
from app.db import Database, make_engine  # noqa: E402
from app.domain.identifiers import uai_check_letter  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.progress import Progress  # noqa: E402
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


async def generate(url: str, youths: int, n_cfas: int, steps: int, wish_share: float, seed: int) -> dict[str, int]:
    settings = Settings(database_url=url)
    database = Database(make_engine(url, settings))
    vault = IdentityVault(settings.identity_hash_key.get_secret_value().encode(), settings.encryption_key_bytes)
    rng = random.Random(seed)
    today = date.today()
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
            cfas.append((seven + uai_check_letter(seven), f"CFA {index + 1}", code, True, datetime.now(UTC)))
        async with db.lock:
            await driver.copy_records_to_table(
                "cfa", records=cfas, columns=["uai", "name", "department_code", "consent_given", "consent_changed_at"]
            )
            await driver.copy_records_to_table(
                "cfa_vendor", records=[(c[0], vendor.client.id) for c in cfas], columns=["uai", "client_id"]
            )
            await driver.copy_records_to_table(
                "certification", records=[(c, "RNCP" if c.startswith("RNCP") else "CFD", c, True) for c in CERTIFICATIONS],
                columns=["code", "kind", "title", "verified"],
            )
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
                start = today - timedelta(days=rng.randint(1, 900))
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
        db = database.session()
        driver = await db.driver_connection()
        await driver.execute("ANALYZE")
        at_risk = await driver.fetchval(
            "SELECT count(*) FROM youth_risk WHERE valid_from <= current_date AND (valid_to IS NULL OR valid_to > current_date)"
        )
        await db.close()
        return {"youths": youths, "cfas": n_cfas, "steps": total_steps, "wishes": total_wishes, "at_risk_today": at_risk}
    finally:
        await database.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="an empty database (it is migrated first)")
    parser.add_argument("--youths", type=int, default=1_000_000)
    parser.add_argument("--cfas", type=int, default=3_500)
    parser.add_argument("--steps-per-youth", type=int, default=5)
    parser.add_argument("--wish-share", type=float, default=0.2, help="share of youths with a wish")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    summary = await generate(args.database_url, args.youths, args.cfas, args.steps_per_youth, args.wish_share, args.seed)
    print(f"generated in {time.perf_counter() - started:.0f} s: {summary}")


if __name__ == "__main__":
    asyncio.run(main())


