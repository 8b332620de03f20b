"""Path segments (derived): replaced wholesale for the youths a batch touched."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, text

from app.repositories.base import Repository


class PathRepository(Repository):
    async def replace(self, youth_ids: Sequence[int], columns: dict[str, list[Any]]) -> None:
        await self.db.execute(
            text("DELETE FROM path_segment WHERE youth_id = ANY(CAST(:ids AS bigint[]))"), {"ids": list(youth_ids)}
        )
        if not columns["youth_id"]:
            return
        await self.db.execute(
            text(
                "INSERT INTO path_segment (youth_id, valid_from, valid_to, status, uai, certification_code, cause, rule_version)"
                " SELECT * FROM unnest(CAST(:youth_id AS bigint[]), CAST(:valid_from AS date[]),"
                " CAST(:valid_to AS date[]), CAST(:status AS text[]), CAST(:uai AS text[]),"
                " CAST(:certification AS text[]), CAST(:cause AS text[]), CAST(:rule_version AS text[]))"
            ),
            columns,
        )

    async def on_date(self, youth_ids: Sequence[int], day: date) -> list[Row[Any]]:
        statement = text(
            "SELECT youth_id, valid_from, valid_to, status, uai, certification_code, cause, rule_version"
            " FROM path_segment WHERE youth_id = ANY(CAST(:ids AS bigint[]))"
            " AND valid_from <= :day AND (valid_to IS NULL OR valid_to > :day)"
        )
        return list((await self.db.execute(statement, {"ids": list(youth_ids), "day": day})).all())
