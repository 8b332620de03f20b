"""Pilots through HTTP (the figures against an independent recomputation: tests/test_population.py):
thresholds, scope, the small-count rule, series, capacities and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from app.domain.actors import Role
from app.domain.dates import today as france_today
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
TODAY = france_today()


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
        for i, uai in enumerate([X] * 5 + [Z] * 5 + [LYON] * 10)
    ]}, key=world["vendor"])
    assert set(await rows(gql, world["paris"], "DEPARTMENT")) == {"75"}
    assert (await rows(gql, world["paris"], "NATIONAL"))["FR"]["apprentices"] == 10  # its departments only
    assert await rows(gql, world["paris"], "DEPARTMENT", filter={"departments": ["69"]}) == {}  # never widened
    assert set(await rows(gql, world["region"], "REGION")) == {"84"}
    assert (await rows(gql, world["national"], "NATIONAL"))["FR"]["apprentices"] == 20
    assert set(await rows(gql, world["national"], "REGION")) == {"11", "84"}
    cfas = await rows(gql, world["national"], "CFA", filter={"departments": ["75"]})
    assert set(cfas) == {X, Z}
    for key in (world["vendor"],):
        assert (await gql.error(HEADCOUNTS, {"by": "REGION"}, key=key))["extensions"]["code"] == "FORBIDDEN"


async def test_a_pilots_counts_are_protected_in_every_row(gql, world, http):
    await gql.data(RECORD, {"input": [
        {"eventId": f"c{i}", "uai": X if i < 6 else Z, "ine": f"{i:09d}AB", "certification": CAP, "step": "APPRENTICE",
         "effectiveDate": (TODAY - timedelta(days=5)).isoformat()}
        for i in range(8)
    ]}, key=world["vendor"])
    cfas = await rows(gql, world["paris"], "CFA")
    assert (cfas[X]["apprentices"], cfas[X]["suppressed"]) == (5, False)  # 6: the nearest multiple of 5
    assert (cfas[Z]["apprentices"], cfas[Z]["suppressed"], cfas[Z]["suppressedFields"]) == (0, True, ["apprentices"])
    assert (await rows(gql, world["paris"], "CERTIFICATION"))[CAP]["apprentices"] == 10  # 8
    department = (await rows(gql, world["paris"], "DEPARTMENT"))["75"]  # coarser rows are rounded too
    assert (department["apprentices"], department["suppressed"]) == (10, False)
    assert (await rows(gql, world["admin"], "CFA"))[Z]["apprentices"] == 2  # the operator sees the exact figure
    export = await http.get("/exports/headcounts.csv", params={"groupBy": "CFA"}, headers={"Authorization": f"Bearer {world['paris']}"})
    by_key = {r["key"]: r for r in csv.DictReader(io.StringIO(export.text))}
    assert (by_key[Z]["apprentices"], by_key[Z]["suppressed"], by_key[Z]["suppressed_fields"]) == ("0", "true", "apprentices")
    assert by_key[X]["apprentices"] == "5"


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
    # each offer's vacancies, never netted: X's 10 places, none at Z (3 youths for 2 places), over capacity there
    assert (departments["75"]["capacity"], departments["75"]["vacancies"], departments["75"]["overCapacity"]) == (12, 10, True)
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


async def test_headcounts_by_cfa_from_the_sums_up_to_the_cut_equal_the_whole_history(gql, world, database, connection):
    from app.services.derivation import advance_cut
    from tests.helpers import assert_change_points_match_paths

    def steps(prefix, specs):
        return [{"eventId": f"{prefix}{i}", "uai": uai, "ine": f"{ine:09d}AB", "certification": cert, "step": step,
                 "effectiveDate": (TODAY - timedelta(days=days)).isoformat()}
                for i, (uai, ine, cert, step, days) in enumerate(specs)]

    first = steps("a", [(X, 1, CAP, "REGISTERED", 120), (X, 1, CAP, "APPRENTICE", 100), (X, 2, CAP, "REGISTERED", 40),
                        (Z, 3, BTS, "APPRENTICE", 200), (Z, 3, BTS, "CONTRACT_BROKEN", 30), (LYON, 4, CAP, "APPRENTICE", 1),
                        (LYON, 5, CAP, "REGISTERED", 95), (X, 6, BTS, "APPRENTICE", 10), (X, 6, BTS, "DROPPED_OUT", 2)])
    assert (await gql.data(RECORD, {"input": first}, key=world["vendor"]))["recordSteps"]["accepted"] == 9
    every = {"certifications": [CAP, BTS]}  # a filter on certifications reads the whole history

    async def by_cfa(filter=None, on=None):
        return await rows(gql, world["admin"], "CFA", on=on, filter=filter)

    whole = await by_cfa(every)
    assert await by_cfa() == whole
    assert await advance_cut(database)  # up to today
    assert not await advance_cut(database)  # there already
    cut = (await connection.execute(text("SELECT cut FROM status_cut"))).scalar_one()
    assert cut == TODAY
    assert await by_cfa() == whole  # the sums up to the cut alone
    # a later day: the sums and the change points dated between (the 90- and 180-day rules'; the
    # youth registered 40 days ago drops out on the 51st day from now)
    for later_day in (TODAY + timedelta(days=1), TODAY + timedelta(days=51), TODAY + timedelta(days=100)):
        assert await by_cfa(on=later_day.isoformat()) == await by_cfa(every, on=later_day.isoformat())
    assert await by_cfa(on=(TODAY + timedelta(days=51)).isoformat()) != await by_cfa(on=(TODAY + timedelta(days=50)).isoformat())
    assert await by_cfa({"departments": ["75"]}) == {k: v for k, v in whole.items() if DEPARTMENT[k] == "75"}
    assert await by_cfa({"uais": [LYON]}) == {LYON: whole[LYON]}
    # a late report before the cut and a step of today move both ways the same
    later = steps("b", [(X, 2, CAP, "APPRENTICE", 35), (Z, 7, CAP, "REGISTERED", 0), (LYON, 5, CAP, "DROPPED_OUT", 50)])
    assert (await gql.data(RECORD, {"input": later}, key=world["vendor"]))["recordSteps"]["accepted"] == 3
    await assert_change_points_match_paths(connection)
    assert await by_cfa() == await by_cfa(every) != whole
    # a day before the cut, and a series, read the whole history as before
    past = (TODAY - timedelta(days=50)).isoformat()
    assert await by_cfa(on=past) == await by_cfa(every, on=past)


async def test_the_sweeper_waits_for_no_batch_when_the_cut_is_already_there(own_database):
    """A batch writing change points holds the cut FOR SHARE; the sweeper of every process calls
    advance_cut every few minutes: once the cut is at today it must not queue for the lock
    (which would also hold up the next batches)."""
    import asyncio

    from app.services.derivation import advance_cut

    _, database = await own_database()
    assert await advance_cut(database)  # to today
    batch = database.session()
    await batch.fetch("SELECT cut FROM status_cut WHERE id = 1 FOR SHARE")  # a batch in flight
    try:
        assert await asyncio.wait_for(advance_cut(database), timeout=5) is False
    finally:
        await batch.rollback()
        await batch.close()
    # and a real move does wait for the batch, then goes on
    batch = database.session()
    await batch.fetch("SELECT cut FROM status_cut WHERE id = 1 FOR SHARE")
    moving = asyncio.create_task(advance_cut(database, TODAY + timedelta(days=2)))
    await asyncio.sleep(0.5)
    assert not moving.done()
    await batch.rollback()
    await batch.close()
    assert await asyncio.wait_for(moving, timeout=10) is True


@pytest.mark.parametrize(("day", "serves", "month_end"), [
    (date(2026, 12, 6), True, False),  # the cut itself
    (date(2026, 12, 7), True, False),  # a later day of its school year
    (date(2027, 7, 31), True, False),  # the year's last day
    (date(2027, 8, 1), False, False),  # the next school year
    (date(2026, 12, 5), False, False),  # the day before: not a month end
    (date(2026, 11, 30), False, True),  # a month end before the cut, in its school year
    (date(2026, 8, 31), False, True),  # the year's first month end
    (date(2026, 7, 31), False, False),  # the month end before the school year
    (date(2026, 9, 29), False, False),
    (date(2026, 2, 28), False, False),  # a month end of the year before
])
def test_which_days_the_sums_at_the_cut_serve(day, serves, month_end):
    from app.repositories.headcounts import Cut

    cut = Cut(cut=date(2026, 12, 6), year_cut=date(2026, 7, 31))
    assert (cut.serves(day), cut.serves_month_end(day)) == (serves, month_end)
