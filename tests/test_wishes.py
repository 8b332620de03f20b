"""Portals through HTTP: submitWishes, outcomes as steps arrive, isolation, sync, paging, export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from app.domain.actors import Portal, Role
from app.domain.dates import today as france_today
from app.domain.identifiers import uai_check_letter
from tests.factories import new_cfa, new_client

SUBMIT = """
mutation($input: [WishInput!]!) {
  submitWishes(input: $input) { accepted unchanged rejected { index ref field code message } }
}"""
RECORD = """
mutation($input: [StepInput!]!) { recordSteps(input: $input) { accepted unchanged rejected { index code } } }"""
WISH = """
query($id: String!) {
  wish(portalWishId: $id) {
    id portal portalWishId submittedAt cfa { uai } certification { code }
    outcome { stage match since cfa { uai } certification { code } handledByWishedCfa }
    history { step effectiveDate cfa { uai } }
  }
}"""
WISHES = """
query($filter: WishFilter, $first: Int, $after: String) {
  wishes(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { portalWishId portal outcome { stage match } cfa { uai } certification { code } } }
  }
}"""
SUMMARY = "query($filter: WishFilter) { wishOutcomeSummary(filter: $filter) { stage match count } }"

X, Z, CLOSED = "0751234J", "0750654D", "6200002H"  # wished CFA, another CFA (both 75), a CFA without consent (2A)
UNKNOWN = "0752222" + uai_check_letter("0752222")
CAP, BTS = "50022141", "32031210"
INE1, INE2 = "123456789AB", "1234567890C"
TODAY = france_today()
SUBMITTED = datetime.combine(TODAY - timedelta(days=60), datetime.min.time(), UTC)


def wish(wish_id, *, ine=INE1, uai=X, cert=CAP, at=SUBMITTED, **extra):
    record = {"portalWishId": wish_id, "ine": ine, "uai": uai, "certification": cert, "submittedAt": at.isoformat()}
    record.update(extra)
    return record


def step(event_id, step="REGISTERED", *, ine=INE1, uai=X, cert=CAP, days_ago=30, **extra):
    record = {
        "eventId": event_id, "uai": uai, "ine": ine, "certification": cert, "step": step,
        "effectiveDate": (TODAY - timedelta(days=days_ago)).isoformat(),
    }
    record.update(extra)
    return record


@pytest.fixture
async def world(database, admin):
    vendor, vendor_key = await new_client(database, Role.VENDOR, name="Ymag")
    _, parcoursup = await new_client(database, Role.PORTAL, name="Parcoursup", portal=Portal.PARCOURSUP)
    _, affelnet = await new_client(database, Role.PORTAL, name="Affelnet", portal=Portal.AFFELNET)
    for uai in (X, Z):
        await new_cfa(database, uai, department="75", consent=True, vendors=[vendor.id], admin=admin.principal)
    await new_cfa(database, CLOSED, department="2A", consent=False, vendors=[], admin=admin.principal)
    return {"vendor": vendor_key, "parcoursup": parcoursup, "affelnet": affelnet}


async def submit(gql, key, records):
    return (await gql.data(SUBMIT, {"input": records}, key=key))["submitWishes"]


async def outcome_of(gql, key, wish_id):
    return (await gql.data(WISH, {"id": wish_id}, key=key))["wish"]["outcome"]


async def test_a_mixed_batch_stores_the_valid_wishes_and_reports_each_invalid_one(gql, world, connection):
    batch = [
        wish("w0"),
        wish("w1", uai="0751234A"),
        wish("w2", ine="12AB"),
        wish("w3", uai=UNKNOWN),  # a valid UAI that no CFA has
        wish("w4", cert="XYZ"),
        wish("w5", ine=None),
        wish("w6", at=datetime(2026, 6, 1, 8, 0)),  # no offset
        wish("w7", offerId="999999"),
        wish("w0", uai=Z),
        wish("w9", uai=CLOSED, ine=INE2),  # a CFA without consent: the portal's data, stored
        {**wish("w10"), "colour": "blue"},
        wish("w11", submittedAt=(datetime.now(UTC) + timedelta(days=3)).isoformat()),
    ]
    payload = await submit(gql, world["parcoursup"], batch)
    assert payload["accepted"] == 2 and payload["unchanged"] == 0
    got = [(e["index"], e["ref"], e["field"], e["code"]) for e in payload["rejected"]]
    assert got == [
        (1, "w1", "uai", "INVALID_UAI"),
        (2, "w2", "ine", "INVALID_INE"),
        (3, "w3", "uai", "UNKNOWN_CFA"),
        (4, "w4", "certification", "INVALID_CERTIFICATION"),
        (5, "w5", "ine", "IDENTITY_MISSING"),
        (6, "w6", "submittedAt", "INVALID_DATE"),
        (7, "w7", "offerId", "UNKNOWN_OFFER"),
        (8, "w0", "portalWishId", "DUPLICATE_IN_BATCH"),
        (10, "w10", "colour", "UNKNOWN_FIELD"),
        (11, "w11", "submittedAt", "INVALID_DATE"),
    ]
    stored = (await connection.execute(text("SELECT portal_wish_id, portal, outcome_stage FROM wish ORDER BY portal_wish_id"))).all()
    assert [tuple(r) for r in stored] == [("w0", "PARCOURSUP", "NO_NEWS"), ("w9", "PARCOURSUP", "NO_NEWS")]
    kept = (await connection.execute(text("SELECT count(*) FROM rejection WHERE operation = 'submitWishes'"))).scalar_one()
    assert kept == 10


async def test_a_resend_is_unchanged_and_a_change_replaces_the_wish(gql, world, connection):
    first = await submit(gql, world["parcoursup"], [wish("r1")])
    again = await submit(gql, world["parcoursup"], [wish("r1")])
    moved = await submit(gql, world["parcoursup"], [wish("r1", uai=Z)])
    assert (first["accepted"], again["unchanged"], moved["accepted"]) == (1, 1, 1)
    rows = (await connection.execute(text("SELECT uai FROM wish"))).scalars().all()
    assert rows == [Z]


@pytest.mark.parametrize("reported", ["MEETING", "REGISTERED", "APPRENTICE", "DROPPED_OUT", "CONTRACT_BROKEN"])
@pytest.mark.parametrize(("uai", "cert", "match"), [(X, CAP, "AS_WISHED"), (X, BTS, "OTHER_TRAINING"), (Z, CAP, "OTHER_CFA")])
async def test_every_stage_and_match_through_http(gql, world, reported, uai, cert, match):
    await submit(gql, world["parcoursup"], [wish("s1")])
    assert await outcome_of(gql, world["parcoursup"], "s1") == {
        "stage": "NO_NEWS", "match": None, "since": None, "cfa": None, "certification": None, "handledByWishedCfa": False,
    }
    await gql.data(RECORD, {"input": [step("e1", reported, uai=uai, cert=cert, days_ago=20)]}, key=world["vendor"])
    stage = {"MEETING": "HANDLED", "REGISTERED": "REGISTERED", "APPRENTICE": "APPRENTICE", "DROPPED_OUT": "LEFT",
             "CONTRACT_BROKEN": "CONTRACT_BROKEN"}[reported]
    assert await outcome_of(gql, world["parcoursup"], "s1") == {
        "stage": stage, "match": match, "since": (TODAY - timedelta(days=20)).isoformat(),
        "cfa": {"uai": uai}, "certification": {"code": cert}, "handledByWishedCfa": uai == X,
    }


async def test_a_broken_contract_is_a_rupturant_until_a_new_contract(gql, world):
    await submit(gql, world["parcoursup"], [wish("b1")])
    await gql.data(RECORD, {"input": [step("e1", "APPRENTICE", days_ago=40), step("e2", "CONTRACT_BROKEN", days_ago=20)]}, key=world["vendor"])
    assert (await outcome_of(gql, world["parcoursup"], "b1"))["stage"] == "CONTRACT_BROKEN"  # still in training (2027.1)
    await gql.data(RECORD, {"input": [step("e3", "APPRENTICE", uai=Z, days_ago=5)]}, key=world["vendor"])
    assert await outcome_of(gql, world["parcoursup"], "b1") == {
        "stage": "APPRENTICE", "match": "OTHER_CFA", "since": (TODAY - timedelta(days=5)).isoformat(),
        "cfa": {"uai": Z}, "certification": {"code": CAP}, "handledByWishedCfa": True,
    }


async def test_steps_before_the_wish_do_not_count_and_history_shows_what_counts(gql, world):
    await gql.data(RECORD, {"input": [step("old", "APPRENTICE", days_ago=200), step("new", "MEETING", days_ago=10)]}, key=world["vendor"])
    await submit(gql, world["parcoursup"], [wish("h1")])  # submitted 60 days ago: after "old", before "new"
    found = (await gql.data(WISH, {"id": "h1"}, key=world["parcoursup"]))["wish"]
    assert (found["outcome"]["stage"], found["outcome"]["match"]) == ("HANDLED", "AS_WISHED")
    assert [e["step"] for e in found["history"]] == ["MEETING"]


async def test_a_step_linked_to_the_wish_decides_a_tie_even_before_the_wish_arrives(gql, world):
    # the CFA reports first, naming the wish; the youth's steps at two CFAs on the same day
    linked = step("l1", "REGISTERED", days_ago=10, portal="PARCOURSUP", portalWishId="k1")
    other = step("l2", "REGISTERED", uai=Z, days_ago=10)
    await gql.data(RECORD, {"input": [linked, other]}, key=world["vendor"])
    await submit(gql, world["parcoursup"], [wish("k1")])
    found = (await gql.data(WISH, {"id": "k1"}, key=world["parcoursup"]))["wish"]
    assert (found["outcome"]["stage"], found["outcome"]["match"], found["outcome"]["cfa"]) == ("REGISTERED", "AS_WISHED", {"uai": X})
    assert sorted(e["cfa"]["uai"] for e in found["history"]) == sorted([X, Z])
    # the same link for AFFELNET is another wish: it does not decide there (the later arrival does)
    await submit(gql, world["affelnet"], [wish("k1")])
    assert (await outcome_of(gql, world["affelnet"], "k1"))["cfa"] == {"uai": Z}


async def test_each_wish_of_a_youth_is_classified_on_its_own(gql, world):
    await submit(gql, world["parcoursup"], [wish("m1", uai=X), wish("m2", uai=Z), wish("m3", uai=Z, cert=BTS)])
    await gql.data(RECORD, {"input": [step("e1", "APPRENTICE", uai=Z, cert=BTS, days_ago=3)]}, key=world["vendor"])
    matches = [(await outcome_of(gql, world["parcoursup"], w))["match"] for w in ("m1", "m2", "m3")]
    assert matches == ["OTHER_CFA", "OTHER_TRAINING", "AS_WISHED"]


async def test_a_wish_at_a_cfa_without_consent_stays_no_news(gql, world):
    payload = await submit(gql, world["parcoursup"], [wish("c1", uai=CLOSED)])
    assert payload["accepted"] == 1
    assert (await outcome_of(gql, world["parcoursup"], "c1"))["stage"] == "NO_NEWS"


async def test_a_portal_never_sees_another_portals_wishes(gql, world, http):
    await submit(gql, world["parcoursup"], [wish("p1"), wish("p2", uai=Z)])
    await submit(gql, world["affelnet"], [wish("a1"), wish("p1", ine=INE2)])  # the same id at the other portal
    await gql.data(RECORD, {"input": [step("e1", "APPRENTICE", days_ago=1)]}, key=world["vendor"])
    for key, own in ((world["parcoursup"], {"p1", "p2"}), (world["affelnet"], {"a1", "p1"})):
        portal = "PARCOURSUP" if key == world["parcoursup"] else "AFFELNET"
        page = (await gql.data(WISHES, {"first": 500}, key=key))["wishes"]
        assert {e["node"]["portalWishId"] for e in page["edges"]} == own
        assert {e["node"]["portal"] for e in page["edges"]} == {portal}
        assert page["totalCount"] == 2
        filtered = (await gql.data(WISHES, {"filter": {"uai": X}}, key=key))["wishes"]
        assert {e["node"]["portal"] for e in filtered["edges"]} == {portal}
        summary = (await gql.data(SUMMARY, {}, key=key))["wishOutcomeSummary"]
        assert sum(row["count"] for row in summary) == 2
        response = await http.get("/exports/wishes.csv", headers={"Authorization": f"Bearer {key}"})
        assert {row["portal_wish_id"] for row in csv.DictReader(io.StringIO(response.text))} == own
    assert (await gql.data(WISH, {"id": "a1"}, key=world["parcoursup"]))["wish"] is None
    assert (await gql.data(WISH, {"id": "nope"}, key=world["parcoursup"]))["wish"] is None
    # a cursor of one portal's list, given to the other, still lists only the other's wishes
    first = (await gql.data(WISHES, {"first": 1}, key=world["parcoursup"]))["wishes"]
    rest = (await gql.data(WISHES, {"first": 500, "after": first["pageInfo"]["endCursor"]}, key=world["affelnet"]))["wishes"]
    assert {e["node"]["portal"] for e in rest["edges"]} <= {"AFFELNET"}


async def test_incremental_sync_returns_exactly_the_changed_wishes(gql, world, connection):
    await submit(gql, world["parcoursup"], [wish("i1"), wish("i2", ine=INE2), wish("i3", ine="1234A12345D")])
    mark = (await connection.execute(text("SELECT clock_timestamp()"))).scalar_one()
    since = {"filter": {"outcomeChangedSince": mark.isoformat()}, "first": 500}
    assert (await gql.data(WISHES, since, key=world["parcoursup"]))["wishes"]["totalCount"] == 0
    await gql.data(RECORD, {"input": [step("e1", "MEETING", days_ago=5), step("e2", "REGISTERED", ine=INE2, days_ago=5)]}, key=world["vendor"])
    # a step that changes nothing for i1 (still HANDLED at the same place and date) is no change
    await gql.data(RECORD, {"input": [step("e3", "INFO_SESSION", days_ago=4)]}, key=world["vendor"])
    changed = (await gql.data(WISHES, since, key=world["parcoursup"]))["wishes"]
    assert sorted(e["node"]["portalWishId"] for e in changed["edges"]) == ["i1", "i2"]
    assert changed["totalCount"] == 2
    mark2 = (await connection.execute(text("SELECT clock_timestamp()"))).scalar_one()
    assert (await gql.data(WISHES, {"filter": {"outcomeChangedSince": mark2.isoformat()}}, key=world["parcoursup"]))["wishes"]["totalCount"] == 0


async def test_pagination_covers_every_wish_exactly_once(gql, world):
    await submit(gql, world["parcoursup"], [wish(f"g{i}", ine=f"{i:09d}AB") for i in range(23)])
    seen, after, pages = [], None, 0
    while True:
        page = (await gql.data(WISHES, {"first": 5, "after": after}, key=world["parcoursup"]))["wishes"]
        seen += [e["node"]["portalWishId"] for e in page["edges"]]
        pages += 1
        assert page["totalCount"] == 23
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(seen) == sorted(f"g{i}" for i in range(23)) and len(seen) == 23 and pages == 5
    error = await gql.error(WISHES, {"first": 5, "after": "bm9wZQ"}, key=world["parcoursup"])
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert (await gql.error(WISHES, {"first": 501}, key=world["parcoursup"]))["extensions"]["code"] == "BAD_USER_INPUT"


async def test_filters_narrow_the_list(gql, world):
    await submit(gql, world["parcoursup"], [
        wish("f1"), wish("f2", uai=Z, ine=INE2), wish("f3", ine="1234A12345D", at=SUBMITTED + timedelta(days=30)),
    ])
    await gql.data(RECORD, {"input": [step("e1", "APPRENTICE", days_ago=1)]}, key=world["vendor"])

    async def ids(filter):
        page = (await gql.data(WISHES, {"filter": filter}, key=world["parcoursup"]))["wishes"]
        return sorted(e["node"]["portalWishId"] for e in page["edges"])

    assert await ids({"uai": Z}) == ["f2"]
    assert await ids({"uai": "075 1234j"}) == ["f1", "f3"]  # normalised like any UAI
    assert await ids({"stage": "APPRENTICE"}) == ["f1"]
    assert await ids({"stage": "NO_NEWS"}) == ["f2", "f3"]
    assert await ids({"submittedFrom": (SUBMITTED + timedelta(days=1)).isoformat()}) == ["f3"]
    assert await ids({"submittedTo": (SUBMITTED + timedelta(days=1)).isoformat()}) == ["f1", "f2"]
    error = await gql.error(WISHES, {"filter": {"uai": "nope"}}, key=world["parcoursup"])
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("BAD_USER_INPUT", "filter.uai")


async def test_the_summary_counts_by_stage_and_match_in_scope(gql, world, database):
    await submit(gql, world["parcoursup"], [wish("s1"), wish("s2", ine=INE2), wish("s3", uai=CLOSED, ine="1234A12345D")])
    await submit(gql, world["affelnet"], [wish("t1", uai=Z)])
    await gql.data(RECORD, {"input": [step("e1", "APPRENTICE", days_ago=1), step("e2", "REGISTERED", ine=INE2, uai=Z, days_ago=1)]}, key=world["vendor"])
    portal = (await gql.data(SUMMARY, {}, key=world["parcoursup"]))["wishOutcomeSummary"]
    assert portal == [
        {"stage": "NO_NEWS", "match": None, "count": 1},
        {"stage": "REGISTERED", "match": "OTHER_CFA", "count": 1},
        {"stage": "APPRENTICE", "match": "AS_WISHED", "count": 1},
    ]
    _, paris = await new_client(database, Role.PILOT, departments=["75"])
    _, corsica = await new_client(database, Role.PILOT, departments=["2A"])
    _, national = await new_client(database, Role.PILOT)
    seen = {}
    for name, key in (("paris", paris), ("corsica", corsica), ("national", national)):
        rows = (await gql.data(SUMMARY, {}, key=key))["wishOutcomeSummary"]
        assert {row["count"] for row in rows} == {0}  # 1 to 4 wishes: protected for a pilot
        seen[name] = sorted((row["stage"], row["match"] or "") for row in rows)
    # every portal's wishes, in the pilot's territory (Paris: X and Z; Corsica: the closed CFA)
    assert seen == {
        "paris": [("APPRENTICE", "AS_WISHED"), ("APPRENTICE", "OTHER_CFA"), ("REGISTERED", "OTHER_CFA")],
        "corsica": [("NO_NEWS", "")],
        "national": [("APPRENTICE", "AS_WISHED"), ("APPRENTICE", "OTHER_CFA"), ("NO_NEWS", ""), ("REGISTERED", "OTHER_CFA")],
    }
    stage = (await gql.data(SUMMARY, {"filter": {"stage": "APPRENTICE"}}, key=national))["wishOutcomeSummary"]
    # Affelnet's t1 (wished at Z) is the same youth: an apprentice at X, so elsewhere
    assert stage == [{"stage": "APPRENTICE", "match": "AS_WISHED", "count": 0}, {"stage": "APPRENTICE", "match": "OTHER_CFA", "count": 0}]


async def test_reads_of_wishes_are_audited(gql, world, http, connection):
    await submit(gql, world["parcoursup"], [wish("x1"), wish("x2", ine=INE2)])
    await gql.data(WISHES, {}, key=world["parcoursup"])
    await gql.data(WISH, {"id": "x1"}, key=world["parcoursup"])
    await http.get("/exports/wishes.csv", headers={"Authorization": f"Bearer {world['parcoursup']}"})
    ids = dict((await connection.execute(text("SELECT portal_wish_id, id FROM wish"))).all())
    rows = (await connection.execute(text(
        "SELECT operation, wish_ids, cardinality(youth_ids) FROM audit_log WHERE operation LIKE 'wish%' ORDER BY id"
    ))).all()
    assert [(r[0], sorted(r[1]), r[2]) for r in rows] == [
        ("wishes", sorted(ids.values()), 2), ("wish", [ids["x1"]], 1), ("wishes.csv", sorted(ids.values()), 2),
    ]


async def test_the_export_streams_every_wish_with_its_outcome_and_checks_its_key(gql, world, http):
    await submit(gql, world["parcoursup"], [wish(f"e{i}", ine=f"{i:09d}AB") for i in range(12)])
    await gql.data(RECORD, {"input": [step("s1", "APPRENTICE", ine=f"{3:09d}AB", days_ago=2)]}, key=world["vendor"])
    key = {"Authorization": f"Bearer {world['parcoursup']}"}
    response = await http.get("/exports/wishes.csv", headers=key)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 12
    by_id = {row["portal_wish_id"]: row for row in rows}
    assert (by_id["e3"]["outcome_stage"], by_id["e3"]["outcome_match"], by_id["e3"]["outcome_uai"]) == ("APPRENTICE", "AS_WISHED", X)
    assert (by_id["e4"]["outcome_stage"], by_id["e4"]["outcome_match"]) == ("NO_NEWS", "")
    only = await http.get("/exports/wishes.csv", params={"stage": "APPRENTICE"}, headers=key)
    assert [row["portal_wish_id"] for row in csv.DictReader(io.StringIO(only.text))] == ["e3"]
    assert (await http.get("/exports/wishes.csv")).status_code == 401
    assert (await http.get("/exports/wishes.csv", headers={"Authorization": f"Bearer {world['vendor']}"})).status_code == 403
    bad = await http.get("/exports/wishes.csv", params={"outcomeChangedSince": "yesterday"}, headers=key)
    assert bad.status_code == 400 and bad.json()["errors"][0]["extensions"]["field"] == "outcomeChangedSince"


async def test_a_page_costs_the_same_statements_whatever_its_size(gql, world, queries):
    await submit(gql, world["parcoursup"], [wish(f"q{i}", ine=f"{i:09d}AB", uai=(X, Z)[i % 2]) for i in range(60)])
    await gql.data(RECORD, {"input": [step(f"s{i}", "REGISTERED", ine=f"{i:09d}AB", days_ago=3) for i in range(60)]}, key=world["vendor"])
    query = """query($first: Int) { wishes(first: $first) { totalCount edges { node {
        portalWishId cfa { uai name department { name region { name } } } certification { code title }
        outcome { stage match since cfa { uai } certification { code } } history { step cfa { uai } } } } } }"""
    counts = {}
    for first in (5, 50):
        queries.reset()
        page = (await gql.data(query, {"first": first}, key=world["parcoursup"]))["wishes"]
        assert len(page["edges"]) == first
        counts[first] = queries.count
    assert counts[5] == counts[50] <= 18, queries.statements  # 6 of them: the key, its last use, the rate limit, the tenant (3)


async def test_erasure_recomputes_the_outcome_of_the_youths_wishes(gql, world, admin, connection):
    await submit(gql, world["parcoursup"], [wish("z1")])
    await gql.data(RECORD, {"input": [step("e1", "APPRENTICE", days_ago=2)]}, key=world["vendor"])
    assert (await outcome_of(gql, world["parcoursup"], "z1"))["stage"] == "APPRENTICE"
    assert (await gql.data('mutation($ine: String) { eraseYouth(ine: $ine) }', {"ine": INE1}, key=admin.key))["eraseYouth"]
    assert (await outcome_of(gql, world["parcoursup"], "z1"))["stage"] == "NO_NEWS"
    assert (await connection.execute(text("SELECT youth_id FROM wish"))).scalar_one() is None


async def test_other_roles_cannot_use_the_portal_fields(gql, world, database):
    _, adviser = await new_client(database, Role.ADVISER, departments=["75"])
    for query in (WISHES, SUMMARY):
        error = await gql.error(query, {}, key=world["vendor"])
        assert error["extensions"]["code"] == "FORBIDDEN"
    assert (await gql.error(SUBMIT, {"input": [wish("v1")]}, key=world["vendor"]))["extensions"]["code"] == "FORBIDDEN"
    assert (await gql.error(WISHES, {}, key=adviser))["extensions"]["code"] == "FORBIDDEN"


async def test_a_correction_that_moves_a_step_to_another_youth_recomputes_the_wish(gql, world):
    await submit(gql, world["parcoursup"], [wish("d1")])
    linked = step("l1", "REGISTERED", ine=None, days_ago=10, portal="PARCOURSUP", portalWishId="d1")  # the wish's youth
    assert (await gql.data(RECORD, {"input": [linked]}, key=world["vendor"]))["recordSteps"]["accepted"] == 1
    assert (await outcome_of(gql, world["parcoursup"], "d1"))["stage"] == "REGISTERED"
    moved = step("l1", "REGISTERED", ine=INE2, days_ago=10)  # the vendor corrects: another youth's step, unlinked
    assert (await gql.data(RECORD, {"input": [moved]}, key=world["vendor"]))["recordSteps"]["accepted"] == 1
    assert (await outcome_of(gql, world["parcoursup"], "d1"))["stage"] == "NO_NEWS"


async def test_a_wish_names_its_offer_with_the_youths_enrolled_today(gql, world, connection, admin):
    await connection.execute(text("INSERT INTO certification (code, kind, title, verified) VALUES (:c, 'CFD', 'CAP', true)"), {"c": CAP})
    offer_id = (await connection.execute(text(
        "INSERT INTO offer (uai, offer_ref, certification_code, department_code, capacity, session_start, session_end)"
        " VALUES (:uai, 'ref-1', :cert, '75', 3, :start, :end) RETURNING id"
    ), {"uai": X, "cert": CAP, "start": TODAY - timedelta(days=90), "end": TODAY + timedelta(days=600)})).scalar_one()
    youths = [INE1, INE2, "1234A12345D", "1234567891D"]
    steps = [
        step("e1", "REGISTERED", ine=youths[0], days_ago=10),
        step("e2", "APPRENTICE", ine=youths[1], days_ago=10),
        step("e3", "DROPPED_OUT", ine=youths[2], days_ago=10),
        step("e4", "APPRENTICE", ine=youths[3], cert=BTS, days_ago=10),  # another training
    ]
    await gql.data(RECORD, {"input": steps}, key=world["vendor"])
    payload = await submit(gql, world["parcoursup"], [wish("o1", offerId=str(offer_id)), wish("o2", uai=Z, offerId=str(offer_id))])
    assert [(e["ref"], e["code"]) for e in payload["rejected"]] == [("o2", "UNKNOWN_OFFER")]  # an offer of another CFA
    query = 'query { wish(portalWishId: "o1") { offer { id capacity enrolled vacancies cfa { uai } certification { code } } } }'
    offer = (await gql.data(query, key=world["parcoursup"]))["wish"]["offer"]
    # 2 youths of its intake, protected for a portal (a multiple of 5: 0), the vacancies from what it shows
    assert offer == {"id": str(offer_id), "capacity": 3, "enrolled": 0, "vacancies": 3, "cfa": {"uai": X}, "certification": {"code": CAP}}
    exact = (await gql.data("query { offers { edges { node { id enrolled vacancies } } } }", key=admin.key))["offers"]
    assert exact["edges"] == [{"node": {"id": str(offer_id), "enrolled": 2, "vacancies": 1}}]


async def test_the_total_is_counted_only_when_asked_for(gql, world, queries):
    await submit(gql, world["parcoursup"], [wish(f"t{i}", ine=f"{i:09d}AB") for i in range(12)])
    plain = "{ wishes(first: 5) { edges { node { portalWishId } } } }"
    counted = "{ wishes(first: 5) { totalCount edges { node { portalWishId } } } }"
    by_fragment = "{ wishes(first: 5) { ...Total edges { node { portalWishId } } } } fragment Total on WishConnection { totalCount }"
    statements = {}
    for name, query in (("plain", plain), ("counted", counted), ("fragment", by_fragment)):
        queries.reset()
        page = (await gql.data(query, key=world["parcoursup"]))["wishes"]
        assert len(page["edges"]) == 5
        if name != "plain":
            assert page["totalCount"] == 12
        statements[name] = [s for s in queries.statements if "count(" in s.lower()]
    assert statements["plain"] == []  # a portal paging through its wishes pays no count
    assert len(statements["counted"]) == len(statements["fragment"]) == 1
