"""The attacks of DOMAIN.md ("Small counts") played through HTTP against a population of small
cells: none gives a pilot (or a portal, an adviser, a vendor reading offers) an exact count from
1 to 4; the ADMIN reads the same cells exact.

Every count a protected reader gets is a multiple of 5 (capacities are the CFAs' published data
and stay exact), so any sum or difference of them is too: the attacks below compute the figure
they aim at and find it differs from the true small count."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from app.domain.actors import Portal, Role
from app.domain.dates import today as france_today
from tests.factories import new_cfa, new_client

RECORD = "mutation($input: [StepInput!]!) { recordSteps(input: $input) { accepted rejected { index code } } }"
UPSERT = "mutation($input: [OfferInput!]!) { upsertOffers(input: $input) { accepted rejected { ref code } } }"
SUBMIT = "mutation($input: [WishInput!]!) { submitWishes(input: $input) { accepted rejected { ref code } } }"
COUNTS = "registered apprentices contractBroken droppedOut"
HEADCOUNTS = f"""query($on: Date, $by: HeadcountDimension!, $filter: HeadcountFilter) {{
  headcounts(on: $on, groupBy: $by, filter: $filter) {{ key {COUNTS} capacity vacancies suppressed suppressedFields }} }}"""
SERIES = f"""query($from: Date!, $to: Date!, $by: HeadcountDimension!, $filter: HeadcountFilter) {{
  headcountSeries(from: $from, to: $to, interval: WEEK, groupBy: $by, filter: $filter) {{ on rows {{ key {COUNTS} }} }} }}"""
OFFERS = "query { offers(first: 500) { edges { node { offerRef capacity enrolled vacancies } } } }"
SUMMARY = "query($filter: WishFilter) { wishOutcomeSummary(filter: $filter) { stage match count } }"

A, B, C, D = "0751234J", "0750654D", "0752222H", "0921234S"  # three CFAs of Paris, one of the Hauts-de-Seine
DEPARTMENT = {A: "75", B: "75", C: "75", D: "92"}
CAP = "50022141"
TODAY = france_today()
FIELDS = ("registered", "apprentices", "contractBroken", "droppedOut")

# the true counts by CFA: (registered, apprentices, rupturants)
TRUE = {A: (0, 7, 3), B: (2, 12, 2), C: (0, 1, 0), D: (4, 0, 0)}


@pytest.fixture
async def world(database, admin, gql):
    vendor, vendor_key = await new_client(database, Role.VENDOR)
    for uai, department in DEPARTMENT.items():
        await new_cfa(database, uai, department=department, consent=True, vendors=[vendor.id], admin=admin.principal)
    _, national = await new_client(database, Role.PILOT, name="national")
    _, paris = await new_client(database, Role.PILOT, name="Paris", departments=["75"])
    _, portal = await new_client(database, Role.PORTAL, portal=Portal.PARCOURSUP)
    _, adviser = await new_client(database, Role.ADVISER, departments=["75"])
    steps, n = [], 0
    for uai, (registered, apprentices, rupturants) in TRUE.items():
        for step, count in (("REGISTERED", registered), ("APPRENTICE", apprentices), ("CONTRACT_BROKEN", rupturants)):
            for _ in range(count):
                n += 1
                steps.append({"eventId": f"e{n}", "uai": uai, "ine": f"{n:09d}AB", "certification": CAP, "step": step,
                              "effectiveDate": (TODAY - timedelta(days=10)).isoformat()})
                if step == "CONTRACT_BROKEN":  # an apprentice first: in its offer's intake, a place taken
                    steps.append({**steps[-1], "eventId": f"a{n}", "step": "APPRENTICE",
                                  "effectiveDate": (TODAY - timedelta(days=40)).isoformat()})
    recorded = (await gql.data(RECORD, {"input": steps}, key=vendor_key))["recordSteps"]
    assert recorded["rejected"] == [] and recorded["accepted"] == len(steps)
    offers = [{"offerRef": uai, "uai": uai, "certification": CAP, "departmentCode": DEPARTMENT[uai], "capacity": 15}
              for uai in TRUE]
    assert (await gql.data(UPSERT, {"input": offers}, key=vendor_key))["upsertOffers"]["accepted"] == 4
    # three wishes a second apart, one to each CFA of Paris
    at = datetime.combine(TODAY - timedelta(days=20), datetime.min.time(), UTC)
    wishes = [{"portalWishId": f"w{i}", "ine": f"{i + 1:09d}AB", "uai": uai, "certification": CAP,
               "submittedAt": (at + timedelta(seconds=i)).isoformat()} for i, uai in enumerate((A, B, C))]
    assert (await gql.data(SUBMIT, {"input": wishes}, key=portal))["submitWishes"]["accepted"] == 3
    return {"vendor": vendor_key, "admin": admin.key, "national": national, "paris": paris, "portal": portal,
            "adviser": adviser, "at": at}


async def rows(gql, key, by, filter=None):
    return {r["key"]: r for r in (await gql.data(HEADCOUNTS, {"by": by, "filter": filter}, key=key))["headcounts"]}


def multiples_of_five(answer) -> bool:
    return all(row[f] % 5 == 0 for row in answer.values() for f in FIELDS)


async def test_the_admin_reads_the_small_cells_exact(gql, world):
    cfas = await rows(gql, world["admin"], "CFA")
    for uai, (registered, apprentices, rupturants) in TRUE.items():
        assert (cfas[uai]["registered"], cfas[uai]["apprentices"], cfas[uai]["contractBroken"]) == (
            registered, apprentices, rupturants)
    assert not any(row["suppressed"] for row in cfas.values())


async def test_every_count_a_pilot_reads_is_a_multiple_of_five(gql, world):
    for key in (world["national"], world["paris"]):
        for by in ("NATIONAL", "REGION", "DEPARTMENT", "CFA", "CERTIFICATION"):
            for filter in (None, {"uais": [A]}, {"uais": [A, B]}, {"certifications": [CAP]}, {"departments": ["75"]}):
                assert multiples_of_five(await rows(gql, key, by, filter)), (by, filter)
        series = (await gql.data(SERIES, {"from": (TODAY - timedelta(days=20)).isoformat(), "to": TODAY.isoformat(),
                                          "by": "CFA"}, key=key))["headcountSeries"]
        assert all(r[f] % 5 == 0 for point in series for r in point["rows"] for f in FIELDS)


async def test_a_filter_to_one_cfa_at_a_coarser_grouping(gql, world, http):
    # A's 3 rupturants, asked for at every coarser level through a filter on A alone
    for key in (world["national"], world["paris"]):
        for by in ("NATIONAL", "REGION", "DEPARTMENT"):
            (row,) = (await rows(gql, key, by, {"uais": [A]})).values()
            assert row["contractBroken"] == 0 and "contractBroken" in row["suppressedFields"]
        export = await http.get("/exports/headcounts.csv", params={"groupBy": "DEPARTMENT", "uais": A},
                                headers={"Authorization": f"Bearer {key}"})
        (line,) = list(csv.DictReader(io.StringIO(export.text)))
        assert (line["contract_broken"], line["suppressed_fields"]) == ("0", "contract_broken")


async def test_capacity_minus_vacancies_minus_the_other_counts(gql, world):
    # A: 10 youths in its offer of 15 places; minus its 7 apprentices, the 3 rupturants would be left
    row = (await rows(gql, world["national"], "CFA"))[A]
    derived = row["capacity"] - row["vacancies"] - row["registered"] - row["apprentices"]
    assert derived % 5 == 0 and derived != 3
    for key in (world["national"], world["portal"], world["adviser"], world["vendor"]):
        offers = {e["node"]["offerRef"]: e["node"] for e in (await gql.data(OFFERS, key=key))["offers"]["edges"]}
        for uai, (registered, apprentices, rupturants) in TRUE.items():
            offer = offers[uai]
            assert offer["enrolled"] % 5 == 0 and (offer["capacity"] - offer["vacancies"]) % 5 == 0
            if 1 <= registered + apprentices + rupturants <= 4:
                assert offer["enrolled"] == 0  # C's single apprentice, D's 4 registered
    exact = {e["node"]["offerRef"]: e["node"] for e in (await gql.data(OFFERS, key=world["admin"]))["offers"]["edges"]}
    assert (exact[C]["enrolled"], exact[D]["enrolled"], exact[A]["vacancies"]) == (1, 4, 5)


async def test_a_total_minus_the_other_rows(gql, world):
    # Paris: 5 rupturants, A's 3 and B's 2; the department's total minus B's and C's rows
    for key in (world["national"], world["paris"]):
        total = (await rows(gql, key, "DEPARTMENT"))["75"]["contractBroken"]
        cfas = await rows(gql, key, "CFA", {"departments": ["75"]})
        derived = total - cfas[B]["contractBroken"] - cfas[C]["contractBroken"]
        assert derived != 3 and derived % 5 == 0
        # and C's single apprentice: the department's apprentices minus A's and B's
        apprentices = (await rows(gql, key, "DEPARTMENT"))["75"]["apprentices"]
        derived = apprentices - cfas[A]["apprentices"] - cfas[B]["apprentices"]
        assert derived != 1 and derived % 5 == 0
    national = (await rows(gql, world["national"], "NATIONAL"))["FR"]["registered"]
    paris = (await rows(gql, world["national"], "DEPARTMENT"))["75"]["registered"]
    assert national - paris != 4  # D's 4 registered, the nation minus Paris


async def test_the_same_question_with_and_without_one_cfa(gql, world):
    for key in (world["national"], world["paris"]):
        for by in ("NATIONAL", "DEPARTMENT", "CERTIFICATION"):
            with_a = await rows(gql, key, by, {"uais": [A, B, C]})
            without_a = await rows(gql, key, by, {"uais": [B, C]})
            for group in with_a:
                assert with_a[group]["contractBroken"] - without_a.get(group, {"contractBroken": 0})["contractBroken"] != 3
                assert (with_a[group]["contractBroken"] - without_a.get(group, {"contractBroken": 0})["contractBroken"]) % 5 == 0
            with_c = await rows(gql, key, by, {"uais": [A, C]})
            without_c = await rows(gql, key, by, {"uais": [A]})
            for group in with_c:
                assert with_c[group]["apprentices"] - without_c.get(group, {"apprentices": 0})["apprentices"] != 1


async def test_a_narrow_submission_window(gql, world):
    at = world["at"]
    for seconds in (1, 2, 3):  # windows of one to three wishes
        window = {"submittedFrom": at.isoformat(), "submittedTo": (at + timedelta(seconds=seconds)).isoformat()}
        summary = (await gql.data(SUMMARY, {"filter": window}, key=world["national"]))["wishOutcomeSummary"]
        assert sum(row["count"] for row in summary) == 0
    # the portal reads its own wishes exact
    exact = (await gql.data(SUMMARY, {"filter": {"submittedFrom": at.isoformat(),
                                                 "submittedTo": (at + timedelta(seconds=2)).isoformat()}},
                            key=world["portal"]))["wishOutcomeSummary"]
    assert sum(row["count"] for row in exact) == 2
