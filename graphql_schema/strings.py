"""No NUL character in a string argument: PostgreSQL's text cannot hold one, and a statement
that meets it fails the whole request. Refused before anything runs, as ``BAD_USER_INPUT`` naming
where it is: in the document (a literal) or in a variable (its path).

Bulk records (the ``input`` of recordSteps, submitWishes, upsertOffers, registerCertifications)
are left to their services, which refuse such a record on its own (``INVALID_CHARACTER``) and
keep the others."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import ArgumentNode, DocumentNode, GraphQLError, StringValueNode, Visitor, visit

from app.errors import BadInput

BULK_ARGUMENT = "input"


class _Literals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.inside_bulk = 0
        self.found: list[StringValueNode] = []

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        self.inside_bulk += node.name.value == BULK_ARGUMENT

    def leave_argument(self, node: ArgumentNode, *_: Any) -> None:
        self.inside_bulk -= node.name.value == BULK_ARGUMENT

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        if not self.inside_bulk and "\x00" in node.value:
            self.found.append(node)


def literal_errors(document: DocumentNode) -> list[GraphQLError]:
    """A coded error for each string literal of the document holding a NUL character."""
    literals = _Literals()
    visit(document, literals)
    return [
        GraphQLError("a string argument contains a NUL character", node,
                     original_error=BadInput("a string argument contains a NUL character", reason="INVALID_CHARACTER"))
        for node in literals.found
    ]


def variable_errors(variables: Mapping[str, Any] | None, skipped: frozenset[str]) -> list[GraphQLError]:
    """A coded error for each variable (but ``skipped``) holding a NUL character anywhere."""
    errors = []
    for name, value in (variables or {}).items():
        if name in skipped:
            continue
        for path in _nul_paths(value, f"${name}"):
            message = f"{path} contains a NUL character"
            errors.append(GraphQLError(message, original_error=BadInput(message, field=path, reason="INVALID_CHARACTER")))
    return errors


def _nul_paths(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, str):
        if "\x00" in value:
            yield path
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _nul_paths(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_paths(item, f"{path}[{index}]")
