"""Every pair of root query fields, for every role: a forbidden or failing field answers its own
error, and the other field its data wherever null propagation lets it through (GraphQL's rules),
never a failed transaction for the whole request. A field's error cancels its running siblings
(graphql-core), and a statement cut halfway used to leave the request's session unusable: the
PILOT's ``{ headcounts atRiskYouths }`` answered "commit failed"."""

from __future__ import annotations

import itertools

import pytest
from graphql import GraphQLNonNull

from app.domain.actors import Role
from app.domain.policy import roles_for
from graphql_schema.schema import schema
from tests.factories import consenting_vendor, new_client

SELECTIONS = {
    "me": "me { name role }",
    "cfa": 'cfa(uai: "0751234J") { uai name }',
    "cfas": "cfas(first: 2) { totalCount edges { node { uai } } }",
    "certification": 'certification(code: "50022141") { code verified }',
    "youth": 'youth(ine: "123456789AB") { ine }',
    "offers": "offers(first: 2) { totalCount }",
    "wishes": "wishes(first: 2) { totalCount edges { node { portalWishId outcome { stage } } } }",
    "wish": 'wish(portalWishId: "PS-1") { portalWishId }',
    "wishOutcomeSummary": "wishOutcomeSummary { stage match count }",
    "myRejections": "myRejections(first: 2) { totalCount }",
    "atRiskYouths": "atRiskYouths(first: 2) { totalCount }",
    "headcounts": "headcounts(groupBy: NATIONAL, on: \"2026-10-01\") { key apprentices registered }",
    "headcountSeries": 'headcountSeries(from: "2026-09-01", to: "2026-10-31", interval: MONTH, groupBy: NATIONAL)'
                       " { on rows { apprentices } }",
    "wishConversion": "wishConversion(groupBy: DEPARTMENT) { key wishes handled }",
    "transmissionCoverage": "transmissionCoverage(groupBy: DEPARTMENT) { key cfas transmitting apprentices }",
}
QUERY_FIELDS = dict(schema._schema.query_type.fields)
ROLES_OF = {name: roles_for(f"Query.{name}") for name in QUERY_FIELDS}


def test_every_root_query_field_is_played():
    assert sorted(SELECTIONS) == sorted(QUERY_FIELDS)


@pytest.fixture
async def keys(database, settings, gql, admin):
    vendor = await consenting_vendor(database, settings.key_pepper.get_secret_value())
    step = {"eventId": "e1", "uai": "0751234J", "ine": "123456789AB", "certification": "50022141",
            "step": "REGISTERED", "effectiveDate": "2026-09-15"}
    done = await gql.data("mutation($s: [StepInput!]!) { recordSteps(input: $s) { accepted } }", {"s": [step]},
                          key=vendor.api_key)
    assert done["recordSteps"]["accepted"] == 1
    _, portal = await new_client(database, Role.PORTAL)
    wish = {"portalWishId": "PS-1", "ine": "123456789AB", "uai": "0751234J", "certification": "50022141",
            "submittedAt": "2026-09-01T10:00:00+02:00"}
    done = await gql.data("mutation($w: [WishInput!]!) { submitWishes(input: $w) { accepted } }", {"w": [wish]}, key=portal)
    assert done["submitWishes"]["accepted"] == 1
    _, adviser = await new_client(database, Role.ADVISER, departments=["75"])
    _, pilot = await new_client(database, Role.PILOT)
    return {Role.ADMIN: admin.key, Role.VENDOR: vendor.api_key, Role.PORTAL: portal, Role.ADVISER: adviser,
            Role.PILOT: pilot}


async def test_every_pair_of_root_fields_answers_each_field_on_its_own(gql, keys):
    for role, key in keys.items():
        alone = {}
        for name, selection in SELECTIONS.items():
            body = await gql("{ %s }" % selection, key=key)
            if role in ROLES_OF[name]:
                assert "errors" not in body, (role, name, body)
                alone[name] = body["data"][name]
            else:
                assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], (role, name, body)
        for first, second in itertools.combinations(SELECTIONS, 2):
            body = await gql("{ %s %s }" % (SELECTIONS[first], SELECTIONS[second]), key=key)
            forbidden = [name for name in (first, second) if role not in ROLES_OF[name]]
            said = sorted((e["path"][0], e["extensions"]["code"]) for e in body.get("errors") or [])
            if any(isinstance(QUERY_FIELDS[name].type, GraphQLNonNull) for name in forbidden):
                # null propagates to the root; the other field, cancelled, may say nothing
                assert body["data"] is None and said and set(said) <= {(n, "FORBIDDEN") for n in forbidden}, (
                    role, first, second, body)
                continue
            assert said == [(name, "FORBIDDEN") for name in sorted(forbidden)], (role, first, second, body)
            expected = {name: (None if name in forbidden else alone[name]) for name in (first, second)}
            assert body["data"] == expected, (role, first, second, body)
