"""A realistic synthetic data set for `hub demo`: CFAs over several regions, certifications,
offers, thousands of youths with wishes and paths. Deterministic (seeded).

Identifiers are synthetic but valid (UAI check letters, SIRET Luhn, INE formats). No NIR is
generated at all: the demo never carries anything that could be a real person's NIR.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import text
from stdnum import luhn

from app.db import RequestSession
from app.domain.actors import Portal, Role
from app.domain.dates import today as france_today
from app.domain.identifiers import uai_check_letter
from app.domain.timeline import FIRST_STEPS, Step
from app.progress import Progress
from app.repositories.clients import ClientRepository
from app.repositories.transmission import TransmissionRepository
from app.repositories.youths import YouthRepository
from app.security import IdentityVault
from app.services import clients as client_service
from app.services import outcomes
from app.services.paths import recompute
from app.settings import Settings

DEMO_PREFIX = "Demo "
# Departments of six regions: Île-de-France, Auvergne-Rhône-Alpes, Occitanie,
# Hauts-de-France, Bretagne, Corse.
DEPARTMENTS = {
    "75": "075", "92": "092", "93": "093", "69": "069", "38": "038", "63": "063",
    "31": "031", "34": "034", "59": "059", "62": "062", "35": "035", "29": "029",
    "2A": "620", "2B": "720",
}
CERTIFICATIONS = [
    ("50022141", "CAP Pâtissier", 3), ("50022135", "CAP Cuisine", 3),
    ("50025216", "CAP Électricien", 3), ("50023304", "CAP Maçon", 3),
    ("50033617", "CAP Coiffure", 3), ("50031213", "CAP Menuisier fabricant", 3),
    ("40025214", "BP Boulanger", 4), ("40031210", "BP Coiffure", 4),
    ("40022106", "Bac pro Commerce", 4), ("40025510", "Bac pro Maintenance des véhicules", 4),
    ("32031210", "BTS Management commercial opérationnel", 5), ("32032002", "BTS Services informatiques aux organisations", 5),
    ("32031309", "BTS Comptabilité et gestion", 5), ("32023103", "BTS Électrotechnique", 5),
    ("RNCP35185", "Titre professionnel Développeur web et web mobile", 5),
    ("RNCP34092", "Titre professionnel Secrétaire assistant", 4),
    ("RNCP36805", "Bachelor Responsable de la distribution", 6),
    ("RNCP35961", "Titre professionnel Cuisinier", 3),
    ("RNCP37873", "Master Management des organisations", 7),
    ("RNCP31677", "Titre professionnel Agent de propreté et d'hygiène", 3),
]
CFA_NAMES = [
    "CFA des métiers", "CFA du bâtiment", "CFA de l'industrie", "Faculté des métiers",
    "CFA du commerce", "CFA agricole", "CFA interprofessionnel", "CFA de la CMA",
    "CFA des compagnons", "CFA du numérique",
]
SCHOOL_YEAR_START = date(2026, 9, 1)


@dataclass
class DemoSize:
    cfas: int = 48
    youths: int = 4_000


def _siret(rng: random.Random) -> str:
    """A SIREN with its Luhn digit, then an establishment number with the SIRET's Luhn digit."""
    body = f"{rng.randint(1, 9)}{rng.randint(0, 10**7 - 1):07d}"
    siren = body + luhn.calc_check_digit(body)
    nic = f"{rng.randint(1, 9999):04d}"
    return siren + nic + luhn.calc_check_digit(siren + nic)


def _uai(rng: random.Random, prefix: str, used: set[str]) -> str:
    while True:
        seven = prefix + f"{rng.randint(0, 9999):04d}"
        if seven not in used:
            used.add(seven)
            return seven + uai_check_letter(seven)


def _ine(rng: random.Random, index: int) -> str:
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    return f"{rng.randint(10**8, 10**9 - 1)}{letters[index % 23]}{letters[(index // 23) % 23]}"


Story = list[tuple[str, date, dict[str, date]]]  # (step, effective date, contract and training dates)


def _path(rng: random.Random, wish_day: date, today: date, training_end: date) -> Story:
    """A plausible path after a wish, with the stories the status rules 2027.1 are about: some
    never handled; some stuck after a first meeting (HANDLED_NOT_REGISTERED after 45 days); most
    register, many sign, a third of the contracts with no end date (they end with the training);
    some contracts break, reported as CONTRACT_BROKEN or re-sent as REGISTERED at the same CFA (a
    rupturant all the same, rule 4)."""
    roll = rng.random()
    if roll < 0.15:
        return []
    day = wish_day + timedelta(days=rng.randint(3, 25))
    steps: Story = [(rng.choice([step.value for step in Step if step in FIRST_STEPS]), day, {})]
    if roll < 0.30:
        return steps  # stuck after a meeting
    day += timedelta(days=rng.randint(5, 40))
    # registered for the school year's session: from some 25 days before it starts (a session takes
    # in from 30 days before its start, app/domain/intake.py)
    day = max(day, SCHOOL_YEAR_START - timedelta(days=rng.randint(0, 25)))
    steps.append(("REGISTERED", day, {}))
    if roll < 0.45:
        return steps
    day += timedelta(days=rng.randint(5, 80))
    contract = {"contract_start": day, "training_end": training_end}
    if rng.random() < 0.67:
        contract["contract_end"] = min(day + timedelta(days=730), training_end)
    steps.append(("APPRENTICE", day, contract))
    if roll < 0.80:
        return steps
    day += timedelta(days=rng.randint(20, 100))
    if roll < 0.88:
        steps.append(("CONTRACT_BROKEN", day, {"contract_end": day - timedelta(days=1)}))
    elif roll < 0.93:
        steps.append(("REGISTERED", day, {}))  # the rupturant re-sent as "inscrit" by its CFA's software
    else:
        day += timedelta(days=rng.randint(10, 120))
        steps.append(("DROPPED_OUT" if roll < 0.97 else "APPRENTICE", day, {}))
    return [(step, when, dates) for step, when, dates in steps if when <= today]


def _second_year(rng: random.Random) -> Story:
    """An apprentice in the last year of a two-year training ending on 30 June: the contract has
    no end date and ends with the training (a completion on 1 July), or breaks in the last weeks
    of training (within the completion window: a completion too, never a rupturant to call)."""
    training_end = date(2026, 6, 30)
    steps: Story = [("APPRENTICE", date(2024, 9, 2), {"contract_start": date(2024, 9, 2), "training_end": training_end})]
    if rng.random() < 0.5:
        steps.append(("CONTRACT_BROKEN", training_end - timedelta(days=rng.randint(5, 55)), {"training_end": training_end}))
    return steps


async def demo_loaded(db: RequestSession) -> bool:
    return await ClientRepository(db).by_name(f"{DEMO_PREFIX}ADMIN") is not None


async def load_demo(
    db: RequestSession, vault: IdentityVault, settings: Settings, size: DemoSize, *, seed: int = 2026
) -> dict[str, int]:
    """Insert the demo data set with COPY; returns the row counts."""
    rng = random.Random(seed)
    today = france_today()
    pepper = settings.key_pepper.get_secret_value()
    progress = Progress("demo data", 7)

    vendor = await client_service.create_client(db, pepper, name=f"{DEMO_PREFIX}VENDOR (Ypareo-like)", role=Role.VENDOR)
    vendor_id = vendor.client.id
    extras: list[tuple[Role, dict[str, Any]]] = [
        (Role.ADMIN, {}),
        (Role.PORTAL, {"portal": Portal.PARCOURSUP}),
        (Role.ADVISER, {"departments": ["75", "92", "93"]}),
        (Role.PILOT, {}),
    ]
    for role, extra in extras:
        await client_service.create_client(db, pepper, name=f"{DEMO_PREFIX}{role.value}", role=role, **extra)
    affelnet = await client_service.create_client(
        db, pepper, name=f"{DEMO_PREFIX}PORTAL Affelnet", role=Role.PORTAL, portal=Portal.AFFELNET
    )
    del affelnet
    progress.advance()

    used: set[str] = set()
    cfas: list[tuple[Any, ...]] = []
    department_list = list(DEPARTMENTS.items())
    for index in range(size.cfas):
        department, prefix = department_list[index % len(department_list)]
        uai = _uai(rng, prefix, used)
        consent = rng.random() < 0.85
        name = f"{rng.choice(CFA_NAMES)} {department}-{index + 1}"
        # a CFA that consented decided so itself; the others made no decision
        cfas.append((uai, _siret(rng), name, department, consent, datetime.now(UTC) if consent else None, consent or None))
    driver = await db.driver_connection()
    async with db.lock:
        await driver.copy_records_to_table(
            "cfa", records=cfas,
            columns=["uai", "siret", "name", "department_code", "consent_given", "consent_changed_at", "own_consent"],
        )
        await driver.copy_records_to_table(
            "cfa_vendor", records=[(c[0], vendor_id) for c in cfas if c[4]], columns=["uai", "client_id"]
        )
        await driver.copy_records_to_table(
            "certification",
            records=[(code, "RNCP" if code.startswith("RNCP") else "CFD", title, level, True) for code, title, level in CERTIFICATIONS],
            columns=["code", "kind", "title", "level", "verified"],
        )
    progress.advance()

    offers: list[tuple[Any, ...]] = []
    cfa_certifications: dict[str, list[str]] = {}
    session_end: dict[tuple[str, str], date] = {}
    for uai, _siret_, _name, department, _consent, _at, _own in cfas:
        chosen = rng.sample(CERTIFICATIONS, rng.randint(3, 6))
        cfa_certifications[uai] = [code for code, _t, _l in chosen]
        for number, (code, _title, _level) in enumerate(chosen):
            start = SCHOOL_YEAR_START
            session_end[(uai, code)] = start.replace(year=start.year + 2) - timedelta(days=62)
            offers.append((
                uai, f"OF-{uai}-{number + 1}", code, department, start, session_end[(uai, code)],
                rng.choice([12, 15, 16, 20, 24, 30]), vendor_id,
            ))
    async with db.lock:
        await driver.copy_records_to_table(
            "offer", records=offers,
            columns=["uai", "offer_ref", "certification_code", "department_code", "session_start",
                     "session_end", "capacity", "vendor_client_id"],
        )
    progress.advance()

    youths: list[tuple[Any, ...]] = []
    for index in range(size.youths):
        ine = _ine(rng, index)
        youths.append((vault.hash_ine(ine), vault.encrypt_ine(ine)))
    first_id = await YouthRepository(db).reserve_ids(len(youths))
    async with db.lock:
        await driver.copy_records_to_table(
            "youth",
            records=[(first_id + i, *youth) for i, youth in enumerate(youths)],
            columns=["id", "ine_hash", "ine_encrypted"],
        )
    progress.advance()

    wishes: list[tuple[Any, ...]] = []
    steps: list[tuple[Any, ...]] = []
    consenting = [c for c in cfas if c[4]]
    for index in range(size.youths):
        youth_id = first_id + index
        portal = "PARCOURSUP" if rng.random() < 0.6 else "AFFELNET"
        wished = rng.choice(cfas)
        certification = rng.choice(cfa_certifications[wished[0]])
        wish_day = date(2026, 3, 15) + timedelta(days=rng.randint(0, 200))
        wish_day = min(wish_day, today - timedelta(days=1))
        submitted = datetime.combine(wish_day, time(9, 0), tzinfo=UTC)
        # a fifth of the youths live in another department than their wished CFA's (the
        # advisers' territory is where the youth lives)
        residence = rng.choice(list(DEPARTMENTS)) if rng.random() < 0.2 else None
        wishes.append((portal, f"{portal[0]}-{2026_000_000 + index}", youth_id, wished[0], certification, submitted,
                       submitted, residence))
        # Most youths go where they wished; some elsewhere, in another training or CFA.
        where, what = wished[0], certification
        if rng.random() < 0.2:
            other = rng.choice(consenting)
            where, what = other[0], rng.choice(cfa_certifications[other[0]])
        if not any(c[0] == where and c[4] for c in consenting):
            continue  # no consent: the CFA's data does not flow
        story = [(where, what, *step) for step in _path(rng, wish_day, today, session_end[(where, what)])]
        if wish_day > date(2026, 7, 1) and rng.random() < 0.12:  # a first training finished at the CFA before
            story = [(where, rng.choice(cfa_certifications[where]), *step) for step in _second_year(rng)] + story
        for number, (uai, code, step, when, dates) in enumerate(story):
            content = hashlib.sha256(f"{youth_id}|{uai}|{code}|{step}|{when}|{sorted(dates.items())}".encode()).digest()
            steps.append((
                vendor_id, f"EV-{youth_id}-{number}", youth_id, uai, code, step, when,
                dates.get("contract_start"), dates.get("contract_end"), dates.get("training_end"), content,
                datetime.combine(when, time(18, 0), tzinfo=UTC),
            ))
    async with db.lock:
        await driver.copy_records_to_table(
            "wish", records=wishes,
            columns=["portal", "portal_wish_id", "youth_id", "uai", "certification_code", "submitted_at", "outcome_changed_at",
                     "residence_department"],
        )
    progress.advance()
    async with db.lock:
        await driver.copy_records_to_table(
            "step_event", records=steps,
            columns=["vendor_client_id", "event_id", "youth_id", "uai", "certification_code", "step",
                     "effective_date", "contract_start", "contract_end", "training_end", "content_hash", "received_at"],
        )
    await TransmissionRepository(db).stamp_from_events()  # the CFAs' transmission, as recordSteps keeps it
    progress.advance()
    # The derived paths, as recordSteps would have left them (the youths were created here).
    youth_ids = [first_id + i for i in range(len(youths))]
    for offset in range(0, len(youth_ids), 2000):
        await recompute(db, settings, youth_ids[offset:offset + 2000])
        await outcomes.refresh(db, settings, youth_ids=youth_ids[offset:offset + 2000])  # the wishes' outcomes
    await db.execute(text("ANALYZE"))
    progress.finish()
    return {
        "cfas": len(cfas), "certifications": len(CERTIFICATIONS), "offers": len(offers),
        "youths": len(youths), "wishes": len(wishes), "steps": len(steps),
    }


async def issue_demo_keys(db: RequestSession, pepper: str) -> dict[str, str]:
    """A fresh key for each demo client (older demo keys are revoked): name → key."""
    repository = ClientRepository(db)
    keys = {}
    for client in await repository.all():
        if client.name.startswith(DEMO_PREFIX) and client.revoked_at is None:
            await repository.revoke_keys(client.id)
            keys[client.name] = await client_service.issue_key(db, pepper, client.id)
    return keys
