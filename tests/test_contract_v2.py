"""Contract version 2 (graphql_schema/contract-v2.graphql, a copy of shared/contract/hub-v2.graphql):
what of it is served, and what is not yet.

Every v2 item is either served or listed in ``PENDING``. An item is a schema coordinate the v2
contract adds to version 1 (a type, a field, an argument, an enum value: served when the served
schema has it), a coordinate whose line is marked "v2" although version 1 had it ("… (meaning)":
what it means changed; served when the issue that gives it that meaning has landed), or a
directive on a scalar. Each issue takes its items out of ``PENDING``; nothing puts one back.
When ``PENDING`` is empty, version 2 is done.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import (
    DocumentNode,
    EnumTypeDefinitionNode,
    FieldDefinitionNode,
    GraphQLScalarType,
    InputObjectTypeDefinitionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    parse,
)

from graphql_schema.schema import schema

ROOT = Path(__file__).resolve().parent.parent
CONTRACT_V1 = ROOT / "graphql_schema" / "contract.graphql"
CONTRACT_V2 = ROOT / "graphql_schema" / "contract-v2.graphql"  # the project's copy
SHARED_V2 = ROOT.parent / "shared" / "contract" / "hub-v2.graphql"

# The v2 items not served yet, by the issue that serves them. Shorten it; never lengthen it.
PENDING = {
    # issue 18: youths without an INE, organisations
    # issue 19: the CFA and its vendors as actors
    "Client.uais",
    "Mutation.createClient (meaning)",
    "Mutation.createClient(uais:)",
    "Mutation.createWebhook",
    "Mutation.createWebhook(events:)",
    "Mutation.createWebhook(url:)",
    "Mutation.deleteWebhook",
    "Mutation.deleteWebhook(id:)",
    "Mutation.recordSteps (meaning)",  # "and a request" is served (issue 14); dryRun is issue 19's
    "Mutation.recordSteps(dryRun:)",
    "Mutation.setMyConsent",
    "Mutation.setMyConsent(given:)",
    "Mutation.setMyConsent(uai:)",
    "Mutation.setMyConsent(vendorClientIds:)",
    "NewWebhook",
    "Query.myCfas",
    "Query.myCfas(after:)",
    "Query.myCfas(first:)",
    "Query.myWebhooks",
    "Role.CFA",
    "Webhook",
    "WebhookEvent",
    # issue 20: the ecosystem (Relay, scalars)
    "Date@specifiedBy",
    "DateTime@specifiedBy",
    "PageInfo (meaning)",
    "PageInfo.hasPreviousPage",
    "PageInfo.startCursor",
}


def _coordinates(document: DocumentNode) -> dict[str, int]:
    """Every schema coordinate the document defines, with the line where its definition starts."""
    found: dict[str, int] = {}

    def line(node: object) -> int:
        return node.loc.source.get_location(node.loc.start).line  # type: ignore[attr-defined]

    for definition in document.definitions:
        name = definition.name.value  # type: ignore[attr-defined]
        found[name] = line(definition)
        if isinstance(definition, EnumTypeDefinitionNode):
            for value in definition.values or ():
                found[f"{name}.{value.name.value}"] = line(value)
        elif isinstance(definition, (ObjectTypeDefinitionNode, InterfaceTypeDefinitionNode, InputObjectTypeDefinitionNode)):
            for field in definition.fields or ():
                found[f"{name}.{field.name.value}"] = line(field)
                if isinstance(field, FieldDefinitionNode):
                    for argument in field.arguments or ():
                        found[f"{name}.{field.name.value}({argument.name.value}:)"] = line(argument)
        elif isinstance(definition, ScalarTypeDefinitionNode):
            for directive in definition.directives or ():
                found[f"{name}@{directive.name.value}"] = line(definition)
        assert not isinstance(definition, InputValueDefinitionNode)
    return found


def _owner(coordinate: str) -> str:
    """The type a coordinate belongs to (itself for a type)."""
    return coordinate.split(".")[0].split("@")[0]


def v2_items() -> set[str]:
    """What version 2 adds (new coordinates) or says anew (coordinates on lines marked v2)."""
    text = CONTRACT_V2.read_text()
    old, new = _coordinates(parse(CONTRACT_V1.read_text())), _coordinates(parse(text))
    # a new type's fields, values and arguments come with it: the type is the item
    items = {c for c in new if c not in old and (_owner(c) == c or _owner(c) in old)}
    # lines marked v2, but comment lines (the file's header names no coordinate)
    marked = {number for number, line in enumerate(text.splitlines(), start=1)
              if "v2" in line and not line.lstrip().startswith("#")}
    starting = {}
    for coordinate, number in new.items():  # the first (outermost) coordinate starting on each line
        starting.setdefault(number, coordinate)
    for number in sorted(marked):
        coordinate = starting.get(number)
        if coordinate is None:
            items.add(f"(line {number})")  # a mark this parser cannot place: look at it
        elif coordinate in old:
            items.add(f"{coordinate} (meaning)")
    return items


def served(item: str) -> bool | None:
    """Whether the served schema has a structural item; None for a meaning, which no schema shows."""
    if item.endswith(" (meaning)") or item.startswith("("):
        return None
    graphql_schema = schema._schema
    name, _, rest = item.partition(".")
    if "@" in name:
        scalar_name, directive = name.split("@")
        scalar = graphql_schema.type_map.get(scalar_name)
        return isinstance(scalar, GraphQLScalarType) and directive == "specifiedBy" and bool(scalar.specified_by_url)
    named = graphql_schema.type_map.get(name)
    if named is None or not rest:
        return named is not None
    field_name, _, argument = rest.partition("(")
    if hasattr(named, "values"):
        return field_name in named.values
    field = named.fields.get(field_name)  # type: ignore[union-attr]
    if field is None or not argument:
        return field is not None
    return argument.rstrip(":)") in getattr(field, "args", {})


def test_project_copy_of_the_v2_contract_is_current():
    if not SHARED_V2.exists():
        pytest.skip(f"no shared v2 contract beside the project ({SHARED_V2}); the copy is used alone")
    assert CONTRACT_V2.read_text() == SHARED_V2.read_text(), (
        "shared/contract/hub-v2.graphql changed: copy it to graphql_schema/contract-v2.graphql"
    )


def test_pending_names_only_v2_items():
    assert sorted(PENDING - v2_items()) == []


def test_every_v2_item_not_pending_is_served():
    missing = sorted(item for item in v2_items() - PENDING if served(item) is False)
    assert missing == [], "served nowhere and not pending: serve them or, if an issue reopened, say so in PENDING"


def test_no_pending_item_is_already_served():
    done = sorted(item for item in PENDING if served(item))
    assert done == [], "served already: take these out of PENDING"


def test_the_v2_contract_adds_and_breaks_nothing_of_version_1():
    """hub-v2.graphql is a strict superset: its own additions never rename or remove."""
    from graphql import build_schema, find_breaking_changes

    changes = find_breaking_changes(build_schema(CONTRACT_V1.read_text()), build_schema(CONTRACT_V2.read_text()))
    assert [c.description for c in changes] == []
