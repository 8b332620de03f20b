"""Fragment bombs and cycles: every pre-execution check is linear in the document.

The measure (graphql_schema/limits.py) is compared with a naive expansion of small acyclic
documents, written here independently; generated fragment graphs (cycles, fan-outs, chains)
sent through HTTP without a key are each refused within 50 ms while another client's ``me`` is
answered as usual."""

from __future__ import annotations

import asyncio
import gc
import time

import httpx
from graphql import parse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.main import create_app
from graphql_schema.limits import LIST_SIZE, Limits, measure, refusals

LIMITS = Limits(max_depth=10, max_aliases=15, max_cost=100_000, max_fields=2_000)


def naive(document: str) -> tuple[int, int, int, int]:
    """(fields, aliases, depth, cost) of a document's first operation, every spread expanded
    where it stands (exponential: small documents only)."""
    tree = parse(document)
    fragments = {d.name.value: d for d in tree.definitions if d.kind == "fragment_definition"}
    operation = next(d for d in tree.definitions if d.kind == "operation_definition")

    def expanded(selection_set):
        for selection in selection_set.selections:
            if selection.kind == "field":
                yield selection
            elif selection.kind == "inline_fragment":
                yield from expanded(selection.selection_set)
            else:
                yield from expanded(fragments[selection.name.value].selection_set)

    def figures(selection_set):
        fields = aliases = depth = cost = 0
        for field in expanded(selection_set):
            sub = figures(field.selection_set) if field.selection_set else (0, 0, -1, 0)
            fields += 1 + sub[0]
            aliases += (field.alias is not None) + sub[1]
            if field.selection_set and not field.name.value.startswith("__"):
                depth = max(depth, sub[2] + 1)
            first = [a for a in field.arguments or () if a.name.value == "first"]
            times = int(first[0].value.value) if first else (LIST_SIZE.get(field.name.value, 1) if field.selection_set else 1)
            cost += 1 + times * sub[3]
        return fields, aliases, depth, cost

    return figures(operation.selection_set)


FIELDS = ["me { id name }", "a: me { id }", "cfas(first: 3) { edges { node { uai department { name } } } }",
          "cfas { totalCount }", "__typename", "certification(code: \"50022141\") { code }"]


@st.composite
def acyclic_documents(draw):
    """Small documents whose fragment F<i> spreads only fragments F<j>, j > i, among fields."""
    count = draw(st.integers(0, 5))
    bodies = []
    for i in range(count):
        parts = draw(st.lists(st.sampled_from(FIELDS), min_size=0, max_size=2))
        parts += [f"...F{j}" for j in draw(st.lists(st.integers(i + 1, count), max_size=3)) if j < count]
        parts += draw(st.lists(st.just("... on Query { me { id } }"), max_size=1))
        bodies.append(" ".join(parts) or "__typename")
    root = draw(st.lists(st.sampled_from(FIELDS), max_size=2)) + [f"...F{j}" for j in range(min(count, 2))]
    fragments = " ".join(f"fragment F{i} on Query {{ {body} }}" for i, body in enumerate(bodies))
    return f"query {{ {' '.join(root) or '__typename'} }} {fragments}"


@settings(max_examples=300, database=None, derandomize=True, deadline=None)
@given(acyclic_documents())
def test_the_measure_equals_a_naive_expansion(document):
    assert tuple(next(iter(measure(parse(document)).values()))) == naive(document)


@st.composite
def fragment_bombs(draw):
    """A chain F0 -> F1 -> ... where each spreads the next ``fan`` times (expanded: fan^n
    fields), with extra spreads between random fragments (backward ones make cycles)."""
    length, fan = draw(st.integers(12, 40)), draw(st.integers(2, 4))
    spreads = {i: [i + 1] * fan for i in range(length - 1)}
    spreads[length - 1] = []
    for a, b in draw(st.lists(st.tuples(st.integers(0, length - 1), st.integers(0, length - 1)), max_size=4)):
        spreads[a].append(b)
    leaf = draw(st.sampled_from(["me { id }", "__typename", "cfas(first: 2) { totalCount }"]))
    fragments = " ".join(
        f"fragment F{i} on Query {{ {' '.join(f'...F{j}' for j in spreads[i]) or leaf} }}" for i in range(length)
    )
    return f"query {{ ...F0 }} {fragments}"


def drawn(strategy, examples):
    out: list[str] = []

    @settings(max_examples=examples, database=None, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(document):
        out.append(document)

    collect()
    return out


BOMBS = [
    "query { ...F } fragment F on Query { ...F ...F }",
    "query { ...A } fragment A on Query { ...B ...B me { id } } fragment B on Query { ...A ...A }",
    # 20 levels each spreading the next twice (825 bytes: 5.4 s of a blocked event loop before)
    "query { ...F0 } " + " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(19))
    + " fragment F19 on Query { me { id } }",
    *drawn(fragment_bombs(), 120),
]


def test_a_bomb_is_measured_without_expanding_it():
    started = time.perf_counter()
    errors = refusals(parse(BOMBS[2]), LIMITS)
    assert time.perf_counter() - started < 0.05
    assert [e.extensions["code"] for e in errors] == ["QUERY_TOO_COMPLEX", "QUERY_TOO_COMPLEX"]  # fields, cost
    assert "1,048,576 fields" in errors[0].message
    assert refusals(parse(BOMBS[0]), LIMITS) == []  # a cycle: the specification's rule says it


async def test_fragment_bombs_are_refused_fast_and_others_are_served(settings, database, admin):
    app = create_app(settings, database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as http:

        async def bombs() -> tuple[float, set[str]]:
            slowest, codes = 0.0, set()
            for document in BOMBS:
                started = time.perf_counter()
                response = await http.post("/graphql", json={"query": document})  # no key
                slowest = max(slowest, time.perf_counter() - started)
                body = response.json()
                assert response.status_code == 200 and body.get("data") is None, (document, body)
                codes.update(e["extensions"]["code"] for e in body["errors"])
            return slowest, codes

        async def me(until: asyncio.Future) -> list[tuple[float, dict]]:
            answered = []
            while not until.done():
                started = time.perf_counter()
                response = await http.post("/graphql", json={"query": "{ me { name } }"},
                                           headers={"Authorization": f"Bearer {admin.key}"})
                answered.append((time.perf_counter() - started, response.json()))
            return answered

        await http.post("/graphql", json={"query": "{ me { name } }"})  # the app's first request sets things up
        # Alone, each one's own time: the cyclic collector is off meanwhile, for its full
        # collections walk the whole test process (some 60 ms each here) and belong to no request.
        gc.disable()
        try:
            slowest, codes = await bombs()
        finally:
            gc.enable()
        assert slowest < 0.05, f"the slowest refusal took {slowest * 1000:.0f} ms"
        assert codes == {"QUERY_TOO_COMPLEX", "GRAPHQL_VALIDATION_FAILED"}
        flood = asyncio.ensure_future(bombs())  # then beside another client
        answered = await me(flood)
        await flood
    assert answered and all(body == {"data": {"me": {"name": "test admin"}}} for _, body in answered)
    assert max(seconds for seconds, _ in answered) < 0.25
