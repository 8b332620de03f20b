"""Youths: look-up by keyed hashes, creation, identifier updates, merges, erasure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, NamedTuple

import asyncpg
from sqlalchemy import Row, text

from app.repositories import arrays
from app.repositories.base import Repository, named
from app.security import ENCRYPTED_INE_BYTES

# The advisory lock between the writers that match youths without locking their rows (deferred
# batches matching by INE alone) and the operations that delete youths (erasure, retention): the
# former hold it shared, the latter exclusively, so that no batch gives a step to a youth being
# deleted.
YOUTH_DELETION_LOCK = 0x68756279  # "huby"


class LearnersMoved(asyncpg.exceptions.SerializationError):  # type: ignore[misc]  # asyncpg is untyped here
    """A concurrent batch created one of the batch's learners, or merged one away, since it was
    looked up: the batch is run again from the start (graphql_schema/bulk.py, retrying), and then
    finds it. No lock per reference is taken (thousands a batch would fill PostgreSQL's lock
    table): the unique reference and the youths' row locks decide."""


class FoundYouth(NamedTuple):
    id: int
    ine_hash: bytes | None
    nir_hash: bytes | None
    nir_given: bool


class YouthRepository(Repository):
    async def share_deletion_lock(self) -> None:
        """Hold YOUTH_DELETION_LOCK shared until the transaction ends (many batches at once)."""
        await self.db.begin_with(f"SELECT pg_advisory_xact_lock_shared({YOUTH_DELETION_LOCK})")

    async def take_deletion_lock(self) -> None:
        """Hold YOUTH_DELETION_LOCK exclusively until the transaction ends (batches in flight
        finish first, new ones wait) and move the ``youth_deletions`` sequence: the processes'
        caches of youths known to exist start afresh (app/services/known_youths.py)."""
        await self.db.run("SELECT pg_advisory_xact_lock($1::bigint)", YOUTH_DELETION_LOCK)
        await self._count_deletion()

    async def _count_deletion(self) -> None:
        """Move the ``youth_deletions`` sequence before youths go away."""
        await self.db.run("SELECT nextval('youth_deletions')")

    async def lock(self, youth_ids: Sequence[int], *, shared: bool = False) -> int:
        """Lock these youths (those that exist) until the transaction ends, in id order as every
        writer does, so that derivers and batches touching them wait (``shared``: FOR SHARE, a
        reader of learners that a merge must wait for); how many exist."""
        if not youth_ids:
            return 0
        rows = await self.db.fetch(
            f"SELECT id FROM youth WHERE id = ANY($1::text::bigint[]) ORDER BY id FOR {'SHARE' if shared else 'UPDATE'}",
            arrays.ints(youth_ids),
        )
        return len(rows)

    async def purge_candidates(self, cutoff: date, after_id: int, limit: int) -> list[int]:
        """Youths with no step effective and no wish submitted since ``cutoff``, after
        ``after_id`` in id order."""
        rows = await self.db.fetch(
            "SELECT y.id FROM youth y WHERE y.id > $2"
            " AND NOT EXISTS (SELECT FROM step_event e WHERE e.youth_id = y.id AND e.effective_date >= $1)"
            " AND NOT EXISTS (SELECT FROM wish w WHERE w.youth_id = y.id"
            " AND (w.submitted_at AT TIME ZONE 'Europe/Paris')::date >= $1)"
            " ORDER BY y.id LIMIT $3",
            cutoff, after_id, limit,
        )
        return [row[0] for row in rows]

    async def purge(self, youth_ids: Sequence[int]) -> None:
        """These youths, their steps, paths and spans of risk (locked first); their wishes stay."""
        await self.lock(youth_ids)
        ids = arrays.ints(youth_ids)
        await self.db.run("DELETE FROM step_event e USING unnest($1::text::bigint[]) AS i(id) WHERE e.youth_id = i.id", ids)
        await self.db.run("DELETE FROM youth_path p USING unnest($1::text::bigint[]) AS i(id) WHERE p.youth_id = i.id", ids)
        await self.db.run("DELETE FROM youth_risk r USING unnest($1::text::bigint[]) AS i(id) WHERE r.youth_id = i.id", ids)
        await self.db.run("DELETE FROM youth y USING unnest($1::text::bigint[]) AS i(id) WHERE y.id = i.id", ids)

    async def reserve_ids(self, count: int) -> int:
        """The first of ``count`` consecutive youth ids taken from the sequence (bulk loads)."""
        rows = await self.db.fetch(
            "SELECT setval(pg_get_serial_sequence('youth', 'id'), nextval(pg_get_serial_sequence('youth', 'id')) + $1) - $1",
            count,
        )
        first_id: int = rows[0][0]
        return first_id

    async def find_by_ine(self, ine_hashes: Sequence[bytes]) -> tuple[int, list[int | None], list[bool | None]]:
        """How many deletions of youths there have been (the ``youth_deletions`` sequence), then
        the ids and ``nir_given`` of the youths with these INE hashes (32 bytes each), in the
        hashes' order (None: no such youth), without locking them: for a caller holding the
        deletion lock shared, when youths are never merged (no NIR matching). Arrays rather than
        a row per youth: the driver decodes them in one go."""
        row = (await self.db.fetch(  # an index probe per hash whatever the plan (app/repositories/steps.py)
            "SELECT (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM youth_deletions),"
            " array_agg(y.id ORDER BY i), array_agg(y.nir_given ORDER BY i)"
            " FROM generate_series(0, length($1::bytea) / 32 - 1) AS i LEFT JOIN LATERAL (SELECT y.id, y.nir_given"
            " FROM youth y WHERE y.ine_hash = substr($1::bytea, i * 32 + 1, 32) LIMIT 1) AS y ON true",
            arrays.packed(ine_hashes, 32),
        ))[0]
        return row[0], row[1] or [], row[2] or []

    async def find(
        self, ine_hashes: Sequence[bytes], nir_hashes: Sequence[bytes], also_ids: Sequence[int] = ()
    ) -> list[FoundYouth]:
        """The youths with these hashes (and ids), locked for
        this transaction in id order, so that concurrent batches touching the same youths queue
        instead of overwriting. Each youth is reached by an index probe from the arrays, whatever
        the statistics say (as :meth:`WishRepository.outcome_targets`)."""
        return named(FoundYouth, await self.db.fetch(
            "SELECT y.id, y.ine_hash, y.nir_hash, y.nir_given FROM (SELECT DISTINCT t.id FROM ("
            "SELECT y.id FROM unnest($1::text::bytea[]) AS h(hash)"
            " CROSS JOIN LATERAL (SELECT y.id FROM youth y WHERE y.ine_hash = h.hash LIMIT 1) AS y"
            " UNION ALL SELECT y.id FROM unnest($2::text::bytea[]) AS h(hash)"
            " CROSS JOIN LATERAL (SELECT y.id FROM youth y WHERE y.nir_hash = h.hash LIMIT 1) AS y"
            " UNION ALL SELECT unnest($3::text::bigint[])) AS t(id) ORDER BY t.id) AS t"
            " CROSS JOIN LATERAL (SELECT * FROM youth y WHERE y.id = t.id LIMIT 1 FOR UPDATE) AS y ORDER BY y.id",
            arrays.byteas(ine_hashes), arrays.byteas(nir_hashes), arrays.ints(also_ids),
        ))

    async def mark_nir_given(self, youth_ids: Sequence[int]) -> None:
        """These youths were sent with a NIR (kept as a fact, never the NIR)."""
        await self.learn_identifiers([(youth_id, None, None, None, True) for youth_id in sorted(set(youth_ids))])

    async def learners(self, ref_hashes: Sequence[bytes], *, with_nir_given: bool = False) -> list[Any]:
        """(reference hash, youth id, the youth's INE hash[, whether a NIR was given]) of the
        references known among these (an index probe each)."""
        nir_given = ", y.nir_given" if with_nir_given else ""
        return list(await self.db.fetch(
            f"SELECT r.ref_hash, r.youth_id, y.ine_hash{nir_given} FROM unnest($1::text::bytea[]) AS u(h)"
            " CROSS JOIN LATERAL (SELECT r.ref_hash, r.youth_id FROM youth_learner_ref r WHERE r.ref_hash = u.h) AS r"
            " JOIN youth y ON y.id = r.youth_id",
            arrays.byteas(ref_hashes),
        ))

    async def link_learners(self, pairs: Sequence[tuple[bytes, int]]) -> None:
        """Link these (reference hash, youth id), in reference order (concurrent batches wait for
        each other's, never in a circle); LearnersMoved when a concurrent batch linked one first."""
        if pairs:
            rows = await self.db.fetch(
                "INSERT INTO youth_learner_ref (ref_hash, youth_id) SELECT * FROM unnest($1::text::bytea[], $2::text::bigint[])"
                " ORDER BY 1 ON CONFLICT (ref_hash) DO NOTHING RETURNING ref_hash",
                arrays.byteas([pair[0] for pair in pairs]), arrays.ints(pair[1] for pair in pairs),
            )
            if len(rows) != len({pair[0] for pair in pairs}):
                raise LearnersMoved("a learner was created by a concurrent batch")

    async def insert_keyless(self, nir_given: Sequence[bool]) -> list[int]:
        """Insert youths without INE or NIR hash (known by a learner reference alone), each with
        whether a NIR was given; their ids, in order (taken from the sequence first)."""
        if not nir_given:
            return []
        ids = [row[0] for row in await self.db.fetch(
            "SELECT nextval(pg_get_serial_sequence('youth', 'id')) FROM generate_series(1, $1)", len(nir_given))]
        await self.db.run(
            "INSERT INTO youth (id, nir_given) SELECT * FROM unnest($1::text::bigint[], $2::text::boolean[])",
            arrays.ints(ids), arrays.bools(nir_given),
        )
        return ids

    async def insert_by_ine(
        self, ine_hashes: Sequence[bytes], encrypted: Sequence[bytes], nir_given: Sequence[bool], *, skip_taken: bool = True,
    ) -> tuple[list[int], list[bytes]]:
        """Insert youths known by their INE alone (hashes of 32 bytes, encrypted INEs of
        ``ENCRYPTED_INE_BYTES``); return the ids and INE hashes of those created (two arrays). A
        youth created meanwhile by another transaction is skipped (the caller looks it up again),
        or, without ``skip_taken``, raises UniqueViolationError: a plain insert costs half as much
        as one that checks for conflicts first (measured), for a caller writing inside a
        savepoint that it rolls back to in that rare case."""
        if not ine_hashes:
            return [], []
        conflicts = " ON CONFLICT DO NOTHING" if skip_taken else ""
        row = (await self.db.fetch(
            "WITH created AS (INSERT INTO youth (ine_hash, ine_encrypted, nir_given)"
            " SELECT substr($1::bytea, (g.n::int - 1) * 32 + 1, 32), substr($2::bytea, (g.n::int - 1) * $4::int + 1, $4::int),"
            f" g.given FROM unnest($3::text::boolean[]) WITH ORDINALITY AS g(given, n){conflicts}"
            " RETURNING id, ine_hash)"
            " SELECT array_agg(id), array_agg(ine_hash) FROM created",
            arrays.packed(ine_hashes, 32), arrays.packed(encrypted, ENCRYPTED_INE_BYTES), arrays.bools(nir_given),
            ENCRYPTED_INE_BYTES,
        ))[0]
        return row[0] or [], row[1] or []

    async def insert_new(self, rows: Sequence[tuple[bytes | None, bytes | None, bytes | None, bool]]) -> list[Any]:
        """Insert (ine_hash, ine_encrypted, nir_hash, nir_given); return (id, ine_hash, nir_hash) of
        the youths created. A youth created meanwhile by another transaction is skipped (the caller
        looks it up again)."""
        if not rows:
            return []
        return await self.db.fetch(
            "INSERT INTO youth (ine_hash, ine_encrypted, nir_hash, nir_given)"
            " SELECT * FROM unnest($1::text::bytea[], $2::text::bytea[], $3::text::bytea[], $4::text::boolean[])"
            " ON CONFLICT DO NOTHING RETURNING id, ine_hash, nir_hash",
            arrays.byteas([row[0] for row in rows]), arrays.byteas([row[1] for row in rows]),
            arrays.byteas([row[2] for row in rows]), arrays.bools(row[3] for row in rows),
        )

    async def merge(self, drop_ids: Sequence[int], keep_ids: Sequence[int]) -> None:
        """Move the steps and wishes of each dropped youth to the kept one, then delete it (its
        derived rows are the caller's: app.services.paths.forget)."""
        if not drop_ids:
            return
        drop, keep = list(drop_ids), list(keep_ids)
        pairs = "unnest($1::bigint[], $2::bigint[]) AS m(drop_id, keep_id)"
        await self.db.run(f"UPDATE step_event SET youth_id = m.keep_id FROM {pairs} WHERE step_event.youth_id = m.drop_id", drop, keep)
        await self.db.run(f"UPDATE wish SET youth_id = m.keep_id FROM {pairs} WHERE wish.youth_id = m.drop_id", drop, keep)
        await self.db.run(
            f"UPDATE youth_learner_ref SET youth_id = m.keep_id FROM {pairs} WHERE youth_learner_ref.youth_id = m.drop_id",
            drop, keep,
        )
        await self.db.run("DELETE FROM youth y USING unnest($1::bigint[]) AS d(id) WHERE y.id = d.id", drop)
        # every process's cache of youths known to exist starts afresh (even those that run
        # without NIR matching during a change of that setting)
        await self._count_deletion()

    async def learn_identifiers(
        self, rows: Sequence[tuple[int, bytes | None, bytes | None, bytes | None, bool]]
    ) -> None:
        """Fill identifiers a youth did not have: (id, ine_hash, ine_encrypted, nir_hash, nir_given)."""
        if not rows:
            return
        await self.db.run(
            "UPDATE youth SET ine_hash = coalesce(youth.ine_hash, u.ine_hash),"
            " ine_encrypted = coalesce(youth.ine_encrypted, u.ine_encrypted),"
            " nir_hash = coalesce(youth.nir_hash, u.nir_hash),"
            " nir_given = youth.nir_given OR u.nir_given, updated_at = now()"
            " FROM unnest($1::bigint[], $2::bytea[], $3::bytea[], $4::bytea[], $5::boolean[])"
            " AS u(id, ine_hash, ine_encrypted, nir_hash, nir_given)"
            " WHERE youth.id = u.id",
            *(list(column) for column in zip(*rows)),
        )

    async def by_ids(self, ids: Sequence[int]) -> list[Row[Any]]:
        statement = text(
            "SELECT y.id, y.ine_encrypted FROM unnest(CAST(:ids AS bigint[])) AS i(id) JOIN youth y ON y.id = i.id"
        )
        return list((await self.db.execute(statement, {"ids": list(ids)})).all())

    async def id_by_hashes(self, ine_hash: bytes | None, nir_hash: bytes | None) -> int | None:
        statement = text(
            "SELECT id FROM youth WHERE (CAST(:ine AS bytea) IS NOT NULL AND ine_hash = :ine)"
            " OR (CAST(:nir AS bytea) IS NOT NULL AND nir_hash = :nir) ORDER BY id LIMIT 1"
        )
        return (await self.db.execute(statement, {"ine": ine_hash, "nir": nir_hash})).scalar()

    async def erase(self, youth_id: int) -> None:
        """The youth and its steps go; its wishes stay, unlinked (ON DELETE SET NULL). Its derived
        rows are the caller's (app.services.paths.forget)."""
        await self.db.execute(text("DELETE FROM step_event WHERE youth_id = :id"), {"id": youth_id})
        await self.db.execute(text("DELETE FROM youth WHERE id = :id"), {"id": youth_id})
