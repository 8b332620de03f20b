"""wishConversion and /exports/conversion.csv through HTTP: equal, row by row, to the wishes'
outcomes as the portals read them (recounted here), for every grouping, portal and window; a
pilot's in its territory and protected; bad input named."""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from app.domain.actors import Portal, Role
from app.domain.dates import today as france_today
from app.domain.disclosure import protect
from tests.factories import new_cfa, new_client

SUBMIT = "mutation($input: [WishInput!]!) { submitWishes(input: $input) { accepted rejected { ref code } } }"
RECORD = "mutation($input: [StepInput!]!) { recordSteps(input: $input) { accepted rejected { index code } } }"
WISHES = """query { wishes(first: 500) { edges { node { portalWishId cfa { uai } certification { code } submittedAt
  outcome { stage match handledByWishedCfa } } } } }"""
CONVERSION = """query($by: HeadcountDimension!, $filter: HeadcountFilter, $portal: Portal, $from: DateTime, $to: DateTime) {
  wishConversion(groupBy: $by, filter: $filter, portal: $portal, submittedFrom: $from, submittedTo: $to) {
    key label wishes handled handledByWishedCfa registered apprentices apprenticesAsWished left suppressed suppressedFields } }"""
FIELDS = ("wishes", "handled", "handledByWishedCfa", "registered", "apprentices", "apprenticesAsWished", "left")

X, Z, LYON = "0751234J", "0750654D", "0690001B"
DEPARTMENT = {X: "75", Z: "75", LYON: "69"}
REGION = {"75": "11", "69": "84"}
CAP, BTS = "50022141", "32031210"
TODAY = france_today()
START = datetime.combine(TODAY - timedelta(days=120), datetime.min.time(), UTC)


@pytest.fixture
async def world(database, admin, gql):
    vendor, vendor_key = await new_client(database, Role.VENDOR)
    for uai, department in DEPARTMENT.items():
        await new_cfa(database, uai, department=department, consent=True, vendors=[vendor.id], admin=admin.principal)
    portals = {portal: (await new_client(database, Role.PORTAL, portal=portal))[1] for portal in Portal}
    _, paris = await new_client(database, Role.PILOT, name="Paris", departments=["75"])
    _, national = await new_client(database, Role.PILOT, name="national")
    rng = random.Random(2026)
    wishes: dict[Portal, list] = {portal: [] for portal in Portal}
    steps = []
    for n in range(90):
        ine = f"{n:09d}AB"
        uai, cert = rng.choice(list(DEPARTMENT)), rng.choice((CAP, BTS))
        portal = rng.choice(list(Portal))
        wishes[portal].append({"portalWishId": f"w{n}", "ine": ine, "uai": uai, "certification": cert,
                               "submittedAt": (START + timedelta(days=n % 30, seconds=n)).isoformat()})
        what = rng.random()
        where = uai if rng.random() < 0.6 else rng.choice(list(DEPARTMENT))
        if what < 0.2:
            continue  # no news
        step = "MEETING" if what < 0.35 else "REGISTERED" if what < 0.55 else "APPRENTICE" if what < 0.85 else "DROPPED_OUT"
        steps.append({"eventId": f"e{n}", "uai": where, "ine": ine, "certification": cert if rng.random() < 0.8 else BTS,
                      "step": step, "effectiveDate": (TODAY - timedelta(days=20)).isoformat()})
    for portal, own in wishes.items():
        assert (await gql.data(SUBMIT, {"input": own}, key=portals[portal]))["submitWishes"]["accepted"] == len(own)
    assert (await gql.data(RECORD, {"input": steps}, key=vendor_key))["recordSteps"]["accepted"] == len(steps)
    return {"admin": admin.key, "paris": paris, "national": national, "portals": portals}


async def outcomes(gql, world) -> list[dict]:
    """Every wish with its outcome, as its portal reads it (exact)."""
    out = []
    for portal, key in world["portals"].items():
        for edge in (await gql.data(WISHES, key=key))["wishes"]["edges"]:
            out.append({**edge["node"], "portal": portal.value})
    return out


def recount(wishes: list[dict], by: str) -> dict[str, Counter]:
    """The conversion rows written again from the wishes' outcomes."""
    key = {"NATIONAL": lambda w: "FR", "REGION": lambda w: REGION[DEPARTMENT[w["cfa"]["uai"]]],
           "DEPARTMENT": lambda w: DEPARTMENT[w["cfa"]["uai"]], "CFA": lambda w: w["cfa"]["uai"],
           "CERTIFICATION": lambda w: w["certification"]["code"]}[by]
    rows: dict[str, Counter] = {}
    for w in wishes:
        o = w["outcome"]
        row = rows.setdefault(key(w), Counter())
        row["wishes"] += 1
        row["handled"] += o["stage"] != "NO_NEWS"
        row["handledByWishedCfa"] += o["handledByWishedCfa"]
        row["registered"] += o["stage"] == "REGISTERED"
        row["apprentices"] += o["stage"] == "APPRENTICE"
        row["apprenticesAsWished"] += o["stage"] == "APPRENTICE" and o["match"] == "AS_WISHED"
        row["left"] += o["stage"] == "LEFT"
    return rows


async def conversion(gql, key, by, **variables):
    answer = (await gql.data(CONVERSION, {"by": by, **variables}, key=key))["wishConversion"]
    return {row["key"]: row for row in answer}


async def test_the_admin_reads_the_wishes_outcomes_counted(gql, world):
    wishes = await outcomes(gql, world)
    assert len(wishes) == 90 and {w["outcome"]["stage"] for w in wishes} >= {"NO_NEWS", "HANDLED", "REGISTERED", "APPRENTICE", "LEFT"}
    middle = START + timedelta(days=10)
    cases = [({}, wishes), ({"portal": "AFFELNET"}, [w for w in wishes if w["portal"] == "AFFELNET"]),
             ({"from": middle.isoformat()}, [w for w in wishes if datetime.fromisoformat(w["submittedAt"]) >= middle]),
             ({"to": middle.isoformat()}, [w for w in wishes if datetime.fromisoformat(w["submittedAt"]) < middle]),
             ({"filter": {"uais": [X]}}, [w for w in wishes if w["cfa"]["uai"] == X]),
             ({"filter": {"regions": ["84"]}}, [w for w in wishes if w["cfa"]["uai"] == LYON]),
             ({"filter": {"certifications": [BTS]}}, [w for w in wishes if w["certification"]["code"] == BTS])]
    for variables, chosen in cases:
        for by in ("NATIONAL", "REGION", "DEPARTMENT", "CFA", "CERTIFICATION"):
            got = await conversion(gql, world["admin"], by, **variables)
            expected = recount(chosen, by)
            assert {k: [row[f] for f in FIELDS] for k, row in got.items() if row["wishes"]} == {
                k: [c[f] for f in FIELDS] for k, c in expected.items()}, (variables, by)
            assert not any(row["suppressed"] for row in got.values())
    labels = await conversion(gql, world["admin"], "DEPARTMENT")
    assert labels["75"]["label"] == "Paris"


async def test_a_pilot_reads_its_territory_protected(gql, world, http):
    wishes = await outcomes(gql, world)
    in_paris = [w for w in wishes if DEPARTMENT[w["cfa"]["uai"]] == "75"]
    for key, chosen in ((world["paris"], in_paris), (world["national"], wishes)):
        for by in ("NATIONAL", "DEPARTMENT", "CFA", "CERTIFICATION"):
            got = await conversion(gql, key, by)
            expected = recount(chosen, by)
            assert set(got) == set(expected), by
            for k, row in got.items():
                assert [row[f] for f in FIELDS] == [protect(expected[k][f]) for f in FIELDS], (by, k)
                assert row["suppressedFields"] == [f for f in FIELDS if 1 <= expected[k][f] <= 4]
    assert set(await conversion(gql, world["paris"], "DEPARTMENT", filter={"departments": ["69"]})) == set()  # never widened
    # a narrow window: the one wish of a second shows as 0
    at = START  # wish w0 alone
    one = await conversion(gql, world["national"], "NATIONAL", **{"from": at.isoformat(), "to": (at + timedelta(seconds=1)).isoformat()})
    assert one["FR"]["wishes"] == 0 and "wishes" in one["FR"]["suppressedFields"]
    exact = await conversion(gql, world["admin"], "NATIONAL", **{"from": at.isoformat(), "to": (at + timedelta(seconds=1)).isoformat()})
    assert exact["FR"]["wishes"] == 1
    # the CSV export: the same rows
    export = await http.get("/exports/conversion.csv", params={"groupBy": "CFA"}, headers={"Authorization": f"Bearer {world['paris']}"})
    assert export.status_code == 200
    lines = {line["key"]: line for line in csv.DictReader(io.StringIO(export.text))}
    got = await conversion(gql, world["paris"], "CFA")
    assert {k: int(line["apprentices_as_wished"]) for k, line in lines.items()} == {k: r["apprenticesAsWished"] for k, r in got.items()}
    assert {k: line["suppressed"] for k, line in lines.items()} == {k: str(r["suppressed"]).lower() for k, r in got.items()}


async def test_bad_input_is_named(gql, world, http):
    async def error(**variables):
        return (await gql.error(CONVERSION, {"by": "REGION", **variables}, key=world["national"]))["extensions"]

    late, early = (START + timedelta(days=5)).isoformat(), START.isoformat()
    assert (await error(**{"from": late, "to": early}))["field"] == "submittedFrom"
    assert (await error(filter={"regions": ["99"]}))["field"] == "filter.regions"
    assert (await error(filter={"regions": ["99"]}))["reason"] == "UNKNOWN_REGION"
    assert (await error(filter={"departments": ["977"]}))["field"] == "filter.departments"
    assert (await error(filter={"departments": ["20"]}))["field"] == "filter.departments"  # no such code since 1976
    assert (await error(filter={"uais": ["nope"]}))["field"] == "filter.uais"
    headcounts = await gql.error('query { headcounts(groupBy: REGION, filter: {regions: ["99"]}) { key } }', key=world["national"])
    assert headcounts["extensions"]["field"] == "filter.regions"
    bad = await http.get("/exports/conversion.csv", params={"groupBy": "REGION", "portal": "ONISEP"},
                         headers={"Authorization": f"Bearer {world['national']}"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["extensions"]["field"] == "portal"
    for role_key in world["portals"].values():
        assert (await gql.error(CONVERSION, {"by": "REGION"}, key=role_key))["extensions"]["code"] == "FORBIDDEN"
