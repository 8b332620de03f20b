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
    assert response.json() == {"status": "ready", "revision": head_revision()}


async def test_every_response_carries_a_request_id(http):
    response = await http.get("/healthz")
    assert len(response.headers["x-request-id"]) == 32
    echoed = await http.get("/healthz", headers={"x-request-id": "abc123"})
    assert echoed.headers["x-request-id"] == "abc123"


async def test_get_queries_are_refused(http, admin):
    response = await http.get(
        "/graphql", params={"query": "{ me { id } }"}, headers={"Authorization": f"Bearer {admin.key}"}
    )
    assert response.status_code in (400, 405)
    assert "me" not in response.text or "errors" not in response.text


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
