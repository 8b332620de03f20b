"""The queue of youths waiting for the deriver (``pending_derivation``)."""

from __future__ import annotations

from collections.abc import Sequence

from app.repositories import arrays
from app.repositories.base import Repository


class DerivationQueue(Repository):
    async def add(self, youth_ids: Sequence[int], paths: Sequence[bool], links: Sequence[tuple[str, str]]) -> None:
        """Queue these youths (``paths``: a status step of theirs came) and the youths owning the
        wishes these (portal, portalWishId) name.

        The caller holds the row locks of ``youth_ids`` (the batch locked or created them); the
        owners of linked wishes are queued without their lock. Both are safe because the deriver
        removes a youth's rows before it reads the youth's data (app/services/derivation.py): a
        row committed after that stays for the next round."""
        if links:
            await self.db.run(
                "INSERT INTO pending_derivation (youth_id, paths)"
                " SELECT * FROM unnest($1::text::bigint[], $2::text::boolean[])"
                " UNION ALL SELECT DISTINCT w.youth_id, false FROM unnest($3::text[], $4::text[]) AS l(portal, portal_wish_id)"
                " JOIN wish w ON w.portal = l.portal AND w.portal_wish_id = l.portal_wish_id WHERE w.youth_id IS NOT NULL",
                arrays.ints(youth_ids), arrays.bools(paths), [portal for portal, _ in links], [wish for _, wish in links],
            )
        elif youth_ids:
            await self.db.run(
                "INSERT INTO pending_derivation (youth_id, paths) SELECT * FROM unnest($1::text::bigint[], $2::text::boolean[])",
                arrays.ints(youth_ids), arrays.bools(paths),
            )

    async def take(self, limit: int) -> dict[int, bool]:
        """Take up to ``limit`` queued youths that no other transaction holds: lock them (youth
        rows, in id order, skipping the locked ones: a batch or another deriver has them), remove
        all their queue rows and return them (youth_id -> whether their path must be recomputed).
        Queue rows of youths that no longer exist (erased, merged into another) are removed on
        the way. The queue is read in its physical order, about the order of arrival."""
        rows = await self.db.fetch(
            "WITH candidates AS (SELECT DISTINCT youth_id FROM (SELECT youth_id FROM pending_derivation LIMIT $1) AS s),"
            " gone AS (DELETE FROM pending_derivation p USING candidates c WHERE p.youth_id = c.youth_id"
            "  AND NOT EXISTS (SELECT FROM youth y WHERE y.id = c.youth_id)),"
            " locked AS (SELECT y.id FROM youth y JOIN candidates c ON c.youth_id = y.id ORDER BY y.id"
            "  FOR UPDATE OF y SKIP LOCKED)"
            " DELETE FROM pending_derivation p USING locked l WHERE p.youth_id = l.id RETURNING p.youth_id, p.paths",
            limit,
        )
        taken: dict[int, bool] = {}
        for youth_id, paths in rows:
            taken[youth_id] = taken.get(youth_id, False) or paths
        return taken

    async def backlog(self) -> tuple[int, float | None]:
        """Queue rows (a youth touched by several batches has several), and the age in seconds of
        the oldest one."""
        row = (await self.db.fetch(
            "SELECT count(*), extract(epoch FROM now() - min(queued_at))::float8 FROM pending_derivation"
        ))[0]
        return row[0], row[1]
