"""Scope isolation, generated: each role sends hundreds of requests drawn at random (fixed seeds)
from every filter, the other roles' identifiers and the other scopes' cursors; not one row outside
the caller's scope comes back."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from app.domain.actors import Portal, Role
from app.domain.dates import today as france_today
from tests.factories import new_cfa, new_client

CFAS = {"0751234J": "75", "0750654D": "75", "0690001B": "69", "0690002C": "69", "6200002H": "2A"}
DEPARTMENTS = ["75", "69", "2A", "92", "13"]
RECORD = "mutation($i: [StepInput!]!) { recordSteps(input: $i) { accepted } }"
SUBMIT = "mutation($i: [WishInput!]!) { submitWishes(input: $i) { accepted } }"
WISHES = """query($f: WishFilter, $after: String, $first: Int) { wishes(filter: $f, after: $after, first: $first) {
  edges { cursor node { portal portalWishId cfa { uai } } } pageInfo { endCursor } } }"""
WISH = "query($id: String!) { wish(portalWishId: $id) { portal portalWishId } }"
AT_RISK = """query($f: AtRiskFilter, $after: String, $first: Int) { atRiskYouths(filter: $f, after: $after, first: $first) {
  edges { cursor node { department { code } youth { ine } } } pageInfo { endCursor } } }"""
HEADCOUNTS = "query($by: HeadcountDimension!, $f: HeadcountFilter) { headcounts(groupBy: $by, filter: $f) { key } }"
SUMMARY = "query($f: WishFilter) { wishOutcomeSummary(filter: $f) { count } }"
REQUESTS = 2000  # per test: about a thousand per role


@pytest.fixture
async def world(gql, database, admin):
    vendor, vendor_key = await new_client(database, Role.VENDOR)
    for uai, department in CFAS.items():
        await new_cfa(database, uai, department=department, consent=True, vendors=[vendor.id], admin=admin.principal)
    keys = {
        "parcoursup": (await new_client(database, Role.PORTAL, portal=Portal.PARCOURSUP))[1],
        "affelnet": (await new_client(database, Role.PORTAL, portal=Portal.AFFELNET))[1],
        "paris": (await new_client(database, Role.ADVISER, departments=["75"]))[1],
        "lyon": (await new_client(database, Role.ADVISER, departments=["69"]))[1],
        "pilot75": (await new_client(database, Role.PILOT, departments=["75"]))[1],
    }
    day = (france_today() - timedelta(days=120)).isoformat()
    steps, wishes = [], {"parcoursup": [], "affelnet": []}
    for i, uai in enumerate(list(CFAS) * 4):
        ine = f"{i:09d}AB"
        steps.append({"eventId": f"e{i}", "uai": uai, "ine": ine, "certification": "50022141", "step": "REGISTERED",
                      "effectiveDate": day})
        portal = ("parcoursup", "affelnet")[i % 2]
        wishes[portal].append({"portalWishId": f"{portal[0]}-{i}", "ine": ine, "uai": uai, "certification": "50022141",
                               "submittedAt": (datetime.now(UTC) - timedelta(days=150)).isoformat()})
    await gql.data(RECORD, {"i": steps}, key=vendor_key)
    for portal, records in wishes.items():
        await gql.data(SUBMIT, {"i": records}, key=keys[portal])
    # what each scope may hand another: cursors and ids
    cursors = []
    for key, query in ((keys["parcoursup"], WISHES), (keys["affelnet"], WISHES), (keys["paris"], AT_RISK), (keys["lyon"], AT_RISK)):
        data = await gql.data(query, {"first": 3}, key=key)
        cursors += [edge["cursor"] for edge in next(iter(data.values()))["edges"]]
    ids = [w["portalWishId"] for records in wishes.values() for w in records]
    return keys, cursors, ids


async def answer(gql, query, variables, key):
    """The data; None when a cursor of another list was refused, which tells nothing either."""
    body = await gql(query, variables, key=key)
    if "errors" in body:
        assert [e["extensions"].get("reason") for e in body["errors"]] == ["INVALID_CURSOR"], body["errors"]
        return None
    return body["data"]


def maybe(rng: random.Random, value):
    return value if rng.random() < 0.5 else None


async def test_a_portal_sees_only_its_own_wishes_whatever_it_sends(gql, world):
    keys, cursors, ids = world
    rng = random.Random(8)
    for _ in range(REQUESTS):
        portal = rng.choice(["parcoursup", "affelnet"])
        key, own = keys[portal], portal.upper()
        f = {k: v for k, v in (
            ("uai", maybe(rng, rng.choice(list(CFAS)))),
            ("stage", maybe(rng, rng.choice(["NO_NEWS", "HANDLED", "REGISTERED", "LEFT"]))),
            ("submittedFrom", maybe(rng, (datetime.now(UTC) - timedelta(days=rng.randint(1, 400))).isoformat())),
        ) if v is not None}
        kind = rng.choice(["list", "one", "summary"])
        if kind == "list":
            data = await answer(gql, WISHES, {"f": f, "after": maybe(rng, rng.choice(cursors)), "first": rng.randint(1, 500)}, key)
            if data is None:
                continue
            assert {e["node"]["portal"] for e in data["wishes"]["edges"]} <= {own}
            assert all(e["node"]["portalWishId"].startswith(portal[0]) for e in data["wishes"]["edges"])
        elif kind == "one":
            wish_id = rng.choice(ids)
            found = (await gql.data(WISH, {"id": wish_id}, key=key))["wish"]
            assert (found is not None) == wish_id.startswith(portal[0])
            assert found is None or found["portal"] == own
        else:
            total = sum(r["count"] for r in (await gql.data(SUMMARY, {"f": f}, key=key))["wishOutcomeSummary"])
            assert total <= 10  # 10 of the 20 wishes are this portal's


async def test_an_adviser_or_a_pilot_never_sees_outside_its_departments(gql, world):
    keys, cursors, _ = world
    scopes = {"paris": {"75"}, "lyon": {"69"}}
    rng = random.Random(9)
    for _ in range(REQUESTS):
        adviser = rng.choice(["paris", "lyon"])
        departments = maybe(rng, rng.sample(DEPARTMENTS, rng.randint(0, 4)))
        reasons = maybe(rng, rng.sample(["NO_CONTRACT", "DROPPED_OUT", "WISH_NOT_HANDLED"], rng.randint(0, 2)))
        f = {k: v for k, v in (("departments", departments), ("reasons", reasons)) if v is not None}
        data = await answer(gql, AT_RISK, {"f": f, "after": maybe(rng, rng.choice(cursors)), "first": rng.randint(1, 500)},
                            keys[adviser])
        seen = set() if data is None else {e["node"]["department"]["code"] for e in data["atRiskYouths"]["edges"]}
        assert seen <= scopes[adviser], (adviser, f, seen)
        group = rng.choice(["NATIONAL", "REGION", "DEPARTMENT", "CFA", "CERTIFICATION"])
        rows = (await gql.data(HEADCOUNTS, {"by": group, "f": {"departments": departments} if departments else None},
                               key=keys["pilot75"]))["headcounts"]
        keys_seen = {r["key"] for r in rows}
        allowed = {"DEPARTMENT": {"75"}, "REGION": {"11"}, "CFA": {u for u, d in CFAS.items() if d == "75"}}.get(group)
        if allowed is not None:
            assert keys_seen <= allowed, (group, departments, keys_seen)


async def test_row_level_security_holds_when_the_application_filter_is_gone(gql, world, monkeypatch):
    """The second wall: the queries lose their portal and department conditions; PostgreSQL's
    policies for the tenant still return only the tenant's rows."""
    from app.repositories.risks import RiskQuery
    from app.repositories.wishes import WishQuery

    keys, _, _ = world
    original_wish_where, original_risk_where = WishQuery.where, RiskQuery.where

    def wish_where_without_portal(self, args):
        return original_wish_where(WishQuery(**{**self.__dict__, "portal": None}), args)

    def risk_where_without_departments(self, args):
        return original_risk_where(RiskQuery(**{**self.__dict__, "departments": None}), args)

    monkeypatch.setattr(WishQuery, "where", wish_where_without_portal)
    monkeypatch.setattr(RiskQuery, "where", risk_where_without_departments)
    for portal in ("parcoursup", "affelnet"):
        page = (await gql.data(WISHES, {"first": 500}, key=keys[portal]))["wishes"]
        assert {e["node"]["portal"] for e in page["edges"]} == {portal.upper()}
        assert len(page["edges"]) == 10
    for adviser, department in (("paris", "75"), ("lyon", "69")):
        page = (await gql.data(AT_RISK, {"first": 500}, key=keys[adviser]))["atRiskYouths"]
        assert page["edges"] and {e["node"]["department"]["code"] for e in page["edges"]} == {department}
    # the same queries without the wall would have shown everything: the monkeypatch is real
    monkeypatch.setattr("app.db.RequestSession.walled", __import__("contextlib").asynccontextmanager(_no_wall))
    page = (await gql.data(WISHES, {"first": 500}, key=keys["parcoursup"]))["wishes"]
    assert {e["node"]["portal"] for e in page["edges"]} == {"PARCOURSUP", "AFFELNET"}


async def _no_wall(self, setting, value):
    yield
