"""CFAs, their consent history and their authorised vendors."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from app.db import AttributeRecord
from app.models import Cfa, CfaConsentEvent, CfaVendor
from app.models.base import table_of
from app.repositories.base import Repository

cfa_t = table_of(Cfa)
consent_t = table_of(CfaConsentEvent)
vendor_t = table_of(CfaVendor)

_COLUMNS = (
    cfa_t.c.uai,
    cfa_t.c.siret,
    cfa_t.c.name,
    cfa_t.c.department_code,
    cfa_t.c.consent_given,
    cfa_t.c.consent_changed_at,
)


class CfaRepository(Repository):
    async def by_uais(self, uais: Sequence[str]) -> list[Any]:
        """The CFAs with these UAIs (rows read by attribute): one statement whatever their number
        (SQLAlchemy's ``IN`` makes a statement per list length, each prepared anew)."""
        return await self.db.fetch(
            f"SELECT {', '.join('c.' + column.name for column in _COLUMNS)} FROM unnest($1::text[]) AS u(uai)"
            " JOIN cfa c ON c.uai = u.uai",
            list(uais), record_class=AttributeRecord,
        )

    async def page(self, after_uai: str | None, limit: int) -> list[Row[Any]]:
        statement = select(*_COLUMNS).order_by(cfa_t.c.uai).limit(limit)
        if after_uai is not None:
            statement = statement.where(cfa_t.c.uai > after_uai)
        return list((await self.db.execute(statement)).all())

    async def count(self) -> int:
        value: int = (await self.db.execute(select(func.count()).select_from(cfa_t))).scalar_one()
        return value

    async def upsert(self, *, uai: str, siret: str | None, name: str, department_code: str) -> Row[Any]:
        new_row = pg_insert(cfa_t).values(
            uai=uai, siret=siret, name=name, department_code=department_code
        )
        statement = new_row.on_conflict_do_update(
            index_elements=[cfa_t.c.uai],
            set_={
                "siret": new_row.excluded.siret,
                "name": new_row.excluded.name,
                "department_code": new_row.excluded.department_code,
                "updated_at": func.now(),
            },
        ).returning(*_COLUMNS)
        return (await self.db.execute(statement)).one()

    async def move_territory(self, uai: str, department_code: str) -> None:
        """Spans of risk whose territory is this CFA take its (new) department."""
        await self.db.run(
            "UPDATE youth_risk SET department_code = $2 WHERE uai = $1 AND department_code <> $2", uai, department_code
        )

    async def rebuild_department_changes(self, department_codes: Sequence[str]) -> None:
        """The department rollups of the change points (by day, by month) again, for departments
        whose CFAs moved."""
        await self.db.run(
            "DELETE FROM department_status_change WHERE department_code = ANY($1::text[])", list(department_codes)
        )
        await self.db.run(
            "INSERT INTO department_status_change (department_code, status, day, entries, exits)"
            " SELECT c.department_code, s.status, s.day, sum(s.entries), sum(s.exits) FROM cfa c"
            " JOIN status_change s ON s.uai = c.uai WHERE c.department_code = ANY($1::text[]) GROUP BY 1, 2, 3",
            list(department_codes),
        )
        await self.db.run(
            "DELETE FROM department_status_month WHERE department_code = ANY($1::text[])", list(department_codes)
        )
        await self.db.run(
            "INSERT INTO department_status_month (department_code, status, month, entries, exits)"
            " SELECT department_code, status, date_trunc('month', day)::date, sum(entries), sum(exits)"
            " FROM department_status_change WHERE department_code = ANY($1::text[]) GROUP BY 1, 2, 3",
            list(department_codes),
        )

    async def set_consent(self, uai: str, given: bool) -> Row[Any] | None:
        statement = (
            cfa_t.update()
            .where(cfa_t.c.uai == uai)
            .values(consent_given=given, consent_changed_at=func.now(), updated_at=func.now())
            .returning(*_COLUMNS)
        )
        return (await self.db.execute(statement)).first()

    async def youths_who_wished(self, uai: str) -> list[int]:
        """The youths with a wish to this CFA, in id order."""
        rows = await self.db.fetch(
            "SELECT DISTINCT youth_id FROM wish WHERE uai = $1 AND youth_id IS NOT NULL ORDER BY youth_id", uai
        )
        return [row[0] for row in rows]

    async def replace_vendors(self, uai: str, vendor_ids: Sequence[uuid.UUID]) -> None:
        await self.db.execute(delete(vendor_t).where(vendor_t.c.uai == uai))
        if vendor_ids:
            await self.db.execute(
                insert(vendor_t), [{"uai": uai, "client_id": vendor_id} for vendor_id in vendor_ids]
            )

    async def vendor_ids(self, uai: str) -> list[uuid.UUID]:
        statement = select(vendor_t.c.client_id).where(vendor_t.c.uai == uai).order_by(vendor_t.c.client_id)
        return list((await self.db.execute(statement)).scalars())

    async def record_consent_event(
        self, uai: str, given: bool, vendor_ids: Sequence[uuid.UUID], changed_by: uuid.UUID
    ) -> None:
        await self.db.execute(
            insert(consent_t).values(
                uai=uai, given=given, vendor_client_ids=list(vendor_ids), changed_by=changed_by
            )
        )
