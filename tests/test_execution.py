"""Plain completion (graphql_schema/execution.py) answers exactly as graphql-core's own: the same
data, the same errors at the same paths, for hand-written queries over every kind of result and
for queries generated from the schema, with every role, on the demo data."""

from __future__ import annotations

import enum

import httpx
import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from app.db import Database, make_engine
from app.main import create_app
from app.migrate import upgrade
from app.security import IdentityVault
from app.services import demo
from app.settings import Environment, Settings
from graphql_schema.execution import PlainCompletion
from graphql_schema.schema import build_schema
from tests.test_fuzz import QUERIES

WRITTEN = [
    # the portal's page, with aliases, __typename, fragments, @include and @skip
    """query { wishes(first: 30) { totalCount pageInfo { endCursor hasNextPage } edges { cursor node {
        __typename id portal portalWishId submittedAt outcomeChangedAt
        cfa { uai name siret consentGiven department { code name region { code name } } }
        certification { code kind title level verified }
        outcome { stage match since cfa { uai } certification { code } } } } } }""",
    """query($yes: Boolean = true, $no: Boolean = false) { a: wishes(first: 5) { edges { node {
        ...W  x: portalWishId @include(if: $yes) y: portalWishId @skip(if: $yes) z: outcome @include(if: $no) { stage } } } }
        b: wishes(first: 2, after: null) { edges { node { portalWishId ...on Wish { outcome { stage } } } } } }
        fragment W on Wish { id outcome { __typename stage match } }""",
    # plain objects above fields with resolvers (the offer, the history)
    """query { wishes(first: 10) { edges { node { portalWishId offer { id title capacity }
        history { step effectiveDate cfa { uai } certification { code } } outcome { stage } } } } }""",
    """query { wishOutcomeSummary { stage match count } me { __typename name role portal departments } }""",
    """query { cfas(first: 40) { totalCount edges { node { uai name department { code region { name } } } } } }""",
    """query { offers(first: 40) { totalCount edges { node { id title capacity enrolled vacancies sessionStart
        sessionEnd cfa { uai } certification { code } } } } }""",
    """query { atRiskYouths(first: 40) { totalCount edges { node { youth { ine } reasons since department { code }
        lastStep { step effectiveDate cfa { uai name } } } } } }""",
    """query { headcounts(groupBy: REGION) { key label apprentices registered contractBroken droppedOut capacity
        vacancies overCapacity suppressed suppressedFields } }""",
]


@pytest.fixture
async def demo_hub(fresh_database_url):
    settings = Settings(env=Environment.TEST, database_url=fresh_database_url, migrate_on_start=False,
                        rate_limit_burst=1_000_000)
    database = Database(make_engine(fresh_database_url, settings))
    await upgrade(database.engine)
    vault = IdentityVault(settings.identity_hash_key.get_secret_value().encode(), settings.encryption_key_bytes)
    db = database.session()
    await demo.load_demo(db, vault, settings, demo.DemoSize(cfas=12, youths=400))
    keys = await demo.issue_demo_keys(db, settings.key_pepper.get_secret_value())
    await db.commit()
    await db.close()
    yield settings, database, keys
    await database.dispose()


async def answers(app, keys: dict[str, str], documents: list[str]) -> list:
    out = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as http:
        for name, key in sorted(keys.items()):
            for document in documents:
                body = (await http.post("/graphql", json={"query": document}, headers={"Authorization": f"Bearer {key}"})).json()
                for error in body.get("errors") or []:
                    (error.get("extensions") or {}).pop("requestId", None)
                out.append((name, document, body))
    return out


async def test_plain_completion_answers_as_graphql_core_does(demo_hub):
    settings, database, keys = demo_hub
    schema = build_schema(settings)
    assert schema.execution_context_class is PlainCompletion
    app = create_app(settings, database)
    documents = WRITTEN + QUERIES
    plain = await answers(app, keys, documents)
    schema.execution_context_class = StrawberryGraphQLCoreExecutionContext
    try:
        usual = await answers(app, keys, documents)
    finally:
        schema.execution_context_class = PlainCompletion
    assert len(plain) == len(usual) == len(keys) * len(documents)
    for (name, document, a), (_, _, b) in zip(plain, usual):
        assert a == b, (name, document)
    # the comparison covered real pages, not only errors
    pages = [body for name, document, body in plain if document == WRITTEN[0] and body.get("data")]
    assert pages and pages[0]["data"]["wishes"]["edges"]


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Leaf(Named):
    colour: Colour
    tags: list[str]
    maybe: int | None
    size: int  # above 32 bits for one leaf: Int refuses it
    flag: bool | None  # an int for one leaf: Boolean coerces it
    code: str  # an int for one leaf: String coerces it


@strawberry.type
class Node:
    id: strawberry.ID
    leaves: list[Leaf]
    first: Leaf | None
    broken: str  # non-null, None for one node
    colour: Colour  # a value the enum refuses for one node
    named: list[Named]

    @strawberry.field
    def computed(self, times: int = 2) -> int:
        return len(self.leaves) * times


def toy_leaves(n: int) -> list[Leaf]:
    return [Leaf(name=f"l{i}", colour=Colour.RED if i % 2 else Colour.BLUE, tags=["a", "b"][: i % 3], maybe=i or None,
                 size=2**40 if i == 3 else -(2**31) + i, flag=1 if i == 2 else (None if i == 1 else True),  # type: ignore[arg-type]
                 code=7 if i == 1 else f"c{i}")  # type: ignore[arg-type]
            for i in range(n)]


@strawberry.type
class ToyQuery:
    @strawberry.field
    def nodes(self) -> list[Node]:
        return [
            Node(id=strawberry.ID(str(i)), leaves=toy_leaves(i), first=toy_leaves(1)[0] if i else None,
                 broken=None if i == 2 else "ok", colour="purple" if i == 3 else Colour.RED,  # type: ignore[arg-type]
                 named=toy_leaves(2))
            for i in range(5)
        ]


def toy_schemas():
    """A schema with every case plain completion meets or declines: enums, lists, nesting, a
    resolver, an interface, nulls where the type forbids them, a value an enum refuses."""
    return (strawberry.Schema(query=ToyQuery, types=[Leaf], execution_context_class=PlainCompletion),
            strawberry.Schema(query=ToyQuery, types=[Leaf]))


@pytest.mark.parametrize("document", [
    "{ nodes { id leaves { name colour tags maybe __typename } first { name } } }",
    "{ nodes { id leaves { flag code } first { size flag code } } }",
    "{ nodes { leaves { size } } }",
    "{ nodes { id computed leaves { colour } } }",
    "{ nodes { id broken } }",
    "{ nodes { id colour leaves { name } } }",
    "{ nodes { named { name ... on Leaf { colour } } } }",
    "{ nodes { a: id b: id ...F } } fragment F on Node { leaves { n: name } }",
    "query($s: Boolean!) { nodes { id leaves @skip(if: $s) { name } first @include(if: $s) { name } } }",
])
def test_plain_completion_matches_graphql_core_on_every_case(document):
    plain, usual = toy_schemas()
    variables = {"s": True}
    a, b = plain.execute_sync(document, variable_values=variables), usual.execute_sync(document, variable_values=variables)
    assert a.data == b.data
    assert [(e.message, e.path) for e in a.errors or []] == [(e.message, e.path) for e in b.errors or []]
