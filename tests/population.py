"""A generated population of youths as vendors and portals really send them: random gaps that land
on every threshold (the day before, of and after), late reports, re-sends, corrections, contracts
with and without their dates, ruptures near the end of training, residences, wishes to CFAs that
consented or not, and steps linked to wishes.

The records are in the contract's input shape (StepInput, WishInput, OfferInput), so that the same
population feeds the pure comparison with the reference and the end-to-end one through HTTP.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from app.domain.dates import FRANCE

X, Z, LYON, NORD = "0751234J", "0750654D", "0690001B", "0590001F"  # NORD never consents
DEPARTMENT = {X: "75", Z: "75", LYON: "69", NORD: "59"}
CONSENTING = (X, Z, LYON)
CAP, BTS = "50022141", "32031210"
RESIDENCES = ("75", "69", "13", "2A", "971", "59")
# Gaps between two steps: every threshold's day before, day of and day after, and ordinary ones.
GAPS = (0, 0, 1, 2, 7, 29, 30, 31, 44, 45, 46, 59, 60, 61, 62, 89, 90, 91, 92, 120, 179, 180, 181, 182, 250)
KINDS = ("MEETING",) * 3 + ("INFO_SESSION", "PRE_REGISTERED") + ("REGISTERED",) * 5 + ("APPRENTICE",) * 4 + (
    "CONTRACT_BROKEN",) * 3 + ("DROPPED_OUT", "COMPLETED")


@dataclass
class Population:
    today: date
    steps: list[dict] = field(default_factory=list)  # the final version of each event, by youth
    stream: list[list[dict]] = field(default_factory=list)  # the batches as sent: re-sends, corrections
    wishes: list[dict] = field(default_factory=list)
    offers: list[dict] = field(default_factory=list)
    invalid: list[tuple[dict, str, str]] = field(default_factory=list)  # (record, field, code)
    ines: list[str] = field(default_factory=list)

    def sessions(self) -> dict[tuple[str, str], list[tuple[date | None, date]]]:
        out: dict[tuple[str, str], list[tuple[date | None, date]]] = {}
        for offer in self.offers:
            if offer.get("sessionEnd"):
                start = offer.get("sessionStart")
                out.setdefault((offer["uai"], offer["certification"]), []).append(
                    (date.fromisoformat(start) if start else None, date.fromisoformat(offer["sessionEnd"])))
        return out


def ine_of(seed: int, i: int) -> str:
    return f"{seed % 100:02d}{i:07d}PB"


def _offers(today: date) -> list[dict]:
    def offer(ref, uai, certification, start, end, capacity=20):
        return {"offerRef": ref, "uai": uai, "certification": certification, "departmentCode": DEPARTMENT[uai],
                "sessionStart": start.isoformat() if start else None, "sessionEnd": end.isoformat() if end else None,
                "capacity": capacity}
    return [
        offer("x-cap-1", X, CAP, today - timedelta(days=520), today - timedelta(days=150)),
        offer("x-cap-2", X, CAP, today - timedelta(days=130), today + timedelta(days=235)),
        offer("x-bts", X, BTS, today - timedelta(days=300), today + timedelta(days=61)),
        offer("lyon-bts", LYON, BTS, None, today + timedelta(days=90)),
        offer("z-cap", Z, CAP, None, None, capacity=15),
    ]


def generate(seed: int, youths: int, today: date) -> Population:
    rng = random.Random(seed)
    population = Population(today, offers=_offers(today))
    places = [(uai, certification) for uai in DEPARTMENT for certification in (CAP, BTS)]  # wished
    trained = [(uai, certification) for uai in CONSENTING for certification in (CAP, BTS)]  # reported
    events: list[dict] = []
    for i in range(youths):
        ine = ine_of(seed, i)
        population.ines.append(ine)
        wishes = []
        for w in range(rng.choice((0, 0, 1, 1, 1, 2))):
            uai, certification = rng.choice(places)
            submitted = today - timedelta(days=rng.choice((0, 1, 29, 30, 31, 45, 60, 100, 200, 399)))
            wish = {"portalWishId": f"w{seed}-{i}-{w}", "ine": ine, "uai": uai, "certification": certification,
                    "submittedAt": datetime.combine(submitted, time(0, 0, 1), FRANCE).isoformat()}
            if rng.random() < 0.2:
                wish["residenceDepartment"] = rng.choice(RESIDENCES)
            wishes.append(wish)
        population.wishes.extend(wishes)
        day = today - timedelta(days=rng.randint(0, 560))
        place = rng.choice(trained)
        for n in range(rng.choice((0, 1, 1, 2, 2, 3, 3, 4, 5, 6))):
            if day > today:
                break
            if rng.random() < 0.25:
                place = rng.choice(trained)
            kind = rng.choice(KINDS)
            record = {"eventId": f"e{seed}-{i}-{n}", "uai": place[0], "ine": ine, "certification": place[1],
                      "step": kind, "effectiveDate": day.isoformat()}
            if kind == "APPRENTICE":
                start = rng.choice((None, None, day, day + timedelta(days=rng.randint(1, 40)),
                                    day - timedelta(days=rng.randint(1, 40))))
                begins = start or day
                training_end = rng.choice((None, None, begins + timedelta(days=rng.choice((300, 365, 730)))))
                end = rng.choice((None, None, begins + timedelta(days=rng.choice((20, 100, 200, 365)))))
                if training_end is not None and rng.random() < 0.4:
                    end = training_end - timedelta(days=rng.choice((59, 60, 61, 62)))
                if end is not None and end < max(begins, day):
                    end = None
                record.update(contractStart=start and start.isoformat(), contractEnd=end and end.isoformat(),
                              trainingEnd=training_end and training_end.isoformat())
            elif kind == "CONTRACT_BROKEN":
                if rng.random() < 0.4:
                    record["contractEnd"] = (day - timedelta(days=rng.choice((0, 1, 2, 10, 40)))).isoformat()
                if rng.random() < 0.4:
                    record["trainingEnd"] = (day + timedelta(days=rng.choice((30, 59, 60, 61, 62, 200)))).isoformat()
            if rng.random() < 0.1:
                record["residenceDepartment"] = rng.choice(RESIDENCES)
            if wishes and rng.random() < 0.3:
                wish = rng.choice(wishes)
                record.update(portal="PARCOURSUP", portalWishId=wish["portalWishId"])
                if rng.random() < 0.5:
                    del record["ine"]  # it joins the wish's youth
            events.append({k: v for k, v in record.items() if v is not None})
            day += timedelta(days=rng.choice(GAPS))
    # Corrections: an event sent again under its id with an earlier date (the stored id stays).
    sent: list[dict] = list(events)
    for event in rng.sample(events, k=len(events) // 20):
        corrected = dict(event, effectiveDate=(date.fromisoformat(event["effectiveDate"])
                                               - timedelta(days=rng.randint(1, 10))).isoformat())
        sent.append(corrected)
    # Re-sends: identical copies later in the stream; late reports: some events far out of place.
    sent.extend(dict(e) for e in rng.sample(events, k=len(events) // 10))
    late = rng.sample(range(len(sent)), k=len(sent) // 5)
    moved = [sent[k] for k in sorted(late)]
    kept = [e for k, e in enumerate(sent) if k not in set(late)]
    for event in moved:
        kept.insert(rng.randint(0, len(kept)), event)
    # The last version of an event is the one that arrives last.
    seen: dict[str, dict] = {}
    for event in kept:
        seen[event["eventId"]] = event
    population.steps = list(seen.values())
    # A few invalid records, rejected one by one while the rest is stored.
    bad = [
        ({"trainingStart": (today - timedelta(days=10)).isoformat(), "trainingEnd": (today - timedelta(days=20)).isoformat()},
         "trainingEnd", "INVALID_DATE"),
        ({"contractStart": (today - timedelta(days=5)).isoformat(), "contractEnd": (today - timedelta(days=9)).isoformat()},
         "contractEnd", "INVALID_DATE"),
        ({"residenceDepartment": "96"}, "residenceDepartment", "INVALID_DEPARTMENT"),
        ({"residenceDepartment": "7501"}, "residenceDepartment", "INVALID_DEPARTMENT"),
    ]
    for k, (extra, field_name, code) in enumerate(bad * 3):
        record = {"eventId": f"bad{seed}-{k}", "uai": X, "ine": ine_of(seed, k), "certification": CAP,
                  "step": "APPRENTICE", "effectiveDate": (today - timedelta(days=30)).isoformat(), **extra}
        population.invalid.append((record, field_name, code))
        kept.insert(rng.randint(0, len(kept)), record)
    # Batches of up to 400 records, never the same eventId twice in one (that is INVALID_EVENT_ID).
    current: list[dict] = []
    for event in kept:
        if len(current) == 400 or any(e["eventId"] == event["eventId"] for e in current):
            population.stream.append(current)
            current = []
        current.append(event)
    population.stream.append(current)
    return population


def youth_of(population: Population) -> dict[str, str]:
    """eventId -> the INE of the youth it belongs to (a linked step without INE: the wish's)."""
    wished = {w["portalWishId"]: w["ine"] for w in population.wishes}
    return {s["eventId"]: s.get("ine") or wished[s["portalWishId"]] for s in population.steps}
