"""Transmission coverage (transmissionCoverage) and a CFA's transmission (Cfa.transmission)
through HTTP: the stamps the ingestion keeps, recounted; who may read what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from app.domain.actors import Portal, Role
from app.domain.dates import today as france_today
from tests.factories import new_cfa, new_client

RECORD = "mutation($input: [StepInput!]!) { recordSteps(input: $input) { accepted unchanged rejected { index code } } }"
UPSERT = "mutation($input: [OfferInput!]!) { upsertOffers(input: $input) { accepted rejected { ref code } } }"
COVERAGE = """query($on: Date, $by: HeadcountDimension!, $filter: HeadcountFilter) {
  transmissionCoverage(on: $on, groupBy: $by, filter: $filter) {
    key label cfas consenting transmitting apprentices suppressed suppressedFields } }"""
TRANSMISSION = """query($uai: String!) { cfa(uai: $uai) { uai transmission {
  lastReceivedAt stepsLast30Days rejectedLast30Days vendors } } }"""

A, B, C, LYON, SILENT = "0751234J", "0750654D", "0752222H", "0690001B", "0690002C"
DEPARTMENT = {A: "75", B: "75", C: "75", LYON: "69", SILENT: "69"}
CAP = "50022141"
TODAY = france_today()


def step(n, uai, step="APPRENTICE", days_ago=5):
    return {"eventId": f"e{n}", "uai": uai, "ine": f"{n:09d}AB", "certification": CAP, "step": step,
            "effectiveDate": (TODAY - timedelta(days=days_ago)).isoformat()}


@pytest.fixture
async def world(database, admin, gql, connection):
    vendor, vendor_key = await new_client(database, Role.VENDOR, name="Ymag")
    other, other_key = await new_client(database, Role.VENDOR, name="Gesti")
    for uai in (A, B, LYON):
        await new_cfa(database, uai, department=DEPARTMENT[uai], consent=True, vendors=[vendor.id], admin=admin.principal)
    await new_cfa(database, C, department="75", consent=False, vendors=[vendor.id], admin=admin.principal)
    await new_cfa(database, SILENT, department="69", consent=True, vendors=[other.id], admin=admin.principal)
    # A: 7 apprentices, and a bad record; LYON: 2 apprentices; B: only an offer; C refused (no consent)
    batch = [step(i, A) for i in range(7)] + [step(10 + i, LYON) for i in range(2)]
    batch += [step(20, C), {**step(21, A), "certification": "XYZ"}, {**step(22, "nope")}]
    recorded = (await gql.data(RECORD, {"input": batch}, key=vendor_key))["recordSteps"]
    assert recorded["accepted"] == 9
    assert sorted(r["code"] for r in recorded["rejected"]) == ["CONSENT_MISSING", "INVALID_CERTIFICATION", "INVALID_UAI"]
    offer = {"offerRef": "b1", "uai": B, "certification": CAP, "departmentCode": "75", "capacity": 10}
    assert (await gql.data(UPSERT, {"input": [offer]}, key=vendor_key))["upsertOffers"]["accepted"] == 1
    # LYON's records, as if they all came 40 days ago: it has stopped transmitting since
    await connection.execute(text("UPDATE cfa_transmission_day SET day = day - 40,"
                                  " last_received_at = last_received_at - interval '40 days' WHERE uai = :u"), {"u": LYON})
    _, paris = await new_client(database, Role.PILOT, name="Paris", departments=["75"])
    _, national = await new_client(database, Role.PILOT, name="national")
    _, portal = await new_client(database, Role.PORTAL, portal=Portal.PARCOURSUP)
    _, adviser = await new_client(database, Role.ADVISER, departments=["75"])
    return {"vendor": vendor_key, "other": other_key, "admin": admin.key, "paris": paris, "national": national,
            "portal": portal, "adviser": adviser}


async def rows(gql, key, by, **variables):
    answer = (await gql.data(COVERAGE, {"by": by, **variables}, key=key))["transmissionCoverage"]
    return {r["key"]: r for r in answer}


def counts(row):
    return (row["cfas"], row["consenting"], row["transmitting"], row["apprentices"])


async def test_coverage_counts_cfas_consent_transmission_and_apprentices(gql, world, database):
    from app.services.derivation import advance_cut

    national = await rows(gql, world["admin"], "NATIONAL")
    assert counts(national["FR"]) == (5, 4, 2, 7)  # A and B transmit; LYON's 2 apprentices are not counted
    assert await advance_cut(database)  # the apprentices from the CFAs' sums up to today: the same
    assert await rows(gql, world["admin"], "NATIONAL") == national
    departments = await rows(gql, world["admin"], "DEPARTMENT")
    assert counts(departments["75"]) == (3, 2, 2, 7) and departments["75"]["label"] == "Paris"
    assert counts(departments["69"]) == (2, 2, 0, 0)
    cfas = await rows(gql, world["admin"], "CFA")
    assert {k: counts(r) for k, r in cfas.items()} == {
        A: (1, 1, 1, 7), B: (1, 1, 1, 0), C: (1, 0, 0, 0), LYON: (1, 1, 0, 0), SILENT: (1, 1, 0, 0)}
    regions = await rows(gql, world["admin"], "REGION")
    assert set(regions) == {"11", "84"}
    # 40 days ago LYON was transmitting, A and B not yet
    past = await rows(gql, world["admin"], "DEPARTMENT", on=(TODAY - timedelta(days=35)).isoformat())
    assert (past["75"]["transmitting"], past["69"]["transmitting"]) == (0, 1)


async def test_a_pilot_reads_its_territory_with_apprentices_protected(gql, world):
    paris = await rows(gql, world["paris"], "DEPARTMENT")
    assert set(paris) == {"75"} and counts(paris["75"]) == (3, 2, 2, 5)  # 7 apprentices show as 5
    cfas = await rows(gql, world["national"], "CFA", filter={"departments": ["69"]})
    assert set(cfas) == {LYON, SILENT}
    assert (await rows(gql, world["paris"], "DEPARTMENT", filter={"departments": ["69"]})) == {}  # never widened
    error = await gql.error(COVERAGE, {"by": "CERTIFICATION"}, key=world["national"])
    assert error["extensions"]["field"] == "groupBy"
    assert (await gql.error(COVERAGE, {"by": "REGION", "filter": {"regions": ["99"]}}, key=world["national"]))[
        "extensions"]["field"] == "filter.regions"
    for key in (world["vendor"], world["portal"], world["adviser"]):
        assert (await gql.error(COVERAGE, {"by": "REGION"}, key=key))["extensions"]["code"] == "FORBIDDEN"


async def test_a_cfas_transmission_and_who_reads_it(gql, world):
    async def transmission(key, uai):
        return (await gql.data(TRANSMISSION, {"uai": uai}, key=key))["cfa"]["transmission"]

    a = await transmission(world["admin"], A)
    assert (a["stepsLast30Days"], a["rejectedLast30Days"], a["vendors"]) == (7, 1, ["Ymag"]) and a["lastReceivedAt"]
    b = await transmission(world["admin"], B)
    assert (b["stepsLast30Days"], b["rejectedLast30Days"]) == (0, 0) and b["lastReceivedAt"]  # its offer
    c = await transmission(world["admin"], C)
    assert (c["stepsLast30Days"], c["rejectedLast30Days"], c["lastReceivedAt"]) == (0, 1, None)  # refused: no consent
    lyon = await transmission(world["admin"], LYON)
    assert lyon["stepsLast30Days"] == 0 and lyon["lastReceivedAt"]  # 40 days ago
    assert await transmission(world["vendor"], A) == a  # an authorised vendor
    assert await transmission(world["other"], A) is None  # not authorised by A
    assert await transmission(world["other"], SILENT) is not None
    assert await transmission(world["paris"], A) == a and await transmission(world["paris"], LYON) is None
    assert await transmission(world["portal"], A) is None and await transmission(world["adviser"], A) is None


async def test_replays_keep_the_cfa_transmitting_without_counting_as_stored(gql, world):
    again = (await gql.data(RECORD, {"input": [step(i, A) for i in range(7)]}, key=world["vendor"]))["recordSteps"]
    assert (again["accepted"], again["unchanged"]) == (0, 7)
    a = (await gql.data(TRANSMISSION, {"uai": A}, key=world["admin"]))["cfa"]["transmission"]
    assert a["stepsLast30Days"] == 7
