"""Youths at risk, as the advisers read them: a range read of the stored spans of risk."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.domain.scope import Scope
from app.repositories import arrays
from app.repositories.base import Params, Repository

COLUMNS = "r.youth_id, r.since, r.reasons, r.department_code"  # all in the covering index


@dataclass(frozen=True)
class RiskQuery:
    """The youths at risk on ``on``: in ``departments`` (None: everywhere), with any of
    ``reasons`` (None: any)."""

    on: date
    departments: frozenset[str] | None = None
    reasons: tuple[str, ...] | None = None

    @classmethod
    def readable_by(
        cls, scope: Scope, on: date, wanted: frozenset[str] | None, reasons: tuple[str, ...] | None
    ) -> RiskQuery:
        """The youths at risk ``scope`` may read (an adviser's territory, everywhere for the
        ADMIN), in the ``wanted`` departments of those (None: all of them)."""
        departments = scope.risk_departments
        if wanted is not None:
            departments = wanted if departments is None else departments & wanted
        return cls(on=on, departments=departments, reasons=reasons)

    def where(self, arg: Params) -> str:
        day = arg(self.on)
        conditions = [f"r.valid_from <= {day}", f"(r.valid_to IS NULL OR r.valid_to > {day})"]
        if self.departments is not None:
            conditions.append(f"r.department_code = ANY({arg(sorted(self.departments))}::text[])")
        if self.reasons is not None:
            conditions.append(f"r.reasons && {arg(list(self.reasons))}::varchar(24)[]")
        return " AND ".join(conditions)


class RiskRepository(Repository):
    async def page(self, query: RiskQuery, after: tuple[date, int] | None, limit: int) -> list[Any]:
        """(youth_id, since, reasons, department_code, uai), by since then youth id."""
        arg = Params()
        where = query.where(arg)
        if after is not None:
            where += f" AND (r.since, r.youth_id) > ({arg(after[0])}, {arg(after[1])})"
        return await self.db.fetch(
            f"SELECT {COLUMNS} FROM youth_risk r WHERE {where} ORDER BY r.since, r.youth_id LIMIT {arg(limit)}", *arg
        )

    async def count(self, query: RiskQuery) -> int:
        arg = Params()
        rows = await self.db.fetch(f"SELECT count(*) FROM youth_risk r WHERE {query.where(arg)}", *arg)
        value: int = rows[0][0]
        return value

    async def last_steps(self, youth_ids: Sequence[int], on: date) -> list[Any]:
        """Each youth's latest step effective on ``on`` or before (path order), one index probe each."""
        return await self.db.fetch(
            "SELECT i.youth_id, e.id, e.step, e.effective_date, e.received_at, e.uai, e.certification_code,"
            " e.contract_start, e.contract_end FROM unnest($1::text::bigint[]) AS i(youth_id)"
            " CROSS JOIN LATERAL (SELECT * FROM step_event s WHERE s.youth_id = i.youth_id AND s.effective_date <= $2"
            " ORDER BY s.effective_date DESC, s.id DESC LIMIT 1) AS e",
            arrays.ints(youth_ids), on,
        )
