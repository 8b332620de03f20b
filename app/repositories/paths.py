"""Youths' derived paths (one row per youth): rewritten for the youths a batch touched."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, text

from app.repositories.base import Repository


class PathRepository(Repository):
    async def write(self, paths: dict[str, list[Any]], empty_youth_ids: Sequence[int], rule_version: str) -> None:
        """Store one path per youth. ``paths`` holds one entry per youth and column, each
        column's value being the PostgreSQL array literal of that youth's segments (e.g.
        ``{2026-09-01,2026-12-01}``): one row per youth, with no grouping or sorting in the
        database. Youths in ``empty_youth_ids`` have no status step any more and lose their path."""
        if paths["youth_id"]:
            await self.db.execute(
                text(
                    "INSERT INTO youth_path (youth_id, starts, statuses, uais, certifications, causes, rule_version)"
                    " SELECT youth_id, CAST(starts AS date[]), CAST(statuses AS text[]), CAST(uais AS text[]),"
                    " CAST(certifications AS text[]), CAST(causes AS text[]), :version"
                    " FROM unnest(CAST(:youth_id AS bigint[]), CAST(:starts AS text[]), CAST(:statuses AS text[]),"
                    " CAST(:uais AS text[]), CAST(:certifications AS text[]), CAST(:causes AS text[]))"
                    " AS p(youth_id, starts, statuses, uais, certifications, causes)"
                    " ON CONFLICT (youth_id) DO UPDATE SET starts = excluded.starts, statuses = excluded.statuses,"
                    " uais = excluded.uais, certifications = excluded.certifications, causes = excluded.causes,"
                    " rule_version = excluded.rule_version, computed_at = now()"
                ),
                {**paths, "version": rule_version},
            )
        if empty_youth_ids:
            await self.delete(empty_youth_ids)

    async def delete(self, youth_ids: Sequence[int]) -> None:
        await self.db.execute(
            text("DELETE FROM youth_path WHERE youth_id = ANY(CAST(:ids AS bigint[]))"), {"ids": list(youth_ids)}
        )

    async def of_youths(self, youth_ids: Sequence[int]) -> list[Row[Any]]:
        statement = text(
            "SELECT youth_id, starts, statuses, uais, certifications, causes, rule_version"
            " FROM youth_path WHERE youth_id = ANY(CAST(:ids AS bigint[]))"
        )
        return list((await self.db.execute(statement, {"ids": list(youth_ids)})).all())
