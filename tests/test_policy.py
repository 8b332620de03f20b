"""The one access policy (app/domain/policy.py) is complete, names nothing else, agrees with the
descriptions clients read, and is what the hub enforces on its HTTP endpoints (GraphQL fields:
tests/test_field_pairs.py and tests/test_hostile_arguments.py play every root field with every
role against the same table)."""

from __future__ import annotations

import re

import pytest
from starlette.routing import Route

from app.domain.actors import Role
from app.domain.policy import ACCESS, EVERY_ROLE, describe, roles_for
from app.main import create_app
from graphql_schema.schema import schema
from tests.factories import new_client

GRAPHQL = schema._schema
ROOT_FIELDS = {f"{t.name}.{name}" for t in (GRAPHQL.query_type, GRAPHQL.mutation_type) for name in t.fields}
KEYED_PREFIXES = ("/exports/", "/imports/")  # the HTTP endpoints that take an API key (besides /graphql)


def http_actions() -> set[str]:
    routes = [route for route in create_app().routes if isinstance(route, Route)]
    return {f"{method} {route.path}" for route in routes if route.path.startswith(KEYED_PREFIXES)
            for method in route.methods or () if method != "HEAD"}


def test_every_root_field_and_keyed_endpoint_has_its_line_and_nothing_else_has_one():
    assert set(ACCESS) == ROOT_FIELDS | http_actions()


@pytest.mark.parametrize("action", sorted(ROOT_FIELDS))
def test_each_root_fields_description_names_the_roles_the_policy_gives_it(action):
    type_name, name = action.split(".")
    description = getattr(GRAPHQL, f"{type_name.lower()}_type").fields[name].description
    named = {role for role in Role if re.search(rf"\b{role.value}\b", description)}
    expected = ACCESS[action]
    if expected == EVERY_ROLE:
        assert "Any role." in description and not named, description
    else:
        assert named == expected, description


def test_what_the_policy_does_not_name_is_nobodys():
    assert roles_for("Query.nothing") == frozenset()
    assert roles_for("GET /exports/secrets.csv") == frozenset()
    assert describe(frozenset()) == ""
    assert describe(frozenset({Role.ADMIN, Role.PILOT})) == "PILOT, ADMIN"  # the enum's order


REQUESTS = {  # a request each keyed endpoint answers without a 403 for a role the policy allows
    "GET /exports/wishes.csv": ("GET", "/exports/wishes.csv", None),
    "GET /exports/at-risk.csv": ("GET", "/exports/at-risk.csv", None),
    "GET /exports/headcounts.csv": ("GET", "/exports/headcounts.csv?groupBy=DEPARTMENT", None),
    "GET /exports/conversion.csv": ("GET", "/exports/conversion.csv?groupBy=DEPARTMENT", None),
    "POST /imports/offers": ("POST", "/imports/offers", b"offerRef,uai\n"),
}


def test_every_keyed_endpoint_is_played():
    assert set(REQUESTS) == http_actions()


async def test_each_keyed_endpoint_answers_each_role_as_the_policy_says(http, database):
    keys = {}
    for role in Role:
        _, keys[role] = await new_client(database, role, departments=["75"] if role in (Role.ADVISER, Role.PILOT) else None)
    for action, (method, path, body) in REQUESTS.items():
        for role, key in keys.items():
            response = await http.request(method, path, content=body, headers={"Authorization": f"Bearer {key}"})
            if role in roles_for(action):
                assert response.status_code != 403, (action, role, response.text)
            else:
                assert response.status_code == 403, (action, role, response.status_code)
                assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        anonymous = await http.request(method, path, content=body)
        assert anonymous.status_code == 401, action
