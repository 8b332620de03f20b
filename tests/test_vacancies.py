"""Vacancies by intake (DOMAIN.md, "Places and vacancies") through HTTP, read by the ADMIN (exact):
sites in their own department, two sessions of one certification, youths of earlier years, an
offer without capacity, no netting between offers, and the same figures protected for a pilot."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.domain.actors import Role
from app.domain.dates import today as france_today
from app.domain.intake import school_year
from tests.factories import new_cfa, new_client

UPSERT = "mutation($input: [OfferInput!]!) { upsertOffers(input: $input) { accepted rejected { ref code } } }"
RECORD = "mutation($input: [StepInput!]!) { recordSteps(input: $input) { accepted rejected { index code } } }"
OFFERS = "query { offers(first: 500) { edges { node { offerRef enrolled vacancies capacity } } } }"
HEADCOUNTS = """query($by: HeadcountDimension!, $filter: HeadcountFilter, $on: Date) { headcounts(groupBy: $by, filter: $filter, on: $on) {
  key registered apprentices capacity vacancies overCapacity } }"""

X, Z = "0751234J", "0750654D"  # two CFAs of Paris (75)
CAP, BTS = "50022141", "32031210"
TODAY = france_today()
THIS_YEAR = (TODAY - timedelta(days=60), TODAY + timedelta(days=200))
LAST_YEAR = (TODAY - timedelta(days=430), TODAY - timedelta(days=80))


@pytest.fixture
async def world(database, admin):
    vendor, key = await new_client(database, Role.VENDOR)
    for uai in (X, Z):
        await new_cfa(database, uai, department="75", consent=True, vendors=[vendor.id], admin=admin.principal)
    _, pilot = await new_client(database, Role.PILOT, name="national")
    return {"vendor": key, "admin": admin.key, "pilot": pilot}


def offer(ref, uai=X, cert=CAP, department="75", session=THIS_YEAR, capacity=10):
    return {"offerRef": ref, "uai": uai, "certification": cert, "departmentCode": department, "capacity": capacity,
            "sessionStart": session[0].isoformat() if session else None,
            "sessionEnd": session[1].isoformat() if session else None}


def youth(n, uai=X, cert=CAP, step="APPRENTICE", days_ago=10):
    # a training end far ahead: the contract goes on whatever the offers' sessions say
    return {"eventId": f"e{n}", "uai": uai, "ine": f"{n:09d}AB", "certification": cert, "step": step,
            "effectiveDate": (TODAY - timedelta(days=days_ago)).isoformat(),
            "trainingEnd": (TODAY + timedelta(days=700)).isoformat()}


async def load(gql, world, offers, youths):
    sent = (await gql.data(UPSERT, {"input": offers}, key=world["vendor"]))["upsertOffers"]
    assert sent["rejected"] == [] and sent["accepted"] == len(offers)
    recorded = (await gql.data(RECORD, {"input": youths}, key=world["vendor"]))["recordSteps"]
    assert recorded["rejected"] == [] and recorded["accepted"] == len(youths)


async def offers_of(gql, key):
    return {e["node"]["offerRef"]: e["node"] for e in (await gql.data(OFFERS, key=key))["offers"]["edges"]}


async def rows(gql, key, by, filter=None, on=None):
    variables = {"by": by, "filter": filter, "on": None if on is None else on.isoformat()}
    return {r["key"]: r for r in (await gql.data(HEADCOUNTS, variables, key=key))["headcounts"]}


async def test_a_second_site_has_its_own_places_in_its_own_department(gql, world):
    # the same CFA and certification on two sites: each youth fills one place, on one offer
    await load(gql, world, [offer("paris", capacity=10), offer("antony", department="92", capacity=8)],
               [youth(i) for i in range(3)])
    offers = await offers_of(gql, world["admin"])
    assert (offers["paris"]["enrolled"], offers["paris"]["vacancies"]) == (3, 7)
    assert (offers["antony"]["enrolled"], offers["antony"]["vacancies"]) == (0, 8)  # not the same 3 youths again
    departments = await rows(gql, world["admin"], "DEPARTMENT")
    assert (departments["75"]["capacity"], departments["75"]["vacancies"]) == (10, 7)
    assert (departments["92"]["capacity"], departments["92"]["vacancies"], departments["92"]["apprentices"]) == (8, 8, 0)
    cfa = (await rows(gql, world["admin"], "CFA"))[X]
    assert (cfa["capacity"], cfa["vacancies"], cfa["apprentices"]) == (18, 15, 3)
    regions = await rows(gql, world["admin"], "REGION")
    assert (regions["11"]["capacity"], regions["11"]["vacancies"]) == (18, 15)


async def test_two_sessions_of_one_certification_and_youths_of_earlier_years(gql, world):
    await load(gql, world, [offer("2025", session=LAST_YEAR, capacity=4), offer("2026", session=THIS_YEAR, capacity=4)], [
        youth(1, days_ago=400),  # entered last year, still an apprentice: last year's intake
        youth(2, days_ago=380),
        youth(3, days_ago=20),  # this year's
        youth(4, days_ago=85),  # 25 days before this year's session starts, in both windows: the latest session
        youth(5, days_ago=95),  # 35 days before: only last year's session (still running) takes it in
    ])
    offers = await offers_of(gql, world["admin"])
    assert offers["2025"]["enrolled"] == 3  # youths 1, 2 and 5
    assert (offers["2026"]["enrolled"], offers["2026"]["vacancies"]) == (2, 2)  # youths 3 and 4
    # only the session open today counts in the row: its places, not last year's youths'
    cfa = (await rows(gql, world["admin"], "CFA"))[X]
    assert (cfa["capacity"], cfa["vacancies"], cfa["apprentices"]) == (4, 2, 5)


async def test_an_offer_without_capacity_counts_in_neither_sum(gql, world):
    await load(gql, world, [offer("counted", capacity=6), offer("unknown", cert=BTS, capacity=None)],
               [youth(1), youth(2, cert=BTS), youth(3, cert=BTS)])
    offers = await offers_of(gql, world["admin"])
    assert (offers["unknown"]["enrolled"], offers["unknown"]["vacancies"]) == (2, None)
    department = (await rows(gql, world["admin"], "DEPARTMENT"))["75"]
    assert (department["capacity"], department["vacancies"], department["apprentices"]) == (6, 5, 3)


async def test_one_offers_excess_is_not_netted_against_anothers_places(gql, world):
    await load(gql, world, [offer("full", capacity=2), offer("empty", uai=Z, capacity=5)], [youth(i) for i in range(3)])
    department = (await rows(gql, world["admin"], "DEPARTMENT"))["75"]
    assert (department["capacity"], department["vacancies"], department["overCapacity"]) == (7, 5, True)  # not 4
    offers = await offers_of(gql, world["admin"])
    assert (offers["full"]["vacancies"], offers["empty"]["vacancies"]) == (0, 5)


async def test_an_undated_offer_takes_in_over_the_school_year_of_the_day(gql, world):
    await load(gql, world, [offer("always", session=None, capacity=20)], [youth(1, days_ago=3), youth(2, days_ago=800)])
    offers = await offers_of(gql, world["admin"])
    # the youth of 3 days ago, unless the school year began since; never the one of 800 days ago
    assert offers["always"]["enrolled"] == (1 if TODAY - timedelta(days=3) >= school_year(TODAY)[0] else 0)


async def test_the_pilot_reads_the_same_places_from_protected_counts(gql, world):
    await load(gql, world, [offer("a", capacity=9), offer("b", uai=Z, capacity=30)],
               [youth(i) for i in range(7)] + [youth(10 + i, uai=Z) for i in range(3)])
    exact = (await rows(gql, world["admin"], "DEPARTMENT"))["75"]
    assert (exact["apprentices"], exact["capacity"], exact["vacancies"]) == (10, 39, 2 + 27)
    shown = (await rows(gql, world["pilot"], "DEPARTMENT"))["75"]
    # 7 youths show as 5 (4 places left), 3 as 0 (30 left): vacancies from the shown counts
    assert (shown["apprentices"], shown["capacity"], shown["vacancies"]) == (10, 39, 4 + 30)
    offers = await offers_of(gql, world["pilot"])
    assert (offers["a"]["enrolled"], offers["a"]["vacancies"], offers["b"]["enrolled"], offers["b"]["vacancies"]) == (5, 4, 0, 30)


async def test_places_from_the_intakes_at_the_cut_equal_each_offers_history(gql, world, database, connection):
    from app.services.derivation import advance_cut
    from tests.helpers import assert_change_points_match_paths

    await load(gql, world, [offer("2025", session=LAST_YEAR, capacity=4), offer("2026", session=THIS_YEAR, capacity=4),
                            offer("always", uai=Z, session=None, capacity=9), offer("antony", department="92", capacity=10)],
               [youth(1, days_ago=400), youth(2, days_ago=85), youth(3, days_ago=20), youth(4, days_ago=1),
                youth(5, uai=Z, days_ago=30), youth(6, uai=Z, days_ago=2)])

    async def places(on=None):
        rows_ = {}
        for by in ("DEPARTMENT", "CFA"):
            for key, row in (await rows(gql, world["admin"], by, on=on)).items():
                rows_[(by, key)] = (row["capacity"], row["vacancies"], row["overCapacity"])
        return rows_

    def from_offers(offers):  # each offer's exact enrolled (read offer by offer), summed as DOMAIN.md says
        expected = {}
        for ref, node in offers.items():
            if node["capacity"] is None or ref == "2025":  # last year's session is not open today
                continue
            department, uai = ("92", X) if ref == "antony" else ("75", Z if ref == "always" else X)
            for key in (("DEPARTMENT", department), ("CFA", uai)):
                capacity, left, over = expected.get(key, (0, 0, False))
                expected[key] = (capacity + node["capacity"], left + node["vacancies"],
                                 over or node["enrolled"] > node["capacity"])
        return expected

    before = await places()
    assert before == from_offers(await offers_of(gql, world["admin"]))
    assert await advance_cut(database)
    await assert_change_points_match_paths(connection)
    assert await places() == before  # from the intakes at the cut and today's entries
    # a late report before the cut, an entry of today, an offer whose session moves
    await load(gql, world, [offer("2026", session=(THIS_YEAR[0] - timedelta(days=200), THIS_YEAR[1]), capacity=5)],
               [youth(7, days_ago=5), youth(8, days_ago=0), youth(9, uai=Z, days_ago=10)])
    await assert_change_points_match_paths(connection)
    after = await places()
    assert after == from_offers(await offers_of(gql, world["admin"])) != before
    # later days: the intakes at the cut and the change points dated between (a youth registered
    # without a contract 3 days ago drops out at 90 days), then the same days from each offer's
    # whole history once the cut has passed them
    recorded = await gql.data(RECORD, {"input": [youth(10, step="REGISTERED", days_ago=3)]}, key=world["vendor"])
    assert recorded["recordSteps"]["accepted"] == 1
    now = await places()
    later = [TODAY + timedelta(days=1), TODAY + timedelta(days=95)]
    from_the_cut = [await places(day) for day in later]
    assert from_the_cut[0] == now != after and from_the_cut[1] != now
    assert await advance_cut(database, later[-1] + timedelta(days=1))
    assert [await places(day) for day in later] == from_the_cut


SERIES = """query($from: Date!, $to: Date!, $by: HeadcountDimension!) { headcountSeries(from: $from, to: $to,
    interval: MONTH, groupBy: $by) { on rows { key capacity vacancies overCapacity apprentices } } }"""


async def test_month_ends_from_the_intakes_months_equal_each_offers_history(gql, world, database, connection):
    """A monthly series of the school year before the cut reads each offer's intake by month at
    the cut; the same points once the cut is in the next school year read every offer's history."""
    from app.domain.intake import school_year
    from app.services.derivation import advance_cut
    from tests.helpers import assert_change_points_match_paths

    first = school_year(TODAY)[0]
    await load(gql, world, [offer("2026", session=THIS_YEAR, capacity=4), offer("always", uai=Z, session=None, capacity=9),
                            offer("antony", department="92", capacity=10)],
               [youth(1, days_ago=400), youth(2, days_ago=85), youth(3, step="REGISTERED", days_ago=(TODAY - first).days),
                youth(4, days_ago=(TODAY - first).days // 2), youth(5, uai=Z, days_ago=30), youth(6, uai=Z, days_ago=2),
                youth(7, uai=Z, step="REGISTERED", days_ago=100), youth(8, uai=Z, days_ago=70)])
    assert await advance_cut(database)
    await assert_change_points_match_paths(connection)
    span = {"from": first.isoformat(), "to": TODAY.isoformat()}

    async def series():
        answer = {}
        for by in ("DEPARTMENT", "CFA", "REGION"):
            for point in (await gql.data(SERIES, {**span, "by": by}, key=world["admin"]))["headcountSeries"]:
                answer[(by, point["on"])] = {row["key"]: row for row in point["rows"]}
        return answer

    from_months = await series()
    assert len({on for _, on in from_months}) >= 2  # this school year's month ends up to today
    # the undated offer's vacancies move from month to month (entries in August, September and
    # November, an abandon in November): each month end reads its own months
    assert len({rows[Z]["vacancies"] for (by, _), rows in from_months.items() if by == "CFA" and Z in rows}) >= 2
    assert await advance_cut(database, school_year(TODAY)[1] + timedelta(days=1))  # into the next school year
    await assert_change_points_match_paths(connection)
    assert await series() == from_months


async def test_a_query_without_vacancies_skips_the_intakes_and_keeps_the_rows(gql, world):
    await load(gql, world, [offer("a", capacity=9), offer("b", uai=Z, department="92", capacity=4)], [youth(1), youth(2)])
    light = "query { headcounts(groupBy: DEPARTMENT) { key apprentices capacity } }"
    full = await rows(gql, world["admin"], "DEPARTMENT")
    lighter = {r["key"]: r for r in (await gql.data(light, key=world["admin"]))["headcounts"]}
    assert {k: (r["apprentices"], r["capacity"]) for k, r in lighter.items()} == {
        k: (r["apprentices"], r["capacity"]) for k, r in full.items()}
    assert full["75"]["vacancies"] == 7 and full["92"]["capacity"] == 4  # a site's row without youths stays


async def test_a_query_without_labels_skips_the_names_and_keeps_the_rows(gql, world, queries):
    await load(gql, world, [offer("a", capacity=9), offer("b", uai=Z, department="92", capacity=4)], [youth(1), youth(2)])
    named = "query { headcounts(groupBy: CFA) { key label apprentices capacity vacancies } }"
    bare = "query { headcounts(groupBy: CFA) { key apprentices capacity vacancies } }"
    queries.reset()
    with_names = (await gql.data(named, key=world["admin"]))["headcounts"]
    assert any("FROM cfa WHERE uai = ANY" in statement for statement in queries.statements)
    assert {r["key"]: r["label"] for r in with_names} == {X: "CFA de test", Z: "CFA de test"}  # their names
    queries.reset()
    without = (await gql.data(bare, key=world["admin"]))["headcounts"]
    assert not any("FROM cfa WHERE uai = ANY" in statement for statement in queries.statements)
    assert without == [{k: v for k, v in r.items() if k != "label"} for r in with_names]
