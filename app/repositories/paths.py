"""Youths' derived paths (one row per youth): rewritten for the youths a batch touched."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, text

from app.repositories.base import Repository


class PathRepository(Repository):
    async def write(self, segments: dict[str, list[Any]], empty_youth_ids: Sequence[int], rule_version: str) -> None:
        """Store the paths given as flat segment columns (grouped by youth here, in start order);
        youths in ``empty_youth_ids`` have no status step any more and lose their path."""
        if segments["youth_id"]:
            await self.db.execute(
                text(
                    "INSERT INTO youth_path (youth_id, starts, statuses, uais, certifications, causes, rule_version)"
                    " SELECT youth_id, array_agg(start ORDER BY start), array_agg(status ORDER BY start),"
                    " array_agg(uai ORDER BY start), array_agg(certification ORDER BY start),"
                    " array_agg(cause ORDER BY start), :version"
                    " FROM unnest(CAST(:youth_id AS bigint[]), CAST(:start AS date[]), CAST(:status AS text[]),"
                    " CAST(:uai AS text[]), CAST(:certification AS text[]), CAST(:cause AS text[]))"
                    " AS s(youth_id, start, status, uai, certification, cause) GROUP BY youth_id"
                    " ON CONFLICT (youth_id) DO UPDATE SET starts = excluded.starts, statuses = excluded.statuses,"
                    " uais = excluded.uais, certifications = excluded.certifications, causes = excluded.causes,"
                    " rule_version = excluded.rule_version, computed_at = now()"
                ),
                {**segments, "version": rule_version},
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
