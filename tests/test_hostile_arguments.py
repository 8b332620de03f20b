"""Every argument of every root field, and every field of their input objects, played with
hostile values (NUL characters, the ends and the outside of the calendar, ids beyond 64 bits,
other scripts' digits, empty and oversized lists) by a client allowed to call the field: never a
5xx, and a code on every error, none of them unexpected."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    get_named_type,
)

from app.domain.actors import Portal, Role
from app.domain.policy import roles_for
from graphql_schema.schema import schema
from tests.factories import new_cfa, new_client

GRAPHQL = schema._schema
ROLES_OF = {
    type_name: {name: roles_for(f"{type_name}.{name}") for name in getattr(GRAPHQL, f"{type_name.lower()}_type").fields}
    for type_name in ("Query", "Mutation")
}
PREFERRED = (Role.ADMIN, Role.VENDOR, Role.PORTAL, Role.ADVISER, Role.PILOT)

BASELINE = {"String": "x", "ID": "1", "Int": 1, "Boolean": False, "Date": "2026-09-01", "DateTime": "2026-09-01T00:00:00+00:00"}
HOSTILE = {
    "String": ["\x00", "a\x00b", "", " ", "x" * 5_000, "'\";--\\%_", "é漢🎓", "٣٣"],
    "ID": ["\x00", "9" * 25, "18446744073709551616", "-1", "0", "٣", "00000000-0000-0000-0000-000000000000"],
    "Int": [2**31 - 1, -(2**31), 0, -1],
    "Boolean": [True],
    "Date": ["1900-01-01", "2100-12-31", "0001-01-01", "9999-12-31", "2026-02-30", "", "20261301"],
    "DateTime": ["1900-01-01T00:00:00+00:00", "2100-12-31T23:59:59+14:00", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z",
                 "2026-01-01T00:00:00", "2026-01-01T00:00:00-23:59", "\x00"],
}


def baseline(graphql_type: Any) -> Any:
    if isinstance(graphql_type, GraphQLNonNull):
        return baseline(graphql_type.of_type)
    if isinstance(graphql_type, GraphQLList):
        return [baseline(graphql_type.of_type)]
    if isinstance(graphql_type, GraphQLEnumType):
        return next(iter(graphql_type.values))
    if isinstance(graphql_type, GraphQLInputObjectType):
        return {name: baseline(field.type) for name, field in graphql_type.fields.items() if isinstance(field.type, GraphQLNonNull)}
    return BASELINE[graphql_type.name]


def hostile(graphql_type: Any, depth: int = 0) -> list[Any]:
    """Values of this type a careless or hostile client may send."""
    if isinstance(graphql_type, GraphQLNonNull):
        return hostile(graphql_type.of_type, depth)
    if isinstance(graphql_type, GraphQLList):
        items = hostile(graphql_type.of_type, depth)
        return [[], *([item] for item in items), [baseline(graphql_type.of_type)] * 2_500]
    if isinstance(graphql_type, GraphQLEnumType):
        return list(graphql_type.values)
    if isinstance(graphql_type, GraphQLInputObjectType):
        if depth:
            return [{}]
        values = []
        for name, field in graphql_type.fields.items():
            for value in hostile(field.type, depth + 1):
                values.append(baseline(graphql_type) | {name: value})
        return values or [{}]
    return HOSTILE[graphql_type.name]


def selection(field: GraphQLField) -> str:
    return " { __typename }" if isinstance(get_named_type(field.type), GraphQLObjectType) else ""


def cases() -> list[tuple[str, str, str, Role, str, dict]]:
    out = []
    for type_name, operation in (("Query", "query"), ("Mutation", "mutation")):
        root = GRAPHQL.get_type(type_name)
        for field_name, field in root.fields.items():
            if not field.args:
                continue
            allowed = ROLES_OF[type_name][field_name]
            role = next(r for r in PREFERRED if r in allowed)
            declared = ", ".join(f"${name}: {argument.type}" for name, argument in field.args.items())
            passed = ", ".join(f"{name}: ${name}" for name in field.args)
            document = f"{operation}({declared}) {{ {field_name}({passed}){selection(field)} }}"
            base = {name: baseline(a.type) for name, a in field.args.items() if isinstance(a.type, GraphQLNonNull)}
            for name, argument in field.args.items():
                for value in hostile(argument.type):
                    out.append((f"{field_name}.{name}", document, field_name, role, name, base | {name: value}))
    return out


CASES = cases()


def test_every_argument_is_played():
    played = {case[0] for case in CASES}
    expected = {f"{f}.{a}" for t in ("Query", "Mutation") for f, field in GRAPHQL.get_type(t).fields.items() for a in field.args}
    assert played == expected and len(CASES) > 500


@pytest.fixture
async def keys(database, admin):
    vendor_row, vendor = await new_client(database, Role.VENDOR)
    await new_cfa(database, "0751234J", consent=True, vendors=[vendor_row.id], admin=admin.principal)
    _, portal = await new_client(database, Role.PORTAL, portal=Portal.PARCOURSUP)
    _, adviser = await new_client(database, Role.ADVISER, departments=["75"])
    _, pilot = await new_client(database, Role.PILOT)
    return {Role.ADMIN: admin.key, Role.VENDOR: vendor, Role.PORTAL: portal, Role.ADVISER: adviser, Role.PILOT: pilot}


async def test_hostile_arguments_never_make_the_hub_fail(http, keys):
    codes: dict[str, int] = {}
    for label, document, _, role, _, variables in CASES:
        response = await http.post("/graphql", json={"query": document, "variables": variables},
                                   headers={"Authorization": f"Bearer {keys[role]}"})
        assert response.status_code in (200, 400, 413), (label, variables, response.status_code, response.text[:300])
        body = response.json()
        for error in body.get("errors") or []:
            code = error.get("extensions", {}).get("code")
            assert code and code not in {"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE"}, (label, str(variables)[:200], body)
            codes[code] = codes.get(code, 0) + 1
    assert {"BAD_USER_INPUT"} <= codes.keys(), codes
