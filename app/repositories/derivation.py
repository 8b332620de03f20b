"""The queue of youths waiting for the deriver (``pending_derivation``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.repositories import arrays
from app.repositories.base import Repository


class DerivationQueue(Repository):
    async def add(self, youth_ids: Sequence[int], paths: Sequence[bool], links: Sequence[tuple[str, str]]) -> None:
        """Queue these youths (``paths``: a status step of theirs came) and the youths owning the
        wishes these (portal, portalWishId) name. A youth already queued stays queued once, its
        ``paths`` flag or-ed.

        The caller holds the row locks of ``youth_ids`` (the batch locked or created them); the
        owners of linked wishes are queued without their lock, which is safe because the deriver
        removes a youth from the queue before it reads the youth's data (see
        app/services/derivation.py). Rows are written in youth order, the order in which the
        deriver deletes them, so that the two never wait on each other in a cycle."""
        if not links:
            if youth_ids:  # unique and sorted already
                await self.db.run(
                    "INSERT INTO pending_derivation AS p (youth_id, paths)"
                    " SELECT * FROM unnest($1::text::bigint[], $2::text::boolean[])"
                    " ON CONFLICT (youth_id) DO UPDATE SET paths = p.paths OR excluded.paths",
                    arrays.ints(youth_ids), arrays.bools(paths),
                )
            return
        await self.db.run(
            "INSERT INTO pending_derivation AS p (youth_id, paths)"
            " SELECT youth_id, bool_or(paths) FROM ("
            "  SELECT * FROM unnest($1::text::bigint[], $2::text::boolean[]) AS q(youth_id, paths)"
            "  UNION ALL SELECT w.youth_id, false FROM unnest($3::text[], $4::text[]) AS l(portal, portal_wish_id)"
            "  JOIN wish w ON w.portal = l.portal AND w.portal_wish_id = l.portal_wish_id WHERE w.youth_id IS NOT NULL"
            " ) AS q GROUP BY youth_id ORDER BY youth_id"
            " ON CONFLICT (youth_id) DO UPDATE SET paths = p.paths OR excluded.paths",
            arrays.ints(youth_ids), arrays.bools(paths), [portal for portal, _ in links], [wish for _, wish in links],
        )

    async def take(self, limit: int) -> list[Any]:
        """Take up to ``limit`` queued youths that no other transaction holds: lock them (youth
        rows, in id order, skipping the locked ones: a batch or another deriver has them), remove
        their queue rows and return them (youth_id, paths). Queue rows of youths that no longer
        exist (erased, merged into another) are removed on the way."""
        return await self.db.fetch(
            "WITH candidates AS (SELECT youth_id FROM pending_derivation ORDER BY queued_at, youth_id LIMIT $1),"
            " gone AS (DELETE FROM pending_derivation p USING candidates c WHERE p.youth_id = c.youth_id"
            "  AND NOT EXISTS (SELECT FROM youth y WHERE y.id = c.youth_id)),"
            " locked AS (SELECT y.id FROM youth y JOIN candidates c ON c.youth_id = y.id ORDER BY y.id"
            "  FOR UPDATE OF y SKIP LOCKED)"
            " DELETE FROM pending_derivation p USING locked l WHERE p.youth_id = l.id RETURNING p.youth_id, p.paths",
            limit,
        )

    async def backlog(self) -> tuple[int, float | None]:
        """Youths queued, and the age in seconds of the oldest entry."""
        row = (await self.db.fetch(
            "SELECT count(*), extract(epoch FROM now() - min(queued_at))::float8 FROM pending_derivation"
        ))[0]
        return row[0], row[1]
