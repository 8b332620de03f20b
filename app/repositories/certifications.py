"""The certification referential (CFD and RNCP codes)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, true
from sqlalchemy.dialects.postgresql import insert as pg_insert

from app.db import AttributeRecord
from app.models import Certification
from app.models.base import table_of
from app.repositories.base import Repository

certification_t = table_of(Certification)

_COLUMNS = (
    certification_t.c.code,
    certification_t.c.kind,
    certification_t.c.title,
    certification_t.c.level,
    certification_t.c.verified,
)


class CertificationRepository(Repository):
    async def by_codes(self, codes: Sequence[str]) -> list[Any]:
        """The certifications with these codes (rows read by attribute), in one statement whatever
        their number."""
        return await self.db.fetch(
            f"SELECT {', '.join('k.' + column.name for column in _COLUMNS)} FROM unnest($1::text[]) AS u(code)"
            " JOIN certification k ON k.code = u.code",
            list(codes), record_class=AttributeRecord,
        )

    async def upsert_verified(self, records: Sequence[dict[str, Any]]) -> int:
        """Insert or update verified certifications in one statement; return how many changed.

        A record identical to the stored, verified one is left alone (an idempotent replay).
        """
        if not records:
            return 0
        new_row = pg_insert(certification_t).values(
            [{**record, "verified": True} for record in records]
        )
        excluded = new_row.excluded
        statement = new_row.on_conflict_do_update(
            index_elements=[certification_t.c.code],
            set_={
                "kind": excluded.kind,
                "title": excluded.title,
                "level": excluded.level,
                "verified": true(),
                "updated_at": func.now(),
            },
            where=(
                func.row(
                    certification_t.c.kind,
                    certification_t.c.title,
                    certification_t.c.level,
                    certification_t.c.verified,
                ).is_distinct_from(func.row(excluded.kind, excluded.title, excluded.level, true()))
            ),
        ).returning(certification_t.c.code)
        return len((await self.db.execute(statement)).all())
