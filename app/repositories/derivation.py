"""The queue of youths waiting for the deriver (``pending_derivation``).

Batches append a row each; a deriver merges those rows into coalesced rows of at most a round's
youths (:meth:`DerivationQueue.coalesce`, a short transaction of its own), then derives one
coalesced row a transaction (:meth:`DerivationQueue.take`). Several derivers share the queue
without waiting for one another: every statement skips the rows another transaction holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from app.repositories import arrays
from app.repositories.base import Repository

# Rows one coalescing pass merges at most: 2,000-record batches queue up to about 2,000 youths a
# row, so a pass holds some 200,000 youth ids in memory at worst.
COALESCE_ROWS = 100


class DerivationQueue(Repository):
    async def add(
        self, youth_ids: Sequence[int], paths: Sequence[bool], links: Sequence[tuple[str, str]] = (),
        *, queued_at: datetime | None = None,
    ) -> None:
        """Queue these youths (``paths``: a status step of theirs came) and the youths owning the
        wishes these (portal, portalWishId) name, as one row.

        The owners of linked wishes are queued without their lock, and a batch need not hold the
        locks of its youths either: the deriver removes a row before it reads the data of the
        row's youths (app/services/derivation.py), so a row committed after that stays for the
        next round."""
        if links:
            await self.db.run(
                "WITH owners AS (SELECT DISTINCT w.youth_id FROM unnest($3::text[], $4::text[]) AS l(portal, portal_wish_id)"
                " JOIN wish w ON w.portal = l.portal AND w.portal_wish_id = l.portal_wish_id WHERE w.youth_id IS NOT NULL)"
                " INSERT INTO pending_derivation (youth_ids, paths) SELECT q.youth_ids, q.paths FROM (SELECT"
                " $1::text::bigint[] || ARRAY(SELECT youth_id FROM owners) AS youth_ids,"
                " $2::text::boolean[] || ARRAY(SELECT false FROM owners) AS paths) AS q WHERE cardinality(q.youth_ids) > 0",
                arrays.ints(youth_ids), arrays.bools(paths), [portal for portal, _ in links], [wish for _, wish in links],
            )
        elif youth_ids:
            await self.db.run(
                "INSERT INTO pending_derivation (youth_ids, paths, queued_at)"
                " VALUES ($1::text::bigint[], $2::text::boolean[], coalesce($3, now()))",
                arrays.ints(youth_ids), arrays.bools(paths), queued_at,
            )

    async def coalesce(self, size: int) -> int:
        """When rows appended by batches wait (not coalesced yet): take the oldest rows no other
        transaction holds (coalesced ones too, up to COALESCE_ROWS), and write their youths back
        as coalesced rows of at most ``size`` distinct youths, in the order they were first
        queued (a youth's ``paths`` flags or-ed). Returns the distinct youths written back (0:
        nothing to merge)."""
        rows = await self.db.fetch(
            "DELETE FROM pending_derivation p WHERE p.id IN (SELECT id FROM pending_derivation ORDER BY queued_at, id"
            " LIMIT $1 FOR UPDATE SKIP LOCKED) AND EXISTS (SELECT FROM pending_derivation r WHERE NOT r.coalesced)"
            " RETURNING p.id, p.queued_at, p.youth_ids, p.paths",
            COALESCE_ROWS,
        )
        if not rows:
            return 0
        merged: dict[int, bool] = {}
        since: dict[int, datetime] = {}  # when each youth was first queued
        for _, queued_at, youth_ids, paths in sorted(rows, key=lambda row: (row[1], row[0])):
            for youth_id, path in zip(youth_ids, paths):
                if youth_id in merged:
                    merged[youth_id] = merged[youth_id] or path
                else:
                    merged[youth_id] = path
                    since[youth_id] = queued_at
        youths = list(merged)
        for start in range(0, len(youths), size):
            chunk = youths[start:start + size]
            await self.db.run(
                "INSERT INTO pending_derivation (youth_ids, paths, queued_at, coalesced)"
                " VALUES ($1::text::bigint[], $2::text::boolean[], $3, true)",
                arrays.ints(chunk), arrays.bools(merged[youth_id] for youth_id in chunk), since[chunk[0]],
            )
        return len(youths)

    async def take(self) -> dict[int, bool]:
        """Take the oldest coalesced row no other transaction holds: delete it, lock its youths
        (in id order) and return the locked ones (youth_id -> whether its path must be
        recomputed). Youths another transaction holds locked (a deriver, an erasure, a batch
        matching by NIR) are queued again, in a row of their own; youths that no longer exist
        (erased, merged into another) are dropped."""
        rows = await self.db.fetch(
            "DELETE FROM pending_derivation p WHERE p.id = (SELECT id FROM pending_derivation WHERE coalesced"
            " ORDER BY queued_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING p.queued_at, p.youth_ids, p.paths"
        )
        if not rows:
            return {}
        queued_at, youth_ids, paths = rows[0]
        taken = dict(zip(youth_ids, paths))
        ordered = sorted(taken)
        locked = {row[0] for row in await self.db.fetch(
            "SELECT y.id FROM unnest($1::text::bigint[]) AS i(id) JOIN youth y ON y.id = i.id ORDER BY y.id"
            " FOR UPDATE OF y SKIP LOCKED",
            arrays.ints(ordered),
        )}
        if len(locked) < len(taken):
            others = [youth_id for youth_id in ordered if youth_id not in locked]
            held = [row[0] for row in await self.db.fetch(
                "SELECT y.id FROM unnest($1::text::bigint[]) AS i(id) JOIN youth y ON y.id = i.id ORDER BY y.id",
                arrays.ints(others),
            )]
            if held:
                await self.add(held, [taken[youth_id] for youth_id in held], queued_at=queued_at)
        return {youth_id: taken[youth_id] for youth_id in ordered if youth_id in locked}

    async def newest_batch_age(self) -> float | None:
        """Seconds since the newest row a batch appended (not coalesced yet) was queued, or None."""
        rows = await self.db.fetch(
            "SELECT extract(epoch FROM now() - max(queued_at))::float8 FROM pending_derivation WHERE NOT coalesced"
        )
        value: float | None = rows[0][0]
        return value

    async def backlog(self) -> tuple[int, float | None]:
        """Queued youths (until rows are coalesced, a youth queued by several batches counts once
        for each), and the age in seconds of the oldest."""
        row = (await self.db.fetch(
            "SELECT coalesce(sum(cardinality(youth_ids)), 0)::bigint, extract(epoch FROM now() - min(queued_at))::float8"
            " FROM pending_derivation"
        ))[0]
        return row[0], row[1]


class DerivationFailures(Repository):
    """Youths whose derivation failed, set aside (``derivation_failure``)."""

    async def set_aside(self, failures: Sequence[tuple[int, str]]) -> None:
        """(youth_id, error) of youths whose derivation failed (again)."""
        await self.db.run(
            "INSERT INTO derivation_failure AS f (youth_id, error, attempts)"
            " SELECT f.youth_id, f.error, 1 FROM unnest($1::text::bigint[], $2::text[]) AS f(youth_id, error)"
            " JOIN youth y ON y.id = f.youth_id"
            " ON CONFLICT (youth_id) DO UPDATE SET error = excluded.error, failed_at = now(), attempts = f.attempts + 1",
            arrays.ints(y for y, _ in failures), [error[:300] for _, error in failures],
        )

    async def count(self) -> int:
        value: int = (await self.db.fetch("SELECT count(*) FROM derivation_failure"))[0][0]
        return value

    async def youths(self) -> list[int]:
        """Every youth set aside (they stay so until a derivation of theirs succeeds)."""
        return [row[0] for row in await self.db.fetch("SELECT youth_id FROM derivation_failure ORDER BY youth_id")]


class RecomputeProgress(Repository):
    """Where ``hub recompute`` stands (``recompute_progress``), and the youths it goes through."""

    async def resume_point(self, rules: str) -> tuple[int, int] | None:
        """(last youth id committed, youths done) of an interrupted run with these rules."""
        rows = await self.db.fetch("SELECT last_youth_id, done FROM recompute_progress WHERE rules = $1", rules)
        return (rows[0][0], rows[0][1]) if rows else None

    async def forget(self) -> None:
        """Every run's progress (a run with other rules starts afresh)."""
        await self.db.run("DELETE FROM recompute_progress")

    async def advance(self, rules: str, last_youth_id: int, done: int) -> None:
        await self.db.run(
            "INSERT INTO recompute_progress (rules, last_youth_id, done) VALUES ($1, $2, $3)"
            " ON CONFLICT (rules) DO UPDATE SET last_youth_id = excluded.last_youth_id, done = excluded.done,"
            " updated_at = now()",
            rules, last_youth_id, done,
        )

    async def youths_after(self, after: int, limit: int) -> list[int]:
        """The next youths in id order, locked as derivers lock them (they skip these youths until
        the chunk commits)."""
        rows = await self.db.fetch(
            "SELECT id FROM youth WHERE id > $1 ORDER BY id LIMIT $2 FOR UPDATE", after, limit
        )
        return [row[0] for row in rows]

    async def youths(self) -> int:
        value: int = (await self.db.fetch("SELECT count(*) FROM youth"))[0][0]
        return value
