"""How big a document is, measured in one pass, and the limits refused before anything runs.

A document's fragments may spread one another: ``fragment A on Query { ...B ...B }`` doubles B,
and twenty such fragments make a million fields out of a few hundred bytes. Following spreads
naively (as depth and alias counters usually do) costs as much as the expanded document, and a
fragment that spreads itself never ends. Here each fragment is measured once, after the ones it
spreads (a topological order); a document whose fragments form a cycle or name an unknown
fragment is not measured at all: the specification's own rules (NoFragmentCycles,
KnownFragmentNames) refuse it. The work is linear in the document's size, whatever its spreads.

Four figures, each with its limit (settings ``HUB_MAX_QUERY_*``): the fields of the expanded
document, its aliases, its depth (nested field levels; introspection fields' subtrees are not
counted, as strawberry's limiter did) and its estimated cost (a field costs 1 plus its children's
cost, counted ``first`` times under a page: nested pages multiply). Python's integers do not
overflow: a fragment bomb measures as the astronomical figure it is.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from graphql import (
    DocumentNode,
    EnumValueNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension

from graphql_schema.strings import variable_errors

# Lists without `first`: the default page size, or a guess of their length.
LIST_SIZE = {"cfas": 50, "wishes": 50, "offers": 50, "atRiskYouths": 50, "myRejections": 50, "history": 20,
             "rows": 100, "headcountSeries": 60, "headcounts": 100}
DEFAULT_PAGE = 50
# An aggregate's rows by its literal `groupBy`: one for the nation, the regions, the departments; a
# guess for CFAs and certifications (a series' `rows` keep the guess of LIST_SIZE).
GROUP_SIZE = {"NATIONAL": 1, "REGION": 18, "DEPARTMENT": 101, "CFA": 100, "CERTIFICATION": 100}
# Selection sets nested deeper than this are not measured further (the depth limit refuses them
# long before; this only bounds the measuring's own recursion).
MAX_NESTING = 100
TOO_COMPLEX = "QUERY_TOO_COMPLEX"


@dataclass(frozen=True, slots=True)
class Limits:
    max_depth: int
    max_aliases: int
    max_cost: int
    max_fields: int
    variable_page: int = 500  # a `first` given by a variable counts as the largest page


class Measure(NamedTuple):
    fields: int  # field selections once every fragment is expanded where it is spread
    aliases: int
    depth: int  # nested field levels below the root fields (a root leaf: 0)
    cost: int


ZERO = Measure(0, 0, 0, 0)


class _TooDeep(Exception):
    pass


def measure(document: DocumentNode, variable_page: int = 500) -> dict[str, Measure] | None:
    """Each operation's measure (key: its name, "" when anonymous); None when fragments spread
    one another in a cycle or spread an unknown fragment (the specification's rules say so)."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    order = _dependencies_first(fragments)
    if order is None:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if any(not fragments.keys() >= set(_spreads(o.selection_set)) for o in operations):
        return None
    measured: dict[str, Measure] = {}
    try:
        for name in order:
            measured[name] = _selection_set(fragments[name].selection_set, measured, variable_page, 0)
        return {
            (o.name.value if o.name else ""): _selection_set(o.selection_set, measured, variable_page, 0)
            for o in operations
        }
    except _TooDeep:
        return {"": Measure(0, 0, MAX_NESTING + 1, 0)}


def _spreads(selection_set: SelectionSetNode | None) -> Iterator[str]:
    """The names of the fragments spread anywhere in a selection set (fields and inline
    fragments included), each node visited once."""
    stack = [selection_set] if selection_set is not None else []
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                yield selection.name.value
            elif isinstance(selection, (FieldNode, InlineFragmentNode)) and selection.selection_set is not None:
                stack.append(selection.selection_set)


def _dependencies_first(fragments: Mapping[str, FragmentDefinitionNode]) -> list[str] | None:
    """Fragment names, each after the fragments it spreads; None on a cycle or an unknown name."""
    spreads = {name: set(_spreads(definition.selection_set)) for name, definition in fragments.items()}
    if any(not spreads[name] <= fragments.keys() for name in spreads):
        return None
    order: list[str] = []
    state: dict[str, int] = {}  # 1: being visited, 2: done
    for root in fragments:
        if state.get(root) == 2:
            continue
        stack: list[tuple[str, Iterator[str]]] = [(root, iter(spreads[root]))]
        state[root] = 1
        while stack:
            name, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                state[name] = 2
                order.append(name)
            elif state.get(child) == 1:
                return None  # a cycle
            elif state.get(child) is None:
                state[child] = 1
                stack.append((child, iter(spreads[child])))
    return order


def _selection_set(selection_set: SelectionSetNode, fragments: Mapping[str, Measure], page: int, nesting: int) -> Measure:
    if nesting > MAX_NESTING:
        raise _TooDeep
    fields = aliases = depth = cost = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            children = ZERO if selection.selection_set is None else _selection_set(
                selection.selection_set, fragments, page, nesting + 1)
            fields += 1 + children.fields
            aliases += (selection.alias is not None) + children.aliases
            if selection.selection_set is not None and not selection.name.value.startswith("__"):
                depth = max(depth, 1 + children.depth)
            cost += 1 + _multiplier(selection, page) * children.cost
            continue
        if isinstance(selection, FragmentSpreadNode):
            part = fragments[selection.name.value]
        elif isinstance(selection, InlineFragmentNode):
            part = _selection_set(selection.selection_set, fragments, page, nesting + 1)
        else:
            continue
        fields += part.fields
        aliases += part.aliases
        depth = max(depth, part.depth)
        cost += part.cost
    return Measure(fields, aliases, depth, cost)


def _multiplier(field: FieldNode, variable_page: int) -> int:
    """How many times a field's children count: its page (``first``) or its list's usual length."""
    for argument in field.arguments or ():
        if (argument.name.value == "groupBy" and isinstance(argument.value, EnumValueNode)
                and field.name.value != "headcountSeries"):  # a series: its points, then rows of guessed size
            return GROUP_SIZE.get(argument.value.value, DEFAULT_PAGE)  # an aggregate's rows: how many groups
        if argument.name.value == "first":
            value = argument.value
            raw: Any = variable_page if value.kind == "variable" else getattr(value, "value", None)
            try:
                return max(int(raw), 1)
            except (TypeError, ValueError):
                return DEFAULT_PAGE
    if field.selection_set is not None:
        return LIST_SIZE.get(field.name.value, 1)
    return 1


def _shown(value: int) -> str:
    return f"{value:,}" if value < 10**12 else "over 10^12"


class Assessment(NamedTuple):
    errors: list[GraphQLError]  # the limits passed over (or the specification's rules' errors)
    costs: dict[str, int]  # each operation's estimated cost, by name ("" when anonymous)
    bulk_variables: frozenset[str] = frozenset()  # variables holding bulk records (graphql_schema/bulk.py)


def refusals(document: DocumentNode, limits: Limits) -> list[GraphQLError]:
    """The limits this document passes over, as coded errors (none when its fragments are
    cyclic or unknown: the specification's validation refuses it)."""
    return _assess(document, limits).errors


def _assess(document: DocumentNode, limits: Limits) -> Assessment:
    measured = measure(document, limits.variable_page)
    if not measured:
        return Assessment([], {})
    fields = sum(m.fields for m in measured.values())
    aliases = sum(m.aliases for m in measured.values())
    errors = []
    if fields > limits.max_fields:
        errors.append(f"this document has {_shown(fields)} fields once its fragments are expanded; at most"
                      f" {limits.max_fields:,} are allowed")
    if aliases > limits.max_aliases:
        errors.append(f"{_shown(aliases)} aliases found. Allowed: {limits.max_aliases}")
    for name, figures in measured.items():
        label = name or "anonymous"
        if figures.depth > limits.max_depth:
            errors.append(f"'{label}' exceeds maximum operation depth of {limits.max_depth}")
        if figures.cost > limits.max_cost:
            errors.append(f"this operation's estimated cost ({_shown(figures.cost)}) is over the limit"
                          f" ({limits.max_cost:,}): ask for smaller pages or fewer nested lists")
    return Assessment(
        [GraphQLError(message, extensions={"code": TOO_COMPLEX}) for message in errors],
        {name: figures.cost for name, figures in measured.items()},
    )


@functools.lru_cache(maxsize=256)
def _assessed(schema: GraphQLSchema, document: DocumentNode, rules: tuple[Any, ...], limits: Limits) -> Assessment:
    """The limits first (linear); the specification's rules only for a document within them."""
    from strawberry.schema.schema import validate_document

    from graphql_schema.bulk import bulk_variables
    from graphql_schema.strings import literal_errors

    assessment = _assess(document, limits)
    if assessment.errors:
        return assessment
    errors = validate_document(schema, document, rules) or literal_errors(document)
    return Assessment(errors, assessment.costs, bulk_variables(document))


class DocumentLimits(SchemaExtension):
    """Validation with the limits first: a document over a limit is refused with
    ``QUERY_TOO_COMPLEX`` before the specification's rules (some of which cost more than linear
    time on big documents) look at it; then strings holding a NUL character, in the document and
    in the variables (graphql_schema/strings.py). Results are cached by document (the parser cache
    hands the same document object for the same text), as strawberry's ValidationCache did. The
    operation's estimated cost goes to the request's cost (app/ratelimit.py)."""

    def __init__(self, limits: Limits):
        super().__init__()
        self.limits = limits

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assessment = _assessed(context.schema._schema, context.graphql_document, tuple(context.validation_rules), self.limits)
        context.pre_execution_errors = assessment.errors or variable_errors(context.variables, assessment.bulk_variables)
        cost = getattr(context.context, "cost", None)
        if cost is not None and not assessment.errors and assessment.costs:
            name = context.operation_name or ""
            cost.estimate = assessment.costs.get(name, max(assessment.costs.values()))
        yield
