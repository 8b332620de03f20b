"""HTTP surface: health, readiness, the GraphQL endpoint's methods and error shape."""

from __future__ import annotations

import httpx

from app.main import create_app
from app.settings import Environment


async def test_healthz_answers_ok(http):
    response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_the_migration_head(http):
    from app.migrate import head_revision

    response = await http.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "revision": head_revision(), "derivation": {"setAside": 0}}


async def test_every_response_carries_a_request_id(http):
    response = await http.get("/healthz")
    assert len(response.headers["x-request-id"]) == 32
    echoed = await http.get("/healthz", headers={"x-request-id": "abc123"})
    assert echoed.headers["x-request-id"] == "abc123"


async def test_get_queries_are_refused(http, admin):
    response = await http.get(
        "/graphql", params={"query": "{ me { id } }"}, headers={"Authorization": f"Bearer {admin.key}"}
    )
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert response.json() == {"errors": [{"message": "POST the operation as a JSON body", "extensions": {"code": "METHOD_NOT_ALLOWED"}}]}


async def test_graphiql_is_off_outside_development(http):
    response = await http.get("/graphql", headers={"accept": "text/html"})
    assert "graphiql" not in response.text.lower()


async def test_graphiql_is_served_in_development(settings, database):
    dev = settings.model_copy(update={"env": Environment.DEVELOPMENT})
    app = create_app(dev, database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as client:
        response = await client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_a_syntax_error_is_coded(gql, admin):
    error = await gql.error("{ me { id ", key=admin.key)
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_an_unknown_field_is_a_validation_error(gql, admin):
    error = await gql.error("{ me { nope } }", key=admin.key)
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "nope" in error["message"]


async def test_a_variable_of_the_wrong_type_is_bad_user_input(gql, admin):
    error = await gql.error(
        "query($first: Int) { cfas(first: $first) { totalCount } }", {"first": "many"}, key=admin.key
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_readyz_is_503_while_the_schema_is_not_at_head(settings, base_database_url):
    import uuid

    from app.db import Database, make_engine
    from tests.conftest import create_database, drop_database

    name = f"hub_unmigrated_{uuid.uuid4().hex[:8]}"
    url = await create_database(base_database_url, name)
    database = Database(make_engine(url, settings))
    try:
        app = create_app(settings, database)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as client:
            response = await client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["status"] == "unavailable"
    finally:
        await database.dispose()
        await drop_database(base_database_url, name)


async def test_a_mutation_with_an_error_stores_nothing_of_the_whole_call(gql, admin, connection):
    from sqlalchemy import text

    body = await gql(
        'mutation { a: registerCfa(uai: "0751234J", name: "ok", departmentCode: "75") { uai }'
        ' b: registerCfa(uai: "0751234A", name: "bad", departmentCode: "75") { uai } }',
        key=admin.key,
    )
    assert [e["extensions"]["reason"] for e in body["errors"]] == ["INVALID_UAI"]
    assert (await connection.execute(text("SELECT count(*) FROM cfa"))).scalar_one() == 0


async def test_an_answer_is_not_sent_as_success_when_the_commit_fails(gql, admin, connection, monkeypatch):
    from sqlalchemy import text

    from app.db import RequestSession

    calls = []

    async def failing_commit(self):  # the operation's commit (the key's look-up commits by itself)
        calls.append(1)
        raise ConnectionError("the database went away during commit")

    monkeypatch.setattr(RequestSession, "commit", failing_commit)
    body = await gql(
        'mutation { registerCfa(uai: "0751234J", name: "ok", departmentCode: "75") { uai } }', key=admin.key
    )
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert calls == [1]
    assert (await connection.execute(text("SELECT count(*) FROM cfa"))).scalar_one() == 0
