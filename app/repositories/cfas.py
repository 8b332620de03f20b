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
    cfa_t.c.own_consent,
    cfa_t.c.responsible_uai,
)


def deciding_uai_sql(c: str) -> str:
    """The CFA whose decision is in force for CFA ``c`` (its consent and authorised vendors):
    itself, or its responsible when it is a formateur that made no decision of its own."""
    return f"(CASE WHEN {c}.own_consent IS NULL AND {c}.responsible_uai IS NOT NULL THEN {c}.responsible_uai ELSE {c}.uai END)"


KEEP = object()  # an argument left as it is


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

    async def upsert(
        self, *, uai: str, siret: str | None, name: str, department_code: str, responsible_uai: object = KEEP,
    ) -> Row[Any]:
        """Create or update the CFA; ``responsible_uai``: a UAI, None (its own), or KEEP (as it is;
        none for a new CFA)."""
        values: dict[str, Any] = {"uai": uai, "siret": siret, "name": name, "department_code": department_code}
        updated = ["siret", "name", "department_code"]
        if responsible_uai is not KEEP:
            values["responsible_uai"] = responsible_uai
            updated.append("responsible_uai")
        new_row = pg_insert(cfa_t).values(**values)
        statement = new_row.on_conflict_do_update(
            index_elements=[cfa_t.c.uai],
            set_={**{column: new_row.excluded[column] for column in updated}, "updated_at": func.now()},
        ).returning(*_COLUMNS)
        return (await self.db.execute(statement)).one()

    async def formateurs_of(self, uai: str) -> list[str]:
        """The CFAs formateurs under this responsible, in UAI order."""
        return [row[0] for row in await self.db.fetch("SELECT uai FROM cfa WHERE responsible_uai = $1 ORDER BY uai", uai)]

    async def follow_decisions(self, uais: Sequence[str]) -> list[str]:
        """Set the consent in force of these CFAs from their own decision, else their
        responsible's, else none; returns those whose consent changed, in UAI order."""
        rows = await self.db.fetch(
            "UPDATE cfa f SET consent_given = e.given, consent_changed_at = now(), updated_at = now()"
            " FROM (SELECT c.uai, coalesce(c.own_consent, r.own_consent, false) AS given FROM unnest($1::text[]) AS u(uai)"
            " JOIN cfa c ON c.uai = u.uai LEFT JOIN cfa r ON r.uai = c.responsible_uai) AS e"
            " WHERE f.uai = e.uai AND f.consent_given IS DISTINCT FROM e.given RETURNING f.uai",
            sorted(uais),
        )
        return sorted(row[0] for row in rows)

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
            .values(consent_given=given, own_consent=given, consent_changed_at=func.now(), updated_at=func.now())
            .returning(*_COLUMNS)
        )
        return (await self.db.execute(statement)).first()

    async def youths_who_wished(self, uais: Sequence[str]) -> list[int]:
        """The youths with a wish to one of these CFAs, in id order."""
        rows = await self.db.fetch(
            "SELECT DISTINCT youth_id FROM wish WHERE uai = ANY($1::text[]) AND youth_id IS NOT NULL ORDER BY youth_id",
            list(uais),
        )
        return [row[0] for row in rows]

    async def replace_vendors(self, uai: str, vendor_ids: Sequence[uuid.UUID]) -> None:
        await self.db.execute(delete(vendor_t).where(vendor_t.c.uai == uai))
        if vendor_ids:
            await self.db.execute(
                insert(vendor_t), [{"uai": uai, "client_id": vendor_id} for vendor_id in vendor_ids]
            )

    async def vendor_ids(self, uai: str) -> list[uuid.UUID]:
        """The vendors in force for this CFA (its responsible's for a formateur without a decision)."""
        rows = await self.db.fetch(
            f"SELECT v.client_id FROM cfa c JOIN cfa_vendor v ON v.uai = {deciding_uai_sql('c')} WHERE c.uai = $1"
            " ORDER BY v.client_id", uai,
        )
        return [row[0] for row in rows]

    async def record_consent_events(
        self, uais: Sequence[str], given: bool, vendor_ids: Sequence[uuid.UUID], changed_by: uuid.UUID
    ) -> None:
        """The same change of consent for these CFAs (a responsible's and the formateurs that
        follow it), one statement."""
        if uais:
            await self.db.execute(insert(consent_t), [
                {"uai": uai, "given": given, "vendor_client_ids": list(vendor_ids), "changed_by": changed_by} for uai in uais
            ])
