"""One source per enum: the domain's. The GraphQL enums are made from them, the database's check
constraints (as the migrations left them) list exactly their values, and no list of their values
is written out anywhere else in the code."""

from __future__ import annotations

import ast
import re
from enum import StrEnum
from pathlib import Path

import pytest
from sqlalchemy import text

from app.domain.actors import Portal, Role
from app.domain.identifiers import CertificationKind
from app.domain.outcome import Match, Stage
from app.domain.risk import Reason
from app.domain.timeline import Status, Step
from graphql_schema.schema import schema

ROOT = Path(__file__).resolve().parent.parent

GRAPHQL = {  # GraphQL enum -> the domain enum it is made from
    "Role": Role,
    "Portal": Portal,
    "Step": Step,
    "CertificationKind": CertificationKind,
    "OutcomeStage": Stage,
    "OutcomeMatch": Match,
    "RiskReason": Reason,
    "PathStatus": Status,
}

CONSTRAINTS = {  # (table, check constraint) -> the domain enum whose values it allows
    ("api_client", "ck_api_client_role"): Role,
    ("api_client", "ck_api_client_portal"): Portal,
    ("step_event", "ck_step_event_step"): Step,
    ("step_event", "ck_step_event_portal"): Portal,
    ("wish", "ck_wish_portal"): Portal,
    ("wish", "ck_wish_outcome_stage"): Stage,
    ("wish", "ck_wish_outcome_match"): Match,
    ("certification", "ck_certification_kind"): CertificationKind,
}

DOMAIN_ENUMS: tuple[type[StrEnum], ...] = (Role, Portal, Step, CertificationKind, Stage, Match, Reason, Status)


@pytest.mark.parametrize("name", sorted(GRAPHQL))
def test_each_graphql_enum_has_the_domain_values_in_the_domain_order(name):
    served = schema._schema.type_map[name]
    assert list(served.values) == [member.value for member in GRAPHQL[name]]
    assert all(value.description for value in served.values.values()), name  # every value is described


async def test_each_check_constraint_allows_exactly_the_domain_values(connection):
    rows = (await connection.execute(text(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE contype = 'c' AND connamespace = 'public'::regnamespace"))).all()
    defined = {(table, name): definition for table, name, definition in rows}
    for key, domain in CONSTRAINTS.items():
        assert key in defined, key
        assert re.findall(r"'([A-Z_]+)'::", defined[key]) == [member.value for member in domain], key


def test_no_list_of_an_enums_values_is_written_out_anywhere_else():
    """A literal tuple, list or set of two or more strings that are all values of one domain enum
    is a copy of it (the enums themselves, in app/domain, are the source)."""
    values = [frozenset(member.value for member in enum) for enum in DOMAIN_ENUMS]
    copies = []
    for path in sorted((ROOT / "app").rglob("*.py")) + sorted((ROOT / "graphql_schema").rglob("*.py")):
        if path.parent.name == "domain":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Tuple | ast.List | ast.Set) and len(node.elts) >= 2:
                strings = {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
                if len(strings) == len(node.elts) and any(strings <= enum for enum in values):
                    copies.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert copies == []


def test_a_graphql_enum_without_a_description_for_a_domain_value_stops_the_import():
    from graphql_schema.types.enums import from_domain

    with pytest.raises(RuntimeError, match="Portal: descriptions for .'PARCOURSUP'., but the domain's values"):
        from_domain(Portal, "Portal", "The portals.", {"PARCOURSUP": "Parcoursup."})
    with pytest.raises(RuntimeError, match="descriptions for .'AFFELNET', 'PARCOURSUP', 'X'."):
        from_domain(Portal, "Portal", "The portals.", {"PARCOURSUP": "P.", "AFFELNET": "A.", "X": "x"})
