"""Fuzzing: queries and mutations generated from the served schema (hypothesis-graphql, fixed
seed, a few hundred per role) never make the hub fail: every answer is a GraphQL answer, every
error carries a code, and none is an unexpected error or shows a traceback."""

from __future__ import annotations

import json
from datetime import UTC

import graphql
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, queries

from app.domain.actors import Portal, Role
from graphql_schema.schema import schema

EXAMPLES = 150


def generated(strategy_factory, examples: int) -> list[str]:
    """Documents drawn once, deterministically, outside the event loop (hypothesis runs them)."""
    out: list[str] = []
    scalars = {
        "Date": st.dates().map(lambda d: graphql.StringValueNode(value=d.isoformat())),
        "DateTime": st.datetimes(timezones=st.just(UTC)).map(lambda d: graphql.StringValueNode(value=d.isoformat())),
    }

    @settings(max_examples=examples, database=None, derandomize=True, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy_factory(schema.as_str(), custom_scalars=scalars))
    def collect(document: str) -> None:
        out.append(document)

    collect()
    return out


QUERIES = generated(queries, EXAMPLES)
MUTATIONS = generated(mutations, EXAMPLES // 2)


async def test_generated_operations_never_make_the_hub_fail(fresh_database_url):
    """Against a hub with its own database and pool, as in production (no test transaction)."""
    import httpx

    from app.db import Database, make_engine
    from app.main import create_app
    from app.migrate import upgrade
    from app.services import clients
    from app.settings import Environment, Settings

    settings = Settings(env=Environment.TEST, database_url=fresh_database_url, migrate_on_start=False,
                        rate_limit_burst=1_000_000)
    database = Database(make_engine(fresh_database_url, settings))
    await upgrade(database.engine)
    db = database.session()
    pepper = settings.key_pepper.get_secret_value()
    keys = {}
    for role in Role:
        created = await clients.create_client(
            db, pepper, name=role.value, role=role, portal=Portal.AFFELNET if role == Role.PORTAL else None,
            departments=["75"] if role in (Role.ADVISER, Role.PILOT) else None,
        )
        keys[role.value] = created.api_key
    await db.commit()
    await db.close()
    app = create_app(settings, database)
    assert len(QUERIES) > 50 and len(MUTATIONS) > 20
    codes: dict[str, int] = {}
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as http:
            for role, key in keys.items():
                for document in QUERIES + MUTATIONS:
                    response = await http.post("/graphql", json={"query": document}, headers={"Authorization": f"Bearer {key}"})
                    assert response.status_code in (200, 400, 413, 429), (role, document, response.status_code)
                    body = response.json()
                    assert "Traceback" not in response.text and 'File "' not in response.text, document
                    for error in body.get("errors") or []:
                        code = error["extensions"]["code"]
                        codes[code] = codes.get(code, 0) + 1
                        assert code != "INTERNAL_SERVER_ERROR", (role, document, json.dumps(body)[:500])
    finally:
        await database.dispose()
    assert {"FORBIDDEN", "BAD_USER_INPUT"} <= codes.keys()  # the fuzzing reached the checks, not only happy paths
