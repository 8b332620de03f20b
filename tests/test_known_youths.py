"""The process's cache of youths known to exist (deferred batches matching by INE): what it
answers, when it starts afresh, and that an erased youth never receives a step through it."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text

from app.domain.actors import Role
from app.domain.dates import today as france_today
from app.main import create_app
from app.repositories.youths import YouthRepository
from app.services.known_youths import KnownYouths
from app.settings import Derivation
from tests.factories import consenting_vendor, new_client
from tests.helpers import Gql

RECORD = "mutation($input: [StepInput!]!) { recordSteps(input: $input) { accepted unchanged rejected { index code } } }"
X = "0751234J"
TODAY = france_today()


@pytest.fixture
async def live(own_database):
    """Deferred derivation on a database of its own: real transactions."""
    return await own_database(derivation=Derivation.DEFERRED)


def test_the_cache_answers_what_it_was_told_and_starts_afresh_when_deletions_moved_or_it_is_full():
    known = KnownYouths(capacity=3)
    a, b, c, d = (bytes([i]) * 32 for i in range(4))
    assert known.still_valid(0) is False  # never filled: starts under 0
    known.remember([a, b, c], [1, None, 3])
    assert known.known([a, b, c]) == ({a: 1, c: 3}, [b])
    assert known.still_valid(0) and len(known) == 2
    known.remember([d, b], [4, 2])  # 2 + 2 > 3: afresh
    assert known.known([a, b, d]) == ({b: 2, d: 4}, [a])
    assert known.still_valid(1) is False and len(known) == 0  # a deletion happened
    assert known.known([b]) == ({}, [b])


def steps(prefix: str, ines: list[str]) -> list[dict]:
    return [
        {"eventId": f"{prefix}{i}", "uai": X, "ine": ine, "certification": "50022141", "step": "REGISTERED",
         "effectiveDate": (TODAY - timedelta(days=3)).isoformat()}
        for i, ine in enumerate(ines)
    ]


async def test_known_youths_are_not_looked_up_again_and_an_erasure_empties_every_cache(live, monkeypatch):
    settings, database = live
    vendor = await consenting_vendor(database, settings.key_pepper.get_secret_value(), uai=X)
    _, admin_key = await new_client(database, Role.ADMIN, name="eraser")
    looked_up: list[int] = []
    real = YouthRepository.find_by_ine

    async def counting(self, hashes):
        looked_up.append(len(hashes))
        return await real(self, hashes)

    monkeypatch.setattr(YouthRepository, "find_by_ine", counting)
    ines = [f"{i:09d}AB" for i in range(20)]
    app = create_app(settings, database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as http:
        gql = Gql(http)
        assert (await gql.data(RECORD, {"input": steps("a", ines[:10])}, key=vendor.api_key))["recordSteps"]["accepted"] == 10
        assert (await gql.data(RECORD, {"input": steps("b", ines[:10])}, key=vendor.api_key))["recordSteps"]["accepted"] == 10
        assert (await gql.data(RECORD, {"input": steps("c", ines)}, key=vendor.api_key))["recordSteps"]["accepted"] == 20
        # created by the first batch (not remembered), found by the second, known to the third
        # (which looks up only its 10 new youths, and does not remember them either)
        assert looked_up == [10, 10, 10]
        assert len(app.state.known_youths) == 10
        async with database.engine.connect() as connection:
            erased = (await connection.execute(text(
                "SELECT e.youth_id FROM step_event e WHERE e.event_id = 'a0'"))).scalar_one()
        assert (await gql.data('mutation { eraseYouth(ine: "000000000AB") }', key=admin_key))["eraseYouth"]
        looked_up.clear()
        assert (await gql.data(RECORD, {"input": steps("d", ines[:2])}, key=vendor.api_key))["recordSteps"]["accepted"] == 2
        assert looked_up == [0, 2]  # both known, but the cache was stale: both looked up again
    async with database.engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM step_event WHERE youth_id = :y"), {"y": erased})).scalar_one() == 0
        assert (await connection.execute(text(
            "SELECT count(*) FROM step_event e WHERE NOT EXISTS (SELECT FROM youth y WHERE y.id = e.youth_id)"
        ))).scalar_one() == 0
        assert (await connection.execute(text("SELECT count(*) FROM youth"))).scalar_one() == 20  # the erased one anew

