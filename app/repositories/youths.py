"""Youths: look-up by keyed hashes, creation, identifier updates, merges, erasure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, text

from app.repositories.base import Repository


class YouthRepository(Repository):
    async def find(
        self, ine_hashes: Sequence[bytes], nir_hashes: Sequence[bytes], also_ids: Sequence[int] = ()
    ) -> list[Row[Any]]:
        """The youths with these hashes (and ids), locked for this transaction in id order, so
        that concurrent batches touching the same youths queue instead of overwriting."""
        statement = text(
            "SELECT id, ine_hash, nir_hash, nir_given FROM youth"
            " WHERE ine_hash = ANY(CAST(:ine AS bytea[])) OR nir_hash = ANY(CAST(:nir AS bytea[]))"
            " OR id = ANY(CAST(:ids AS bigint[])) ORDER BY id FOR UPDATE"
        )
        params = {"ine": list(ine_hashes), "nir": list(nir_hashes), "ids": list(also_ids)}
        return list((await self.db.execute(statement, params)).all())

    async def insert_new(self, rows: Sequence[tuple[bytes | None, bytes | None, bytes | None, bool]]) -> list[Row[Any]]:
        """Insert (ine_hash, ine_encrypted, nir_hash, nir_given); a youth created meanwhile by
        another transaction is skipped (the caller looks it up again)."""
        if not rows:
            return []
        ine_hash, ine_encrypted, nir_hash, nir_given = (list(column) for column in zip(*rows))
        statement = text(
            "INSERT INTO youth (ine_hash, ine_encrypted, nir_hash, nir_given)"
            " SELECT * FROM unnest(CAST(:ine_hash AS bytea[]), CAST(:ine_encrypted AS bytea[]),"
            " CAST(:nir_hash AS bytea[]), CAST(:nir_given AS boolean[]))"
            " ON CONFLICT DO NOTHING RETURNING id, ine_hash, nir_hash"
        )
        params = {"ine_hash": ine_hash, "ine_encrypted": ine_encrypted, "nir_hash": nir_hash, "nir_given": nir_given}
        return list((await self.db.execute(statement, params)).all())

    async def merge(self, drop_ids: Sequence[int], keep_ids: Sequence[int]) -> None:
        """Move the steps and wishes of each dropped youth to the kept one, then delete it."""
        if not drop_ids:
            return
        params = {"drop": list(drop_ids), "keep": list(keep_ids)}
        pairs = "unnest(CAST(:drop AS bigint[]), CAST(:keep AS bigint[])) AS m(drop_id, keep_id)"
        await self.db.execute(
            text(f"UPDATE step_event SET youth_id = m.keep_id FROM {pairs} WHERE step_event.youth_id = m.drop_id"),
            params,
        )
        await self.db.execute(
            text(f"UPDATE wish SET youth_id = m.keep_id FROM {pairs} WHERE wish.youth_id = m.drop_id"), params
        )
        await self.db.execute(text("DELETE FROM youth_path WHERE youth_id = ANY(CAST(:drop AS bigint[]))"), params)
        await self.db.execute(text("DELETE FROM youth WHERE id = ANY(CAST(:drop AS bigint[]))"), params)

    async def learn_identifiers(
        self, rows: Sequence[tuple[int, bytes | None, bytes | None, bytes | None, bool]]
    ) -> None:
        """Fill identifiers a youth did not have: (id, ine_hash, ine_encrypted, nir_hash, nir_given)."""
        if not rows:
            return
        ids, ine_hash, ine_encrypted, nir_hash, nir_given = (list(column) for column in zip(*rows))
        statement = text(
            "UPDATE youth SET ine_hash = coalesce(youth.ine_hash, u.ine_hash),"
            " ine_encrypted = coalesce(youth.ine_encrypted, u.ine_encrypted),"
            " nir_hash = coalesce(youth.nir_hash, u.nir_hash),"
            " nir_given = youth.nir_given OR u.nir_given, updated_at = now()"
            " FROM unnest(CAST(:id AS bigint[]), CAST(:ine_hash AS bytea[]), CAST(:ine_encrypted AS bytea[]),"
            " CAST(:nir_hash AS bytea[]), CAST(:nir_given AS boolean[])) AS u(id, ine_hash, ine_encrypted, nir_hash, nir_given)"
            " WHERE youth.id = u.id"
        )
        await self.db.execute(
            statement,
            {"id": ids, "ine_hash": ine_hash, "ine_encrypted": ine_encrypted, "nir_hash": nir_hash, "nir_given": nir_given},
        )

    async def by_ids(self, ids: Sequence[int]) -> list[Row[Any]]:
        statement = text("SELECT id, ine_encrypted FROM youth WHERE id = ANY(CAST(:ids AS bigint[]))")
        return list((await self.db.execute(statement, {"ids": list(ids)})).all())

    async def id_by_hashes(self, ine_hash: bytes | None, nir_hash: bytes | None) -> int | None:
        statement = text(
            "SELECT id FROM youth WHERE (CAST(:ine AS bytea) IS NOT NULL AND ine_hash = :ine)"
            " OR (CAST(:nir AS bytea) IS NOT NULL AND nir_hash = :nir) ORDER BY id LIMIT 1"
        )
        return (await self.db.execute(statement, {"ine": ine_hash, "nir": nir_hash})).scalar()

    async def erase(self, youth_id: int) -> None:
        """The youth, its steps and its path go; its wishes stay, unlinked (ON DELETE SET NULL)."""
        await self.db.execute(text("DELETE FROM step_event WHERE youth_id = :id"), {"id": youth_id})
        await self.db.execute(text("DELETE FROM youth_path WHERE youth_id = :id"), {"id": youth_id})
        await self.db.execute(text("DELETE FROM youth WHERE id = :id"), {"id": youth_id})
