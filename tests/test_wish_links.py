"""A wish is the window a portal has on a youth: a step linked to it is the wish's youth's or is
refused, and the window opens on the wish's day, never earlier (DOMAIN.md, rules 2027.1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.actors import Portal, Role
from tests.factories import new_cfa, new_client
from tests.test_wishes import CAP, INE1, INE2, SUBMIT, WISH, X, Z, step, wish

REJECTIONS = "{ myRejections(first: 10) { totalCount edges { node { operation error { index ref field code } } } } }"
SENT = """mutation($input: [StepInput!]!) {
  recordSteps(input: $input) { accepted unchanged rejected { index ref field code } } }"""


@pytest.fixture
async def world(database, admin):
    vendor, vendor_key = await new_client(database, Role.VENDOR, name="Ymag")
    intruder, intruder_key = await new_client(database, Role.VENDOR, name="Other vendor")
    _, parcoursup = await new_client(database, Role.PORTAL, name="Parcoursup", portal=Portal.PARCOURSUP)
    await new_cfa(database, X, department="75", consent=True, vendors=[vendor.id], admin=admin.principal)
    await new_cfa(database, Z, department="75", consent=True, vendors=[intruder.id], admin=admin.principal)
    return {"vendor": vendor_key, "intruder": intruder_key, "parcoursup": parcoursup}


async def read(gql, key, wish_id):
    return (await gql.data(WISH, {"id": wish_id}, key=key))["wish"]


async def test_a_step_linked_to_another_youths_wish_is_refused_and_changes_nothing(gql, world):
    await gql.data(SUBMIT, {"input": [wish("w1")]}, key=world["parcoursup"])  # INE1's wish
    # another vendor, guessing the id, links its own youth's contract to it; its other record is stored
    attack = [step("a1", "APPRENTICE", ine=INE2, uai=Z, days_ago=5, portal="PARCOURSUP", portalWishId="w1"),
              step("a2", "MEETING", ine=INE2, uai=Z, days_ago=5)]
    result = (await gql.data(SENT, {"input": attack}, key=world["intruder"]))["recordSteps"]
    assert result == {"accepted": 1, "unchanged": 0,
                      "rejected": [{"index": 0, "ref": "a1", "field": "portalWishId", "code": "WISH_YOUTH_MISMATCH"}]}
    found = await read(gql, world["parcoursup"], "w1")
    assert found["outcome"]["stage"] == "NO_NEWS" and found["history"] == []


async def test_a_linked_step_without_ine_is_the_wish_youths(gql, world):
    await gql.data(SUBMIT, {"input": [wish("w1")]}, key=world["parcoursup"])
    linked = step("l1", "REGISTERED", ine=None, days_ago=5, portal="PARCOURSUP", portalWishId="w1")
    assert (await gql.data(SENT, {"input": [linked]}, key=world["vendor"]))["recordSteps"]["accepted"] == 1
    found = await read(gql, world["parcoursup"], "w1")
    assert found["outcome"]["stage"] == "REGISTERED" and [e["step"] for e in found["history"]] == ["REGISTERED"]
    # the youth's own later step, by INE, is the same youth's: the wish follows it
    later = step("l2", "APPRENTICE", ine=INE1, days_ago=1)
    assert (await gql.data(SENT, {"input": [later]}, key=world["vendor"]))["recordSteps"]["accepted"] == 1
    assert [e["step"] for e in (await read(gql, world["parcoursup"], "w1"))["history"]] == ["REGISTERED", "APPRENTICE"]


async def test_a_linked_step_without_ine_naming_no_known_wish_is_refused(gql, world):
    orphan = step("o1", "REGISTERED", ine=None, days_ago=5, portal="PARCOURSUP", portalWishId="nope")
    result = (await gql.data(SENT, {"input": [orphan, step("o2", "MEETING")]}, key=world["vendor"]))["recordSteps"]
    assert result["accepted"] == 1
    assert result["rejected"] == [{"index": 0, "ref": "o1", "field": "ine", "code": "IDENTITY_MISSING"}]
    unlinked = step("o3", "REGISTERED", ine=None, days_ago=5)
    assert (await gql.data(SENT, {"input": [unlinked]}, key=world["vendor"]))["recordSteps"]["rejected"][0]["code"] == (
        "IDENTITY_MISSING")


async def test_a_mismatched_step_sent_before_its_wish_is_left_out_and_reported(gql, world):
    early = [step("e1", "APPRENTICE", ine=INE2, days_ago=5, portal="PARCOURSUP", portalWishId="w1"),  # INE2: not the wish's
             step("e2", "MEETING", ine=INE1, days_ago=4, portal="PARCOURSUP", portalWishId="w1")]  # the right youth
    assert (await gql.data(SENT, {"input": early}, key=world["vendor"]))["recordSteps"]["accepted"] == 2
    assert (await gql.data(REJECTIONS, key=world["vendor"]))["myRejections"]["totalCount"] == 0
    await gql.data(SUBMIT, {"input": [wish("w1")]}, key=world["parcoursup"])
    found = await read(gql, world["parcoursup"], "w1")
    assert (found["outcome"]["stage"], [e["step"] for e in found["history"]]) == ("HANDLED", ["MEETING"])
    rejections = (await gql.data(REJECTIONS, key=world["vendor"]))["myRejections"]
    assert [edge["node"] for edge in rejections["edges"]] == [{"operation": "recordSteps", "error": {
        "index": -1, "ref": "e1", "field": "portalWishId", "code": "WISH_YOUTH_MISMATCH"}}]
    # sent again unchanged, the wish reports nothing twice
    await gql.data(SUBMIT, {"input": [wish("w1")]}, key=world["parcoursup"])
    assert (await gql.data(REJECTIONS, key=world["vendor"]))["myRejections"]["totalCount"] == 1


@pytest.mark.parametrize(("age", "accepted"), [
    (timedelta(days=399, hours=23), True), (timedelta(days=400, minutes=1), False), (timedelta(days=3000), False),
    (-timedelta(minutes=2), True), (-timedelta(hours=1), False), (-timedelta(days=365), False),
])
async def test_a_wish_is_dated_at_most_400_days_back_and_never_ahead(gql, world, age, accepted):
    at = datetime.now(UTC) - age
    result = (await gql.data(SUBMIT, {"input": [wish("d1", at=at), wish("d2")]}, key=world["parcoursup"]))["submitWishes"]
    if accepted:
        assert (result["accepted"], result["rejected"]) == (2, [])
    else:
        assert result["accepted"] == 1
        assert [(r["index"], r["field"], r["code"]) for r in result["rejected"]] == [(0, "submittedAt", "INVALID_DATE")]


async def test_a_wish_opens_no_window_on_the_youths_past(gql, world):
    past = [step("p1", "REGISTERED", days_ago=300), step("p2", "DROPPED_OUT", days_ago=200),
            step("p3", "MEETING", days_ago=20, portal="PARCOURSUP", portalWishId="b1")]  # linked, before the wish
    assert (await gql.data(SENT, {"input": past}, key=world["vendor"]))["recordSteps"]["accepted"] == 3
    backdated = wish("b0", at=datetime(2000, 1, 1, tzinfo=UTC))
    result = (await gql.data(SUBMIT, {"input": [backdated]}, key=world["parcoursup"]))["submitWishes"]
    assert result["rejected"][0]["code"] == "INVALID_DATE"
    recent = wish("b1", at=datetime.now(UTC) - timedelta(days=10))
    assert (await gql.data(SUBMIT, {"input": [recent]}, key=world["parcoursup"]))["submitWishes"]["accepted"] == 1
    found = await read(gql, world["parcoursup"], "b1")
    assert found["history"] == [] and found["outcome"]["stage"] == "NO_NEWS"  # the linked MEETING came before the wish
    assert found["certification"] == {"code": CAP}


async def test_a_linked_step_with_a_nir_alone_is_the_wish_youths_without_nir_matching(gql, world):
    from tests.test_logs import synthetic_nir

    await gql.data(SUBMIT, {"input": [wish("n1")]}, key=world["parcoursup"])
    linked = step("n1", "REGISTERED", ine=None, nir=synthetic_nir(7), days_ago=5, portal="PARCOURSUP", portalWishId="n1")
    assert (await gql.data(SENT, {"input": [linked]}, key=world["vendor"]))["recordSteps"]["accepted"] == 1
    assert (await read(gql, world["parcoursup"], "n1"))["outcome"]["stage"] == "REGISTERED"
    unlinked = step("n2", "REGISTERED", ine=None, nir=synthetic_nir(7), days_ago=5)
    assert (await gql.data(SENT, {"input": [unlinked]}, key=world["vendor"]))["recordSteps"]["rejected"][0]["code"] == (
        "IDENTITY_MISSING")  # a NIR alone attaches to nobody without NIR matching (issue 18)
