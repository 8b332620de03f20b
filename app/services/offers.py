"""Training offers as the API shows them: the offer row, and how many youths are enrolled on its
CFA and certification today (REGISTERED, APPRENTICE or CONTRACT_BROKEN in their path).

The enrolled count reads the derived paths (one row per youth) and takes, per youth, the
segment covering today. It scans the paths of the youths who have ever been at that CFA, which
is fine for the offers a page of wishes names; collecting offers (the offers issue) brings the
persisted counts that lists of offers and the pilots' headcounts need.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from app.db import RequestSession
from app.repositories import arrays

ENROLLED_STATUSES = ("REGISTERED", "APPRENTICE", "CONTRACT_BROKEN")


async def by_ids(db: RequestSession, ids: Sequence[int], *, on: date | None = None) -> list[dict[str, Any] | None]:
    """The offers with these ids (None where unknown), each with ``enrolled``, in key order."""
    rows = await db.fetch(
        "SELECT o.id, o.uai, o.certification_code, o.department_code, o.session_start, o.session_end, o.capacity,"
        " o.revised_capacity, o.parcoursup_id, o.affelnet_id, o.updated_at"
        " FROM unnest($1::text::bigint[]) AS i(id) JOIN offer o ON o.id = i.id",
        arrays.ints(ids),
    )
    pairs = sorted({(row["uai"], row["certification_code"]) for row in rows})
    enrolled: dict[tuple[str, str], int] = {}
    if pairs:
        counts = await db.fetch(
            "SELECT p.uai, p.certification, count(*) FROM unnest($1::text[], $2::text[]) AS p(uai, certification)"
            " JOIN youth_path y ON y.uais @> ARRAY[p.uai]::varchar[]"
            " CROSS JOIN LATERAL (SELECT max(i) AS i FROM generate_subscripts(y.starts, 1) AS i"
            " WHERE y.starts[i] <= $3) AS today"
            " WHERE y.uais[today.i] = p.uai AND y.certifications[today.i] = p.certification"
            " AND y.statuses[today.i] = ANY($4::text[]) GROUP BY p.uai, p.certification",
            [p[0] for p in pairs], [p[1] for p in pairs], on or date.today(), list(ENROLLED_STATUSES),
        )
        enrolled = {(row[0], row[1]): row[2] for row in counts}
    by_id = {row["id"]: {**dict(row), "enrolled": enrolled.get((row["uai"], row["certification_code"]), 0)} for row in rows}
    return [by_id.get(offer_id) for offer_id in ids]
