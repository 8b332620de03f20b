"""The served schema keeps the public contract, the committed SDL, and deny-by-default access."""

from __future__ import annotations

from pathlib import Path

from graphql import DangerousChangeType, build_schema, find_breaking_changes, find_dangerous_changes

from graphql_schema.permissions import guarded
from graphql_schema.schema import schema

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT / "graphql_schema" / "contract.graphql"  # the project's copy
SHARED_CONTRACT = ROOT.parent / "shared" / "contract" / "hub.graphql"
SDL = ROOT / "graphql_schema" / "schema.graphql"


def contract_schema():
    return build_schema(CONTRACT.read_text())


def test_project_copy_of_the_contract_is_current():
    if not SHARED_CONTRACT.exists():
        import pytest

        pytest.skip(f"no shared contract beside the project ({SHARED_CONTRACT}); the copy is used alone")
    assert CONTRACT.read_text() == SHARED_CONTRACT.read_text(), (
        "shared/contract/hub.graphql changed: copy it to graphql_schema/contract.graphql"
    )


def test_served_schema_breaks_nothing_of_the_contract():
    changes = find_breaking_changes(contract_schema(), schema._schema)
    assert [f"{c.type.name}: {c.description}" for c in changes] == []


def test_served_schema_changes_no_contract_default_or_enum():
    """Only additions clients cannot notice: a new optional input field or argument (e.g.
    OfferInput.title). A changed default, an enum value added to a contract enum, an interface
    or union member are refused, but for the enum values contract version 2 adds (its clients
    are told, graphql_schema/contract-v2.graphql)."""
    harmless = {DangerousChangeType.OPTIONAL_INPUT_FIELD_ADDED, DangerousChangeType.OPTIONAL_ARG_ADDED}
    v2 = build_schema((ROOT / "graphql_schema" / "contract-v2.graphql").read_text())
    changes = [
        c for c in find_dangerous_changes(contract_schema(), schema._schema)
        if c.type not in harmless and not (c.type == DangerousChangeType.VALUE_ADDED_TO_ENUM and _in_v2(v2, c.description))
    ]
    assert [f"{c.type.name}: {c.description}" for c in changes] == []


def _in_v2(v2, description: str) -> bool:
    """Whether "Enum value X.Y was added." names a value of contract version 2."""
    coordinate = description.removeprefix("Enum value ").removesuffix(" was added.")
    enum_name, _, value = coordinate.partition(".")
    enum = v2.type_map.get(enum_name)
    return enum is not None and value in getattr(enum, "values", {})


def test_committed_sdl_equals_the_served_schema():
    assert SDL.read_text() == schema.as_str() + "\n", (
        "graphql_schema/schema.graphql is stale: run `hub schema > graphql_schema/schema.graphql`"
    )


def test_every_root_field_states_its_roles():
    unguarded = []
    for type_name in ("Query", "Mutation"):
        definition = schema.get_type_by_name(type_name)
        for field in definition.fields:
            if not any(guarded(extension) for extension in field.extensions):
                unguarded.append(f"{type_name}.{field.python_name}")
    assert unguarded == []


def test_every_type_field_and_argument_has_a_description():
    missing = []
    for name, graphql_type in schema._schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Boolean", "ID", "Float"}:
            continue
        if not graphql_type.description:
            missing.append(name)
        for field_name, field in getattr(graphql_type, "fields", {}).items():
            if not field.description:
                missing.append(f"{name}.{field_name}")
            for arg_name, arg in getattr(field, "args", {}).items():
                if not arg.description and arg_name not in {"input", "filter"}:
                    missing.append(f"{name}.{field_name}({arg_name})")
    assert missing == []
