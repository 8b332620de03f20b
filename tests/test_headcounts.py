"""Pilots through HTTP: headcounts against an independent day-by-day replay of the raw steps,
thresholds, scope, the small-count rule, series, capacities and the CSV export."""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from app.auth import Role
from tests.factories import new_cfa, new_client

RECORD = "mutation($input: [StepInput!]!) { recordSteps(input: $input) { accepted rejected { index code } } }"
HEADCOUNTS = """query($on: Date, $by: HeadcountDimension!, $filter: HeadcountFilter) {
  headcounts(on: $on, groupBy: $by, filter: $filter) {
    key label registered apprentices contractBroken droppedOut capacity vacancies overCapacity ruleVersion suppressed suppressedFields
  } }"""
SERIES = """query($from: Date!, $to: Date!, $interval: Interval!, $by: HeadcountDimension!) {
  headcountSeries(from: $from, to: $to, interval: $interval, groupBy: $by) { on rows { key registered apprentices droppedOut } } }"""

X, Z, LYON = "0751234J", "0750654D", "0690001B"  # 75, 75, 69
DEPARTMENT = {X: "75", Z: "75", LYON: "69"}
CAP, BTS = "50022141", "32031210"
TODAY = date.today()
STATUS = {"REGISTERED", "APPRENTICE", "CONTRACT_BROKEN", "DROPPED_OUT", "COMPLETED"}


# --- an independent replay: the status of a youth on a day, written from DOMAIN.md, step by step ---

def status_on(steps: list[dict], day: date) -> tuple[str, str, str] | None:
    """(status, uai, certification) on ``day``; ``steps`` in arrival order."""
    known = [s for s in steps if s["step"] in STATUS and date.fromisoformat(s["effectiveDate"]) <= day]
    if not known:
        return None
    # the latest effective date wins; on the same date, the latest arrival
    last = max(enumerate(known), key=lambda pair: (pair[1]["effectiveDate"], pair[0]))[1]
    since = date.fromisoformat(last["effectiveDate"])
    place = (last["uai"], last["certification"])
    if last["step"] == "REGISTERED":
        return ("DROPPED_OUT" if (day - since).days > 90 else "REGISTERED", *place)
    if last["step"] == "CONTRACT_BROKEN":
        return ("DROPPED_OUT" if (day - since).days > 180 else "CONTRACT_BROKEN", *place)
    return (last["step"], *place)


def replay(youths: dict[str, list[dict]], day: date, group: str) -> dict[str, Counter]:
    """Counts by group on ``day``, and drop-outs (entries) since 1 August, day by day."""
    counts: dict[str, Counter] = {}
    start = date(day.year if day.month >= 8 else day.year - 1, 8, 1)
    key = (lambda uai, cert: DEPARTMENT[uai]) if group == "DEPARTMENT" else (lambda uai, cert: uai)
    for steps in youths.values():
        now = status_on(steps, day)
        if now is not None and now[0] in ("REGISTERED", "APPRENTICE", "CONTRACT_BROKEN"):
            counts.setdefault(key(now[1], now[2]), Counter())[now[0]] += 1
        previous = status_on(steps, start - timedelta(days=1))
        current = start
        while current <= day:
            today = status_on(steps, current)
            if today is not None and today[0] == "DROPPED_OUT" and (
                previous is None or previous[0] != "DROPPED_OUT" or key(*previous[1:]) != key(*today[1:])
            ):
                counts.setdefault(key(today[1], today[2]), Counter())["DROPPED_OUT"] += 1
            previous, current = today, current + timedelta(days=1)
    return counts


@pytest.fixture
async def world(database, admin):
    vendor, key = await new_client(database, Role.VENDOR)
    for uai, department in DEPARTMENT.items():
        await new_cfa(database, uai, department=department, consent=True, vendors=[vendor.id], admin=admin.principal)
    _, paris = await new_client(database, Role.PILOT, name="Paris", departments=["75"])
    _, region = await new_client(database, Role.PILOT, name="AURA", regions=["84"])
    _, national = await new_client(database, Role.PILOT, name="National")
    return {"vendor": key, "admin": admin.key, "paris": paris, "region": region, "national": national}


async def rows(gql, key, by, on=None, filter=None):
    return {r["key"]: r for r in (await gql.data(HEADCOUNTS, {"on": on, "by": by, "filter": filter}, key=key))["headcounts"]}


def scenario(seed: int, youths: int = 36) -> dict[str, list[dict]]:
    """Random paths without contract end dates (the replay above does not model contracts ending)."""
    rng = random.Random(seed)
    paths = {}
    for i in range(youths):
        ine = f"{seed:03d}{i:06d}AB"
        day = TODAY - timedelta(days=rng.randint(30, 500))
        steps = []
        for n in range(rng.randint(1, 5)):
            steps.append({
                "eventId": f"{seed}-{i}-{n}", "uai": rng.choice(list(DEPARTMENT)), "ine": ine,
                "certification": rng.choice([CAP, BTS]),
                "step": rng.choice(["MEETING", "REGISTERED", "REGISTERED", "APPRENTICE", "CONTRACT_BROKEN", "DROPPED_OUT"]),
                "effectiveDate": day.isoformat(),
            })
            day += timedelta(days=rng.choice([0, 10, 60, 89, 91, 120, 181]))
            if day > TODAY:
                break
        rng.shuffle(steps)  # arrival order is not the path's order
        paths[ine] = steps
    return paths


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_headcounts_equal_a_day_by_day_replay_of_the_steps(gql, world, seed):
    paths = scenario(seed)
    for ine, steps in paths.items():  # one youth's steps arrive in several batches, out of order
        for step in steps:
            payload = (await gql.data(RECORD, {"input": [step]}, key=world["vendor"]))["recordSteps"]
            assert payload["rejected"] == [], payload
    for days_ago in (0, 45, 91, 200, 400):
        on = TODAY - timedelta(days=days_ago)
        for group in ("DEPARTMENT", "CFA"):
            got = await rows(gql, world["admin"], group, on=on.isoformat())
            expected = replay(paths, on, group)
            for key in set(got) | set(expected):
                row, counts = got.get(key), expected.get(key, Counter())
                observed = (row["registered"], row["apprentices"], row["contractBroken"], row["droppedOut"]) if row else (0, 0, 0, 0)
                assert observed == (counts["REGISTERED"], counts["APPRENTICE"], counts["CONTRACT_BROKEN"], counts["DROPPED_OUT"]), (
                    on, group, key)


async def test_thresholds_at_their_boundaries(gql, world):
    start = TODAY - timedelta(days=200)
    await gql.data(RECORD, {"input": [
        {"eventId": "t1", "uai": X, "ine": "123456789AB", "certification": CAP, "step": "REGISTERED", "effectiveDate": start.isoformat()},
        {"eventId": "t2", "uai": X, "ine": "1234567890C", "certification": CAP, "step": "CONTRACT_BROKEN", "effectiveDate": start.isoformat()},
    ]}, key=world["vendor"])

    async def on(days):
        row = (await rows(gql, world["admin"], "NATIONAL", on=(start + timedelta(days=days)).isoformat()))["FR"]
        return row["registered"], row["contractBroken"]

    assert await on(90) == (1, 1)  # 90 days registered: still registered
    assert await on(91) == (0, 1)  # more than 90: dropped out
    assert await on(180) == (0, 1)
    assert await on(181) == (0, 0)  # more than 180 days after the rupture: dropped out


async def test_a_pilot_sees_only_its_territory(gql, world):
    await gql.data(RECORD, {"input": [
        {"eventId": f"s{i}", "uai": uai, "ine": f"{i:09d}AB", "certification": CAP, "step": "APPRENTICE",
         "effectiveDate": (TODAY - timedelta(days=5)).isoformat()}
        for i, uai in enumerate([X, X, Z, LYON, LYON, LYON])
    ]}, key=world["vendor"])
    assert set(await rows(gql, world["paris"], "DEPARTMENT")) == {"75"}
    assert (await rows(gql, world["paris"], "NATIONAL"))["FR"]["apprentices"] == 3  # its departments only
    assert await rows(gql, world["paris"], "DEPARTMENT", filter={"departments": ["69"]}) == {}  # never widened
    assert set(await rows(gql, world["region"], "REGION")) == {"84"}
    assert (await rows(gql, world["national"], "NATIONAL"))["FR"]["apprentices"] == 6
    assert set(await rows(gql, world["national"], "REGION")) == {"11", "84"}
    cfas = await rows(gql, world["national"], "CFA", filter={"departments": ["75"]})
    assert set(cfas) == {X, Z}
    for key in (world["vendor"],):
        assert (await gql.error(HEADCOUNTS, {"by": "REGION"}, key=key))["extensions"]["code"] == "FORBIDDEN"


async def test_small_counts_are_suppressed_for_pilots_in_cfa_and_certification_rows(gql, world, http):
    await gql.data(RECORD, {"input": [
        {"eventId": f"c{i}", "uai": X if i < 6 else Z, "ine": f"{i:09d}AB", "certification": CAP, "step": "APPRENTICE",
         "effectiveDate": (TODAY - timedelta(days=5)).isoformat()}
        for i in range(8)
    ]}, key=world["vendor"])
    cfas = await rows(gql, world["paris"], "CFA")
    assert (cfas[X]["apprentices"], cfas[X]["suppressed"]) == (6, False)
    assert (cfas[Z]["apprentices"], cfas[Z]["suppressed"], cfas[Z]["suppressedFields"]) == (0, True, ["apprentices"])
    assert (await rows(gql, world["paris"], "CERTIFICATION"))[CAP]["apprentices"] == 8
    assert (await rows(gql, world["paris"], "DEPARTMENT"))["75"]["suppressed"] is False
    assert (await rows(gql, world["admin"], "CFA"))[Z]["apprentices"] == 2  # the operator sees the exact figure
    export = await http.get("/exports/headcounts.csv", params={"groupBy": "CFA"}, headers={"Authorization": f"Bearer {world['paris']}"})
    by_key = {r["key"]: r for r in csv.DictReader(io.StringIO(export.text))}
    assert (by_key[Z]["apprentices"], by_key[Z]["suppressed"], by_key[Z]["suppressed_fields"]) == ("0", "true", "apprentices")
    assert by_key[X]["apprentices"] == "6"


async def test_capacities_vacancies_and_over_capacity(gql, world, connection):
    await connection.execute(text("INSERT INTO certification (code, kind, title, verified) VALUES (:c, 'CFD', 'CAP', true)"), {"c": CAP})
    await connection.execute(text(
        "INSERT INTO offer (uai, offer_ref, certification_code, department_code, capacity, revised_capacity, session_start, session_end)"
        " VALUES (:x, 'a', :c, '75', 10, NULL, NULL, NULL), (:z, 'b', :c, '75', 10, 2, NULL, NULL),"
        " (:l, 'c', :c, '69', 5, NULL, :past, :past)"
    ), {"x": X, "z": Z, "l": LYON, "c": CAP, "past": TODAY - timedelta(days=400)})
    await gql.data(RECORD, {"input": [
        {"eventId": f"v{i}", "uai": Z, "ine": f"{i:09d}AB", "certification": CAP, "step": "REGISTERED",
         "effectiveDate": (TODAY - timedelta(days=5)).isoformat()} for i in range(3)
    ]}, key=world["vendor"])
    departments = await rows(gql, world["admin"], "DEPARTMENT")
    assert (departments["75"]["capacity"], departments["75"]["vacancies"], departments["75"]["overCapacity"]) == (12, 9, False)
    assert departments.get("69") is None  # its offer's session is over: no capacity, no youth
    cfas = await rows(gql, world["admin"], "CFA")
    assert (cfas[Z]["capacity"], cfas[Z]["vacancies"], cfas[Z]["overCapacity"]) == (2, 0, True)  # the revision holds


async def test_series_by_month_and_its_limit(gql, world):
    await gql.data(RECORD, {"input": [
        {"eventId": "m1", "uai": X, "ine": "123456789AB", "certification": CAP, "step": "REGISTERED", "effectiveDate": "2025-09-10"},
        {"eventId": "m2", "uai": X, "ine": "123456789AB", "certification": CAP, "step": "APPRENTICE", "effectiveDate": "2025-10-20"},
    ]}, key=world["vendor"])
    series = (await gql.data(SERIES, {"from": "2025-08-01", "to": "2026-01-15", "interval": "MONTH", "by": "NATIONAL"},
                             key=world["admin"]))["headcountSeries"]
    assert [p["on"] for p in series] == ["2025-08-31", "2025-09-30", "2025-10-31", "2025-11-30", "2025-12-31"]
    assert [(p["rows"][0]["registered"], p["rows"][0]["apprentices"]) for p in series] == [(0, 0), (1, 0), (0, 1), (0, 1), (0, 1)]
    for point in series:  # every point equals the headcount on its date
        row = (await rows(gql, world["admin"], "NATIONAL", on=point["on"]))["FR"]
        assert (row["registered"], row["apprentices"]) == (point["rows"][0]["registered"], point["rows"][0]["apprentices"])
    weeks = (await gql.data(SERIES, {"from": "2025-09-01", "to": "2025-09-30", "interval": "WEEK", "by": "NATIONAL"},
                            key=world["admin"]))["headcountSeries"]
    assert [p["on"] for p in weeks] == ["2025-09-07", "2025-09-14", "2025-09-21", "2025-09-28"]
    error = await gql.error(SERIES, {"from": "2020-01-01", "to": "2026-01-01", "interval": "MONTH", "by": "REGION"}, key=world["admin"])
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_the_export_checks_its_key(world, http):
    assert (await http.get("/exports/headcounts.csv")).status_code == 401
    assert (await http.get("/exports/headcounts.csv", headers={"Authorization": f"Bearer {world['vendor']}"})).status_code == 403
    bad = await http.get("/exports/headcounts.csv", params={"groupBy": "PLANET"}, headers={"Authorization": f"Bearer {world['paris']}"})
    assert bad.status_code == 400
    ok = await http.get("/exports/headcounts.csv", params={"groupBy": "NATIONAL"}, headers={"Authorization": f"Bearer {world['paris']}"})
    assert ok.text.splitlines()[0].startswith("on,key,label,registered")
