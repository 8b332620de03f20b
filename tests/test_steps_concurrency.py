"""Concurrent batches on the same youths, through real transactions (no test savepoints):
every batch succeeds and every stored path equals a recomputation from the stored steps."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text

from app.auth import Principal
from app.domain.actors import Role
from app.domain.dates import today as france_today
from app.domain.timeline import StepFact, timeline
from app.main import create_app
from app.services import cfas, clients
from app.services.paths import rules_of
from tests.helpers import assert_change_points_match_paths

UAIS = ["0751234J", "0750654D"]


@pytest.fixture
async def live(own_database):
    return await own_database()


async def test_concurrent_batches_on_the_same_youths_keep_paths_exact(live):
    settings, database = live
    db = database.session()
    pepper = settings.key_pepper.get_secret_value()
    admin = await clients.create_client(db, pepper, name="admin", role=Role.ADMIN)
    principal = Principal(admin.client.id, "admin", Role.ADMIN, None, None, admin.client.created_at, admin.client.id)
    keys = []
    for i in range(4):
        keys.append(await clients.create_client(db, pepper, name=f"vendor {i}", role=Role.VENDOR))
    for uai in UAIS:
        await cfas.register_cfa(db, uai=uai, siret=None, name=uai, department_code="75")
        await cfas.set_consent(db, principal, uai=uai, given=True, vendor_client_ids=[str(k.client.id) for k in keys])
    await db.commit()
    await db.close()

    today = france_today()
    steps = ["REGISTERED", "APPRENTICE", "CONTRACT_BROKEN", "MEETING", "DROPPED_OUT"]

    def batch(vendor: int, round_: int) -> list[dict]:
        return [
            {
                "eventId": f"{round_}-{i}", "uai": UAIS[i % 2], "ine": f"{i % 40:09d}AB", "certification": "50022141",
                "step": steps[(i + vendor + round_) % len(steps)],
                "effectiveDate": (today - timedelta(days=(i * 7 + vendor * 3 + round_) % 300)).isoformat(),
            }
            for i in range(120)
        ]

    app = create_app(settings, database)
    query = "mutation($input: [StepInput!]!) { recordSteps(input: $input) { accepted rejected { code } } }"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub", timeout=60) as http:

        async def send(vendor: int, round_: int) -> dict:
            response = await http.post(
                "/graphql", json={"query": query, "variables": {"input": batch(vendor, round_)}},
                headers={"Authorization": f"Bearer {keys[vendor].api_key}"},
            )
            return response.json()

        results = await asyncio.gather(*(send(v, r) for r in range(3) for v in range(4)))
    assert all("errors" not in body for body in results), [b.get("errors") for b in results if "errors" in b]
    assert sum(body["data"]["recordSteps"]["accepted"] for body in results) == 12 * 120

    rules = rules_of(settings)
    async with database.engine.connect() as connection:
        youths = (await connection.execute(text("SELECT count(*) FROM youth"))).scalar_one()
        rows = (await connection.execute(text(
            "SELECT youth_id, step, effective_date, id, uai, certification_code, contract_start, contract_end"
            " FROM step_event ORDER BY youth_id"
        ))).all()
        stored = {r.youth_id: r for r in (await connection.execute(text("SELECT * FROM youth_path"))).all()}
        await assert_change_points_match_paths(connection)  # counters kept by concurrent batches
    assert youths == 40
    by_youth: dict[int, list[StepFact]] = {}
    for r in rows:
        by_youth.setdefault(r.youth_id, []).append(StepFact(r.step, r.effective_date, r.id, r.uai, r.certification_code, r.contract_start, r.contract_end))
    for youth_id, facts in by_youth.items():
        expected = timeline(facts, rules)
        path = stored.get(youth_id)
        got = [] if path is None else list(zip(path.starts, path.statuses, path.uais, path.causes))
        assert got == [(s.start, s.status, s.uai, s.cause) for s in expected], youth_id
