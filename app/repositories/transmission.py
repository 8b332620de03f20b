"""What CFAs' software sends: the per-CFA, per-day stamps kept by the ingestion, and the reads of
transmission coverage (pilots) and of one CFA's transmission."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import NamedTuple

from app.domain.actors import Role
from app.domain.scope import Scope
from app.repositories import arrays
from app.repositories.base import Params, Repository, named
from app.repositories.cfas import deciding_uai_sql

WINDOW_DAYS = 30  # transmitting: a record received in the 30 days up to the day asked


class Received(NamedTuple):
    uai: str
    received: int  # valid records, steps or offers
    steps_accepted: int
    steps_rejected: int


class CfaCoverage(NamedTuple):
    uai: str
    department_code: str
    region_code: str
    consent_given: bool
    transmitting: bool


class Transmission(NamedTuple):
    uai: str
    last_received_at: datetime | None
    steps_last_30_days: int
    rejected_last_30_days: int
    vendors: list[str]


class TransmissionRepository(Repository):
    async def note(self, day: date, rows: Sequence[Received]) -> None:
        """Add a batch's receipts of ``day`` to its CFAs' stamps (unknown UAIs are left out), in
        key order (concurrent batches lock shared rows in the same order)."""
        rows = sorted(row for row in rows if row.received or row.steps_accepted or row.steps_rejected)
        if not rows:
            return
        await self.db.run(
            "INSERT INTO cfa_transmission_day AS t (uai, day, received, steps_accepted, steps_rejected, last_received_at)"
            " SELECT r.uai, $1, r.received, r.accepted, r.rejected, CASE WHEN r.received > 0 THEN clock_timestamp() END"
            " FROM unnest($2::text[], $3::text::int[], $4::text::int[], $5::text::int[])"
            " AS r(uai, received, accepted, rejected) JOIN cfa c ON c.uai = r.uai ORDER BY r.uai"
            " ON CONFLICT (uai, day) DO UPDATE SET received = t.received + excluded.received,"
            " steps_accepted = t.steps_accepted + excluded.steps_accepted,"
            " steps_rejected = t.steps_rejected + excluded.steps_rejected,"
            " last_received_at = greatest(t.last_received_at, excluded.last_received_at)",
            day, [r.uai for r in rows], arrays.ints(r.received for r in rows), arrays.ints(r.steps_accepted for r in rows),
            arrays.ints(r.steps_rejected for r in rows),
        )

    async def stamp_from_events(self) -> None:
        """Stamp the CFAs' transmission from the stored step events (their receipt day in France),
        for data loaded without the ingestion (the demo)."""
        await self.db.run(
            "INSERT INTO cfa_transmission_day AS t (uai, day, received, steps_accepted, steps_rejected, last_received_at)"
            " SELECT e.uai, (e.received_at AT TIME ZONE 'Europe/Paris')::date, count(*), count(*), 0, max(e.received_at)"
            " FROM step_event e JOIN cfa c ON c.uai = e.uai GROUP BY 1, 2 ORDER BY 1, 2"
            " ON CONFLICT (uai, day) DO UPDATE SET received = t.received + excluded.received,"
            " steps_accepted = t.steps_accepted + excluded.steps_accepted,"
            " last_received_at = greatest(t.last_received_at, excluded.last_received_at)"
        )

    async def coverage(
        self, on: date, *, departments: frozenset[str] | None, uais: Sequence[str] | None,
    ) -> list[CfaCoverage]:
        """Every known CFA of the territory, with its consent and whether it sent a record in the
        30 days up to ``on``."""
        arg = Params([on, WINDOW_DAYS])
        conditions = ["true"]
        if departments is not None:
            conditions.append(f"c.department_code = ANY({arg(sorted(departments))}::text[])")
        if uais is not None:
            conditions.append(f"c.uai = ANY({arg(sorted(uais))}::text[])")
        return named(CfaCoverage, await self.db.fetch(
            "SELECT c.uai, c.department_code, d.region_code, c.consent_given, EXISTS (SELECT FROM cfa_transmission_day t"
            " WHERE t.uai = c.uai AND t.day <= $1 AND t.day > $1 - $2::int AND t.received > 0) AS transmitting"
            f" FROM cfa c JOIN department d ON d.code = c.department_code WHERE {' AND '.join(conditions)}",
            *arg,
        ))

    async def of_cfas(
        self, uais: Sequence[str], today: date, scope: Scope, client_id: uuid.UUID | None
    ) -> list[Transmission]:
        """The transmission of these CFAs that ``scope`` may read (ADMIN: all; PILOT: in its
        territory; VENDOR: the CFAs that authorised it; other roles: none), over the 30 days up
        to ``today``."""
        arg = Params([list(uais), today, WINDOW_DAYS])
        if scope.role == Role.ADMIN or (scope.role == Role.PILOT and scope.departments is None):
            readable = "true"
        elif scope.role == Role.PILOT:
            readable = f"c.department_code = ANY({arg(sorted(scope.departments or ()))}::text[])"
        elif scope.role == Role.VENDOR:
            readable = (f"EXISTS (SELECT FROM cfa_vendor v WHERE v.uai = {deciding_uai_sql('c')}"
                        f" AND v.client_id = {arg(client_id)})")
        else:
            return []
        return named(Transmission, await self.db.fetch(
            "SELECT c.uai, (SELECT max(t.last_received_at) FROM cfa_transmission_day t WHERE t.uai = c.uai),"
            " coalesce((SELECT sum(t.steps_accepted) FROM cfa_transmission_day t WHERE t.uai = c.uai"
            " AND t.day <= $2 AND t.day > $2 - $3::int), 0)::int,"
            " coalesce((SELECT sum(t.steps_rejected) FROM cfa_transmission_day t WHERE t.uai = c.uai"
            " AND t.day <= $2 AND t.day > $2 - $3::int), 0)::int,"
            " ARRAY(SELECT a.name FROM cfa_vendor v JOIN api_client a ON a.id = v.client_id"
            f" WHERE v.uai = {deciding_uai_sql('c')} AND a.revoked_at IS NULL ORDER BY a.name)"
            f" FROM unnest($1::text[]) AS u(uai) JOIN cfa c ON c.uai = u.uai WHERE {readable}",
            *arg,
        ))
