"""Logs are JSON lines with the request's id, client, operation and duration, and never hold an
INE, a NIR, an API key, its hash or a variable's value: a whole scenario's log is searched."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from app.domain.actors import Portal, Role
from app.domain.dates import today as france_today
from app.logs import JsonFormatter
from app.security import hash_api_key
from tests.factories import new_cfa, new_client

INES = ["123456789AB", "1234567890C", "1234A12345D"]


def synthetic_nir(serial: int) -> str:
    first13 = f"19999750{serial:05d}"
    return first13 + f"{97 - int(first13) % 97:02d}"


@pytest.fixture
def captured():
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Keep(level=logging.DEBUG)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield lines
    root.removeHandler(handler)
    root.setLevel(previous)


async def test_no_identifier_reaches_the_logs(gql, http, database, admin, captured):
    vendor, vendor_key = await new_client(database, Role.VENDOR)
    _, portal_key = await new_client(database, Role.PORTAL, portal=Portal.PARCOURSUP)
    _, adviser_key = await new_client(database, Role.ADVISER, departments=["75"])
    await new_cfa(database, "0751234J", department="75", consent=True, vendors=[vendor.id], admin=admin.principal)
    nirs = [synthetic_nir(i) for i in range(3)]
    day = (france_today() - timedelta(days=100)).isoformat()
    steps = [{"eventId": f"e{i}", "uai": "0751234J", "ine": ine, "nir": nir, "certification": "50022141",
              "step": "REGISTERED", "effectiveDate": day} for i, (ine, nir) in enumerate(zip(INES, nirs))]
    steps.append({"eventId": "bad", "uai": "0751234J", "ine": "99BADINE99", "certification": "50022141",
                  "step": "REGISTERED", "effectiveDate": day})
    await gql.data("mutation($i: [StepInput!]!) { recordSteps(input: $i) { accepted } }", {"i": steps}, key=vendor_key)
    wishes = [{"portalWishId": "w1", "ine": INES[0], "uai": "0751234J", "certification": "50022141",
               "submittedAt": datetime.now(UTC).isoformat()}]
    await gql.data("mutation($i: [WishInput!]!) { submitWishes(input: $i) { accepted } }", {"i": wishes}, key=portal_key)
    await gql.data("{ wishes { edges { node { portalWishId } } } }", key=portal_key)
    page = await gql.data("{ atRiskYouths { edges { node { youth { ine } } } } }", key=adviser_key)
    assert {e["node"]["youth"]["ine"] for e in page["atRiskYouths"]["edges"]} == set(INES)  # the adviser sees them
    await gql.data('query($i: String) { youth(ine: $i) { id } }', {"i": INES[1]}, key=admin.key)
    await gql("{ youth(ine: \"" + INES[2] + "\") { id nope } }", key=admin.key)  # a validation error, value inline
    await http.get("/exports/at-risk.csv", headers={"Authorization": f"Bearer {adviser_key}"})
    await gql("{ me { id } }", key="hub_" + "x" * 43)  # an unknown key

    assert captured, "the scenario logs its requests"
    forbidden = INES + nirs + [n[:13] for n in nirs] + ["99BADINE99"]
    for key in (vendor_key, portal_key, adviser_key, admin.key):
        forbidden += [key, key[4:], hash_api_key("dev-key-pepper-not-secret", key).hex()]
    forbidden += [hashlib.sha256(ine.encode()).hexdigest() for ine in INES]
    for line in captured:
        entry = json.loads(line)  # every line is one JSON object
        assert {"time", "level", "logger", "message"} <= entry.keys()
        for value in forbidden:
            assert value not in line, (value, line)
    requests = [json.loads(line) for line in captured if json.loads(line)["logger"] == "hub.access"]
    graphql = [r for r in requests if r["path"] == "/graphql"]
    assert len(graphql) >= 7 and all(r["request_id"] and isinstance(r["duration_ms"], float) for r in graphql)
    assert {"recordSteps", "submitWishes", "wishes", "atRiskYouths", "youth"} <= {r.get("operation") for r in graphql}
    assert all(r.get("client_id") for r in graphql if r.get("operation") == "recordSteps")


async def test_a_failed_statement_logs_no_value_it_was_sent(gql, database, admin, captured, monkeypatch):
    """The engine hides statements' parameters, and the logs withhold what PostgreSQL's message
    quotes of them: an INE sent in a failing statement, by SQLAlchemy or on the driver, never
    reaches a log line."""
    from sqlalchemy import text

    from app.services import cfas

    async def failing_on_the_driver(db, first, after):
        await db.fetch("SELECT $1::text::int", INES[0])

    async def failing_through_sqlalchemy(db, first, after):
        await db.execute(text("SELECT CAST(:v AS int)"), {"v": INES[1]})

    for failing in (failing_on_the_driver, failing_through_sqlalchemy):
        monkeypatch.setattr(cfas, "cfa_page", failing)
        error = await gql.error("{ cfas(first: 1) { totalCount } }", key=admin.key)
        assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert database.engine.sync_engine.hide_parameters
    logged = [line for line in captured if '"hub.graphql"' in line and "unexpected error" in line]
    assert len(logged) == 2 and all("message withheld: SQLSTATE 22" in line for line in logged), logged  # data exceptions
    assert all(ine not in line for line in captured for ine in INES[:2])
