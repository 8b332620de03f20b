"""Advisers through HTTP: youths at risk at each threshold, recovery, territory isolation, audit,
no NIR, ordering and paging, the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import text

from app.domain.actors import Portal, Role
from app.domain.dates import today as france_today
from tests.factories import new_cfa, new_client

RECORD = "mutation($input: [StepInput!]!) { recordSteps(input: $input) { accepted rejected { index code } } }"
SUBMIT = "mutation($input: [WishInput!]!) { submitWishes(input: $input) { accepted rejected { index code } } }"
AT_RISK = """
query($filter: AtRiskFilter, $on: Date, $first: Int, $after: String) {
  atRiskYouths(filter: $filter, on: $on, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { youth { id ine } reasons since department { code } lastStep { step effectiveDate cfa { uai } } } }
  }
}"""

X, Z, LYON = "0751234J", "0750654D", "0690001B"  # two CFAs in 75, one in 69
CAP = "50022141"
TODAY = france_today()
INES = [f"{i:09d}AB" for i in range(20)]


def synthetic_nir(serial: int) -> str:
    """A NIR with a valid key but an impossible month (99): never a real person's."""
    first13 = f"19999750{serial:05d}"
    return first13 + f"{97 - int(first13) % 97:02d}"


def step(event_id, step, ine, days_ago, uai=X, **extra):
    record = {"eventId": event_id, "uai": uai, "ine": ine, "certification": CAP, "step": step,
              "effectiveDate": (TODAY - timedelta(days=days_ago)).isoformat()}
    record.update(extra)
    return record


@pytest.fixture
async def world(database, admin):
    vendor, vendor_key = await new_client(database, Role.VENDOR)
    for uai, department in ((X, "75"), (Z, "75"), (LYON, "69")):
        await new_cfa(database, uai, department=department, consent=True, vendors=[vendor.id], admin=admin.principal)
    _, paris = await new_client(database, Role.ADVISER, name="ML Paris", departments=["75"])
    _, lyon = await new_client(database, Role.ADVISER, name="ML Lyon", departments=["69"])
    _, both = await new_client(database, Role.ADVISER, name="Both", departments=["75", "69"])
    _, portal = await new_client(database, Role.PORTAL, portal=Portal.PARCOURSUP)
    return {"vendor": vendor_key, "paris": paris, "lyon": lyon, "both": both, "portal": portal, "admin": admin.key}


async def record(gql, world, steps):
    payload = (await gql.data(RECORD, {"input": steps}, key=world["vendor"]))["recordSteps"]
    assert payload["rejected"] == [], payload


async def at_risk(gql, key, **variables):
    return (await gql.data(AT_RISK, variables, key=key))["atRiskYouths"]


def summary(page):
    return [(e["node"]["youth"]["ine"], sorted(e["node"]["reasons"]), e["node"]["since"]) for e in page["edges"]]


def iso(days_ago: int) -> str:
    return (TODAY - timedelta(days=days_ago)).isoformat()


async def test_no_contract_at_sixty_days_then_dropped_out_after_ninety(gql, world):
    await record(gql, world, [step("a", "REGISTERED", INES[0], days_ago=100)])
    for on, expected in [(41, []), (40, [(INES[0], ["NO_CONTRACT"], iso(40))]),
                         (10, [(INES[0], ["NO_CONTRACT"], iso(40))]), (9, [(INES[0], ["DROPPED_OUT"], iso(40))])]:
        page = await at_risk(gql, world["paris"], on=iso(on))
        assert summary(page) == expected, on  # day before / day of each threshold
    node = (await at_risk(gql, world["paris"]))["edges"][0]["node"]
    assert node["department"] == {"code": "75"}
    assert node["lastStep"] == {"step": "REGISTERED", "effectiveDate": iso(100), "cfa": {"uai": X}}


async def test_a_broken_contract_and_a_reported_drop_out(gql, world):
    await record(gql, world, [
        step("b1", "APPRENTICE", INES[1], days_ago=300), step("b2", "CONTRACT_BROKEN", INES[1], days_ago=20),
        step("d1", "REGISTERED", INES[2], days_ago=50), step("d2", "DROPPED_OUT", INES[2], days_ago=5),
    ])
    assert summary(await at_risk(gql, world["paris"], on=iso(21))) == []
    assert summary(await at_risk(gql, world["paris"], on=iso(20))) == [(INES[1], ["CONTRACT_BROKEN"], iso(20))]
    assert summary(await at_risk(gql, world["paris"])) == [
        (INES[1], ["CONTRACT_BROKEN"], iso(20)), (INES[2], ["DROPPED_OUT"], iso(5)),
    ]
    # a rupture of more than 180 days is an abandon (rules 2027.1: the rupture's reason ends with it), the same
    # period of risk
    later = summary(await at_risk(gql, world["paris"], on=(TODAY + timedelta(days=160)).isoformat()))
    assert later[0] == (INES[1], ["CONTRACT_BROKEN"], iso(20))
    assert summary(await at_risk(gql, world["paris"], on=(TODAY + timedelta(days=161)).isoformat()))[0] == (
        INES[1], ["DROPPED_OUT"], iso(20))


async def test_a_wish_without_news_after_thirty_days(gql, world):
    submitted = datetime.combine(TODAY - timedelta(days=30), time(10), UTC).isoformat()
    fresh = datetime.combine(TODAY - timedelta(days=29), time(10), UTC).isoformat()
    wishes = [
        {"portalWishId": "w1", "ine": INES[3], "uai": Z, "certification": CAP, "submittedAt": submitted},
        {"portalWishId": "w2", "ine": INES[4], "uai": Z, "certification": CAP, "submittedAt": fresh},
    ]
    assert (await gql.data(SUBMIT, {"input": wishes}, key=world["portal"]))["submitWishes"]["accepted"] == 2
    page = await at_risk(gql, world["paris"])
    assert summary(page) == [(INES[3], ["WISH_NOT_HANDLED"], iso(0))]
    assert page["edges"][0]["node"]["lastStep"] is None and page["edges"][0]["node"]["department"] == {"code": "75"}
    # a meeting anywhere handles it: the youth is no longer at risk
    await record(gql, world, [step("m", "MEETING", INES[3], days_ago=1, uai=LYON)])
    assert summary(await at_risk(gql, world["paris"])) == []


async def test_a_new_contract_removes_the_youth(gql, world):
    await record(gql, world, [step("r1", "REGISTERED", INES[5], days_ago=70)])
    assert len((await at_risk(gql, world["paris"]))["edges"]) == 1
    await record(gql, world, [step("r2", "APPRENTICE", INES[5], days_ago=1, uai=Z)])
    assert (await at_risk(gql, world["paris"]))["totalCount"] == 0


async def test_an_adviser_never_sees_another_territory(gql, world):
    await record(gql, world, [
        step("p1", "DROPPED_OUT", INES[6], days_ago=3), step("p2", "DROPPED_OUT", INES[7], days_ago=2),
        step("l1", "DROPPED_OUT", INES[8], days_ago=4, uai=LYON), step("l2", "DROPPED_OUT", INES[9], days_ago=1, uai=LYON),
    ])
    paris_ines, lyon_ines = {INES[6], INES[7]}, {INES[8], INES[9]}
    for filter in (None, {"departments": ["69"]}, {"departments": ["75", "69"]}, {"departments": ["2A"]}, {"reasons": ["DROPPED_OUT"]}):
        page = await at_risk(gql, world["paris"], filter=filter, first=500)
        seen = {e["node"]["youth"]["ine"] for e in page["edges"]}
        assert seen <= paris_ines and page["totalCount"] == len(seen), filter
        assert all(e["node"]["department"]["code"] == "75" for e in page["edges"])
    assert (await at_risk(gql, world["paris"], filter={"departments": ["69"]}))["totalCount"] == 0
    # a cursor from Lyon's list does not open Lyon's youths to Paris
    lyon_page = await at_risk(gql, world["lyon"], first=1)
    assert {e["node"]["youth"]["ine"] for e in lyon_page["edges"]} <= lyon_ines
    after = await at_risk(gql, world["paris"], after=lyon_page["pageInfo"]["endCursor"], first=500)
    assert {e["node"]["youth"]["ine"] for e in after["edges"]} <= paris_ines
    # an adviser of both departments narrows with its filter
    both = await at_risk(gql, world["both"], filter={"departments": ["69"]}, first=500)
    assert {e["node"]["youth"]["ine"] for e in both["edges"]} == lyon_ines
    admin = await at_risk(gql, world["admin"], first=500)
    assert {e["node"]["youth"]["ine"] for e in admin["edges"]} == paris_ines | lyon_ines


async def test_the_territory_follows_the_last_step(gql, world):
    await record(gql, world, [step("t1", "REGISTERED", INES[10], days_ago=80)])
    assert (await at_risk(gql, world["paris"]))["totalCount"] == 1
    await record(gql, world, [step("t2", "MEETING", INES[10], days_ago=2, uai=LYON)])  # not a contract
    assert (await at_risk(gql, world["paris"]))["totalCount"] == 0
    moved = await at_risk(gql, world["lyon"])
    assert summary(moved) == [(INES[10], ["NO_CONTRACT"], iso(20))] and moved["edges"][0]["node"]["department"] == {"code": "69"}


async def test_ordered_by_since_then_id_and_every_youth_once(gql, world):
    await record(gql, world, [step(f"o{i}", "DROPPED_OUT", INES[i], days_ago=(i * 7) % 11 + 1) for i in range(12)])
    seen, after = [], None
    while True:
        page = await at_risk(gql, world["paris"], first=5, after=after)
        seen += [(e["node"]["since"], int(e["node"]["youth"]["id"])) for e in page["edges"]]
        assert page["totalCount"] == 12
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted(seen) and len(set(seen)) == 12
    assert (await gql.error(AT_RISK, {"after": "bm9wZQ"}, key=world["paris"]))["extensions"]["code"] == "BAD_USER_INPUT"


async def test_every_answer_is_audited_with_the_youths_returned(gql, world, http, connection):
    await record(gql, world, [step(f"u{i}", "DROPPED_OUT", INES[i], days_ago=i + 1) for i in range(3)])
    page = await at_risk(gql, world["paris"], first=2)
    await at_risk(gql, world["paris"], filter={"departments": ["69"]})
    await http.get("/exports/at-risk.csv", headers={"Authorization": f"Bearer {world['paris']}"})
    rows = (await connection.execute(text(
        "SELECT operation, youth_ids FROM audit_log WHERE operation IN ('atRiskYouths', 'at-risk.csv') ORDER BY id"
    ))).all()
    returned = [int(e["node"]["youth"]["id"]) for e in page["edges"]]
    all_ids = sorted((await connection.execute(text("SELECT id FROM youth"))).scalars().all())
    assert [(r[0], list(r[1])) for r in rows] == [
        ("atRiskYouths", returned), ("atRiskYouths", []), ("at-risk.csv", sorted(all_ids, key=lambda y: -y)),
    ]


async def test_no_nir_in_any_answer(gql, world, http):
    nir = synthetic_nir(7)
    await record(gql, world, [step("n1", "DROPPED_OUT", INES[0], days_ago=2, nir=nir)])
    body = (await gql(AT_RISK, {}, key=world["paris"]))
    export = await http.get("/exports/at-risk.csv", headers={"Authorization": f"Bearer {world['paris']}"})
    for answer in (str(body), export.text):
        assert nir not in answer and nir[:13] not in answer
    assert INES[0] in str(body) and INES[0] in export.text  # the INE, decrypted, for the adviser in scope


async def test_the_export_gives_the_same_youths_with_their_ine(gql, world, http):
    await record(gql, world, [step(f"x{i}", "DROPPED_OUT", INES[i], days_ago=i + 1, uai=(X, LYON)[i % 2]) for i in range(6)])
    key = {"Authorization": f"Bearer {world['paris']}"}
    rows = list(csv.DictReader(io.StringIO((await http.get("/exports/at-risk.csv", headers=key)).text)))
    page = await at_risk(gql, world["paris"], first=500)
    assert [(r["ine"], r["reasons"], r["since"], r["department"]) for r in rows] == [
        (e["node"]["youth"]["ine"], "|".join(e["node"]["reasons"]), e["node"]["since"], "75") for e in page["edges"]
    ]
    assert rows[0]["last_step"] == "DROPPED_OUT" and rows[0]["last_step_uai"] == X
    only = await http.get("/exports/at-risk.csv", params={"departments": "69"}, headers=key)
    assert only.text.strip().count("\n") == 0  # the header alone: 69 is outside Paris's scope
    assert (await http.get("/exports/at-risk.csv", headers={"Authorization": f"Bearer {world['portal']}"})).status_code == 403
    assert (await http.get("/exports/at-risk.csv", params={"on": "soon"}, headers=key)).status_code == 400


async def test_other_roles_are_forbidden(gql, world, database):
    _, pilot = await new_client(database, Role.PILOT)
    for key in (world["vendor"], world["portal"], pilot):
        assert (await gql.error(AT_RISK, {}, key=key))["extensions"]["code"] == "FORBIDDEN"


async def test_a_page_costs_the_same_statements_whatever_its_size(gql, world, queries):
    await record(gql, world, [step(f"q{i}", "DROPPED_OUT", INES[i], days_ago=i + 1) for i in range(20)])
    counts = {}
    for first in (2, 20):
        queries.reset()
        page = await at_risk(gql, world["paris"], first=first)
        assert len(page["edges"]) == first
        counts[first] = queries.count
    assert counts[2] == counts[20] <= 16, queries.statements  # 6 of them: the key, its last use, the rate limit, the tenant (3)


async def test_the_total_is_counted_only_when_asked_for(gql, world, queries):
    await record(gql, world, [step(f"t{i}", "DROPPED_OUT", INES[i], days_ago=i + 1) for i in range(6)])
    queries.reset()
    page = (await gql.data("{ atRiskYouths(first: 2) { edges { node { since } } } }", key=world["paris"]))["atRiskYouths"]
    assert len(page["edges"]) == 2
    assert not [s for s in queries.statements if "count(" in s.lower()]
    queries.reset()
    page = (await gql.data("{ atRiskYouths(first: 2) { totalCount } }", key=world["paris"]))["atRiskYouths"]
    assert page["totalCount"] == 6
    assert len([s for s in queries.statements if "count(" in s.lower()]) == 1
