"""Contract fields whose issue has not landed answer NOT_IMPLEMENTED, after the role check."""

from __future__ import annotations

import pytest

from app.auth import Role
from tests.factories import new_client

PENDING = [
    (Role.PILOT, "{ headcounts(groupBy: REGION) { key } }", "headcounts"),
    (Role.PILOT, "{ headcountSeries(from: \"2026-01-01\", to: \"2026-06-01\", interval: MONTH, groupBy: NATIONAL) { on } }", "headcountSeries"),
]


@pytest.mark.parametrize(("role", "query", "field"), PENDING, ids=[p[2] for p in PENDING])
async def test_pending_fields_answer_not_implemented(gql, database, role, query, field):
    _, key = await new_client(database, role, departments=["75"] if role == Role.ADVISER else None)
    error = await gql.error(query, key=key)
    assert error["extensions"]["code"] == "NOT_IMPLEMENTED"
    assert field in error["message"]
