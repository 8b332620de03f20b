"""Keeping the wishes' outcomes up to date, in the transaction that changes their inputs.

A wish's outcome (app/domain/outcome.py) depends on the wish and on the steps reported for its
youth or linked to it. Whatever writes one of those (recordSteps, submitWishes, a merge of two
youths) calls :func:`refresh` with what it touched; the outcomes that differ from the stored ones
are written with ``outcome_changed_at = now()``, which is what the portals' incremental
synchronisation (``outcomeChangedSince``) reads. Reads never compute an outcome.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.db import RequestSession
from app.domain.outcome import OutcomeStep, Target, outcome
from app.repositories.wishes import WishRepository


async def refresh(
    db: RequestSession,
    *,
    youth_ids: Iterable[int] = (),
    links: Iterable[tuple[str, str]] = (),
    wish_ids: Iterable[int] = (),
) -> int:
    """Recompute the outcomes of the wishes of these youths, linked by these (portal,
    portalWishId), or with these ids; return how many changed."""
    youth_ids, links, wish_ids = sorted(set(youth_ids)), sorted(set(links)), sorted(set(wish_ids))
    if not (youth_ids or links or wish_ids):
        return 0
    repository = WishRepository(db)
    targets = await repository.outcome_targets(youth_ids, links, wish_ids)
    if not targets:
        return 0
    by_youth: dict[int, list[Any]] = {}
    # youth_id, step, effective_date, id, uai, certification_code, portal, portal_wish_id: the
    # wish's youth's steps only (a step linked to the wish from another youth never counts)
    for row in await repository.outcome_steps(sorted({t[1] for t in targets if t[1] is not None})):
        by_youth.setdefault(row[0], []).append(row)
    changed = []
    for wish_id, youth_id, portal, portal_wish_id, uai, certification, submitted_on, *stored in targets:
        link = (portal, portal_wish_id)
        counted = [OutcomeStep(row[1], row[2], row[3], row[4], row[5], (row[6], row[7]) == link)
                   for row in by_youth.get(youth_id, ())]
        result = outcome(Target(uai, certification, submitted_on), counted)
        if tuple(result) != tuple(stored):
            changed.append((wish_id, *result))
    if changed:
        await repository.set_outcomes(changed)
    return len(changed)
