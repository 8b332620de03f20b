"""Test helpers: a GraphQL caller over HTTP and a SQL statement counter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


class Gql:
    """Posts a GraphQL operation with variables and a key; returns the decoded JSON body."""

    def __init__(self, http: httpx.AsyncClient):
        self.http = http

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, *, key: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def data(self, query: str, variables: dict[str, Any] | None = None, *, key: str | None = None) -> dict[str, Any]:
        """The ``data`` of a call that must have no error."""
        body = await self(query, variables, key=key)
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def error(self, query: str, variables: dict[str, Any] | None = None, *, key: str | None = None) -> dict[str, Any]:
        """The single error of a call that must fail."""
        body = await self(query, variables, key=key)
        assert body.get("errors"), body
        assert len(body["errors"]) == 1, body["errors"]
        return body["errors"][0]


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def on_execute(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        self.on_statement(statement)

    def on_statement(self, statement: str) -> None:
        # Savepoints are the test harness's transaction, not the application's work.
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO")):
            self.statements.append(statement)

    def reset(self) -> None:
        self.statements.clear()

    @property
    def count(self) -> int:
        return len(self.statements)


@dataclass
class AdminClient:
    row: Any
    key: str
    principal: Any


# The change points as the stored paths imply them (segment i runs from starts[i] to starts[i+1]).
CHANGE_POINTS_FROM_PATHS = (
    "SELECT uai, certification, status, day, sum(entries)::int AS entries, sum(exits)::int AS exits FROM ("
    " SELECT p.uais[i] AS uai, p.certifications[i] AS certification, p.statuses[i] AS status, p.starts[i] AS day,"
    " 1 AS entries, 0 AS exits FROM youth_path p, generate_subscripts(p.starts, 1) AS i"
    " UNION ALL SELECT p.uais[i], p.certifications[i], p.statuses[i], p.starts[i + 1], 0, 1"
    " FROM youth_path p, generate_subscripts(p.starts, 1) AS i WHERE i < cardinality(p.starts)"
    ") AS c GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
)
STORED_INTAKE_POINTS = (
    "SELECT uai, certification_code, entered_on, day, youths FROM intake_change WHERE youths <> 0"
)
STORED_CHANGE_POINTS = (
    "SELECT uai, certification_code, status, day, entries, exits FROM status_change"
    " WHERE entries <> 0 OR exits <> 0 ORDER BY 1, 2, 3, 4"
)


async def assert_change_points_match_paths(connection: Any) -> None:
    """The incrementally kept change points equal a recount from the paths."""
    from sqlalchemy import text

    expected = [tuple(r) for r in (await connection.execute(text(CHANGE_POINTS_FROM_PATHS))).all()]
    stored = [tuple(r) for r in (await connection.execute(text(STORED_CHANGE_POINTS))).all()]
    assert stored == expected
    # each CFA's sums up to the cut equal the change points summed up to it
    base = (
        "SELECT uai, status, net, entries, year_entries FROM cfa_status_base"
        " WHERE net <> 0 OR entries <> 0 OR year_entries <> 0 ORDER BY 1, 2"
    )
    summed_to_cut = (
        "SELECT s.uai, s.status, sum(s.entries - s.exits) FILTER (WHERE s.day <= k.cut)::int,"
        " coalesce(sum(s.entries) FILTER (WHERE s.day <= k.cut), 0)::int,"
        " coalesce(sum(s.entries) FILTER (WHERE s.day <= k.year_cut), 0)::int"
        " FROM status_change s, status_cut k GROUP BY 1, 2 HAVING sum(s.entries - s.exits) FILTER (WHERE s.day <= k.cut) <> 0"
        " OR coalesce(sum(s.entries) FILTER (WHERE s.day <= k.cut), 0) <> 0 ORDER BY 1, 2"
    )
    assert [tuple(r) for r in (await connection.execute(text(base))).all()] == [
        tuple(r) for r in (await connection.execute(text(summed_to_cut))).all()
    ]
    # each offer's intake at the cut: the intakes' change points up to it, each entry to its offer
    from app.domain.intake import Session, school_year, taken_in_by

    cut = (await connection.execute(text("SELECT cut FROM status_cut"))).scalar_one()
    sessions: dict = {}
    for row in (await connection.execute(text("SELECT id, uai, certification_code, session_start, session_end FROM offer"))).all():
        sessions.setdefault((row.uai, row.certification_code), []).append(Session(row.id, row.session_start, row.session_end))
    expected_intake: dict = {}
    for row in (await connection.execute(text(
            "SELECT uai, certification_code, entered_on, sum(youths)::int FROM intake_change WHERE day <= :cut"
            " GROUP BY 1, 2, 3"), {"cut": cut})).all():
        offer = taken_in_by(row[2], sessions.get((row[0], row[1]), []), cut)
        if offer is not None and row[3]:
            expected_intake[offer] = expected_intake.get(offer, 0) + row[3]
    stored_intake = dict((await connection.execute(text("SELECT offer_id, youths FROM offer_intake_base WHERE youths <> 0"))).all())
    assert stored_intake == {k: v for k, v in expected_intake.items() if v}
    # and by month of the change points (those before the cut's school year in its first month)
    year_start = school_year(cut)[0]
    expected_months: dict = {}
    for row in (await connection.execute(text(
            "SELECT uai, certification_code, entered_on, day, youths FROM intake_change WHERE day <= :cut"), {"cut": cut})).all():
        offer = taken_in_by(row[2], sessions.get((row[0], row[1]), []), cut)
        if offer is not None:
            month = max(row[3].replace(day=1), year_start)
            expected_months[(offer, month)] = expected_months.get((offer, month), 0) + row[4]
    stored_months = dict(((r[0], r[1]), r[2]) for r in (await connection.execute(text(
        "SELECT offer_id, month, youths FROM offer_intake_month WHERE youths <> 0"))).all())
    assert stored_months == {k: v for k, v in expected_months.items() if v}
    # the intakes' change points: the paths' stays (taking every path away gives their opposite)
    from app.domain.intake import intake_points

    paths = (await connection.execute(text("SELECT youth_id, starts, statuses, uais, certifications FROM youth_path"))).all()
    assert sorted(tuple(r) for r in (await connection.execute(text(STORED_INTAKE_POINTS))).all()) == sorted(
        (*key, -youths) for *key, youths in intake_points(paths, {}))
    by_department = (
        "SELECT department_code, status, day, entries, exits FROM department_status_change"
        " WHERE entries <> 0 OR exits <> 0 ORDER BY 1, 2, 3"
    )
    summed = (
        "SELECT c.department_code, s.status, s.day, sum(s.entries)::int, sum(s.exits)::int FROM status_change s"
        " JOIN cfa c ON c.uai = s.uai GROUP BY 1, 2, 3 HAVING sum(s.entries) <> 0 OR sum(s.exits) <> 0 ORDER BY 1, 2, 3"
    )
    assert [tuple(r) for r in (await connection.execute(text(by_department))).all()] == [
        tuple(r) for r in (await connection.execute(text(summed))).all()
    ]
    by_month = (
        "SELECT department_code, status, month, entries, exits FROM department_status_month"
        " WHERE entries <> 0 OR exits <> 0 ORDER BY 1, 2, 3"
    )
    monthly = (
        "SELECT department_code, status, date_trunc('month', day)::date, sum(entries)::int, sum(exits)::int"
        " FROM department_status_change GROUP BY 1, 2, 3 HAVING sum(entries) <> 0 OR sum(exits) <> 0 ORDER BY 1, 2, 3"
    )
    assert [tuple(r) for r in (await connection.execute(text(by_month))).all()] == [
        tuple(r) for r in (await connection.execute(text(monthly))).all()
    ]
    cfa_by_month = (
        "SELECT uai, status, month, entries, exits FROM cfa_status_month WHERE entries <> 0 OR exits <> 0 ORDER BY 1, 2, 3"
    )
    cfa_monthly = (
        "SELECT uai, status, date_trunc('month', day)::date, sum(entries)::int, sum(exits)::int FROM status_change"
        " GROUP BY 1, 2, 3 HAVING sum(entries) <> 0 OR sum(exits) <> 0 ORDER BY 1, 2, 3"
    )
    assert [tuple(r) for r in (await connection.execute(text(cfa_by_month))).all()] == [
        tuple(r) for r in (await connection.execute(text(cfa_monthly))).all()
    ]
