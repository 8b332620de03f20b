"""Query abuse is refused with a coded error before any resolver runs; production hides the
schema's shape."""

from __future__ import annotations

import logging

import httpx
import pytest

from app.main import create_app
from app.settings import Environment


async def post(http, key, body: bytes | str, content_type="application/json"):
    return await http.post("/graphql", content=body, headers={"Authorization": f"Bearer {key}", "Content-Type": content_type})


@pytest.fixture
async def strict(settings, database):
    app = create_app(settings.model_copy(update={"max_query_depth": 4, "max_aliases": 2, "max_tokens": 60,
                                                 "max_body_bytes": 2048}), database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as client:
        yield client


async def test_depth_aliases_and_tokens_are_limited(strict, admin, queries):
    queries.reset()
    for query in (
        "{ cfas(first: 1) { edges { node { department { region { code } } } } } }",  # depth 6 > 4
        "{ a: me { id } b: me { id } c: me { id } }",  # 3 aliases > 2
        "{ me { id name role departments createdAt " + "id " * 60 + "} }",  # over 60 tokens
    ):
        body = (await post(strict, admin.key, httpx.Request("POST", "/", json={"query": query}).content)).json()
        assert body.get("data") is None and body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX", (query, body)
    # only the key look-up (and its last use, the rate limit) ran: no resolver, no query of the data
    assert all(any(t in s for t in ("api_key", "rate_bucket", "synchronous_commit")) for s in queries.statements), queries.statements


async def test_bodies_methods_types_and_batches_are_refused_with_a_code(strict, admin):
    too_big = await post(strict, admin.key, b'{"query": "{ me { id } }", "x": "' + b"a" * 4096 + b'"}')
    assert (too_big.status_code, too_big.json()["errors"][0]["extensions"]["code"]) == (413, "PAYLOAD_TOO_LARGE")
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        refused = await post(strict, admin.key, '{"query": "{ me { id } }"}', content_type)
        assert (refused.status_code, refused.json()["errors"][0]["extensions"]["code"]) == (415, "UNSUPPORTED_MEDIA_TYPE")
    batch = await post(strict, admin.key, '[{"query": "{ me { id } }"}, {"query": "{ me { id } }"}]')
    assert (batch.status_code, batch.json()["errors"][0]["extensions"]["code"]) == (400, "BATCHING_NOT_SUPPORTED")
    fine = await post(strict, admin.key, '{"query": "{ me { id } }"}')
    assert fine.status_code == 200 and "errors" not in fine.json()


async def test_production_hides_introspection_and_suggestions(settings, database):
    import base64
    import os

    from pydantic import SecretStr

    production = settings.model_copy(update={
        "env": Environment.PRODUCTION, "database_url": "postgresql+asyncpg://x/y",
        "key_pepper": SecretStr("p" * 40), "identity_hash_key": SecretStr("h" * 40),
        "identity_encryption_key": SecretStr(base64.b64encode(os.urandom(32)).decode()),
    })  # no key needed: these are refused while validating, before authentication matters
    app = create_app(production, database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as client:
        introspection = (await post(client, "none", '{"query": "{ __schema { types { name } } }"}')).json()
        assert introspection.get("data") is None and introspection["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"
        typo = (await post(client, "none", '{"query": "{ mee { id } }"}')).json()
        assert "Did you mean" not in typo["errors"][0]["message"]
    opened = create_app(production.model_copy(update={"introspection": True}), database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=opened), base_url="http://hub") as client:
        assert "errors" not in (await post(client, "none", '{"query": "{ __schema { queryType { name } } }"}')).json()


async def test_outside_production_suggestions_help(gql, admin):
    error = (await gql("{ mee { id } }", key=admin.key))["errors"][0]
    assert "Did you mean" in error["message"] and error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_a_client_over_its_rate_gets_429_with_retry_after_shared_by_workers(settings, database, admin, caplog):
    from tests.factories import new_client

    caplog.set_level(logging.INFO, logger="hub.access")
    limited = settings.model_copy(update={"rate_limit_burst": 5, "rate_limit_per_second": 0.5})
    workers = [create_app(limited, database), create_app(limited, database)]  # two processes, one store
    _, other = await new_client(database, "PILOT")
    answers = []
    for i in range(8):
        app = workers[i % 2]
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as client:
            answers.append(await post(client, admin.key, '{"query": "{ me { id } }"}'))
    assert [a.status_code for a in answers[:5]] == [200] * 5  # the burst, across both workers
    refused = answers[5]
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert all(a.status_code == 429 for a in answers[5:])  # a flood stays refused
    refused_lines = [r for r in caplog.records if r.name == "hub.access" and getattr(r, "status", None) == 429]
    assert refused_lines and {r.client_id for r in refused_lines} == {str(admin.row.id)}  # the log says who
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=workers[0]), base_url="http://hub") as client:
        assert (await post(client, other, '{"query": "{ me { id } }"}')).status_code == 200  # another client's bucket


async def test_an_operation_too_costly_is_refused_before_it_runs(settings, database, admin):
    app = create_app(settings.model_copy(update={"max_query_cost": 20_000}), database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as client:
        page = '{"query": "{ cfas(first: 500) { edges { node { uai name department { name region { name } } } } } }"}'
        assert "errors" not in (await post(client, admin.key, page)).json()
        nested = ('{"query": "query($n: Int) { wishes(first: $n) { edges { node { history { cfa { uai name department { name } } }'
                  ' outcome { cfa { uai name } } } } } }", "variables": {"n": 10}}')
        body = (await post(client, admin.key, nested)).json()
        assert body.get("data") is None and body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        assert "estimated cost" in body["errors"][0]["message"]


async def test_a_request_running_too_long_is_stopped_with_504(settings, database, admin, monkeypatch):
    import asyncio
    import time

    import app.auth

    real = app.auth.admit_key

    async def slow(*args, **kwargs):
        await asyncio.sleep(5)
        return await real(*args, **kwargs)

    monkeypatch.setattr(app.auth, "admit_key", slow)
    hub = create_app(settings.model_copy(update={"request_timeout_s": 0.3}), database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=hub), base_url="http://hub") as client:
        started = time.perf_counter()
        answer = await post(client, admin.key, '{"query": "{ me { id } }"}')
        assert time.perf_counter() - started < 2
    assert answer.status_code == 504 and answer.json()["errors"][0]["extensions"]["code"] == "REQUEST_TIMEOUT"
