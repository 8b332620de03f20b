"""Keeping the wishes' outcomes up to date, in the transaction that changes their inputs, and by a
daily sweep when a rule changes them without any new step.

A wish's outcome (app/domain/outcome.py) depends on the wish, on its youth's steps since and on
the day (a registration without contract becomes an abandon on its 91st day). Whatever writes one
of those (recordSteps, submitWishes, a merge of two youths, a session's end) calls
:func:`refresh` with what it touched; the outcomes that differ from the stored ones are written
with ``outcome_changed_at = clock_timestamp()``, which is what the portals' incremental
synchronisation (``outcomeChangedSince``) reads. Each outcome also stores the next day a rule may
change it (``outcome_next_on``): the sweep (app/services/derivation.py, ``sweep_outcomes``), run by
every hub process (HUB_OUTCOME_SWEEP_S) and by ``hub sweep``, refreshes the outcomes whose day has
come, so that the change is stamped that day. Reads never compute an outcome.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from app.db import RequestSession
from app.domain.dates import today as france_today
from app.domain.outcome import OutcomeStep, Target, outcome
from app.repositories.wishes import WishRepository
from app.services.paths import rules_of, training_ends
from app.settings import Settings


async def refresh(
    db: RequestSession,
    settings: Settings | None = None,
    *,
    youth_ids: Iterable[int] = (),
    links: Iterable[tuple[str, str]] = (),
    wish_ids: Iterable[int] = (),
    today: date | None = None,
) -> int:
    """Recompute the outcomes of the wishes of these youths, linked by these (portal,
    portalWishId), or with these ids, as of ``today``; return how many changed."""
    youth_ids, links, wish_ids = sorted(set(youth_ids)), sorted(set(links)), sorted(set(wish_ids))
    if not (youth_ids or links or wish_ids):
        return 0
    repository = WishRepository(db)
    targets = await repository.outcome_targets(youth_ids, links, wish_ids)
    if not targets:
        return 0
    rules = rules_of(settings or Settings())
    day = today or france_today()
    by_youth: dict[int, list[Any]] = {}
    # youth_id, step, effective_date, id, uai, certification_code, portal, portal_wish_id, contract
    # start and end, training end: the wish's youth's steps only (a step linked to the wish from
    # another youth never counts)
    for row in await repository.outcome_steps(sorted({t[1] for t in targets if t[1] is not None})):
        by_youth.setdefault(row[0], []).append(row)
    facts = [(row[1], row[2], row[3], row[4], row[5], row[8], row[9], row[10]) for rows in by_youth.values() for row in rows]
    training_end = await training_ends(db, facts)
    written, visible = [], 0
    for wish_id, youth_id, portal, portal_wish_id, uai, certification, submitted_on, *stored in targets:
        link = (portal, portal_wish_id)
        counted = [OutcomeStep(row[1], row[2], row[3], row[4], row[5], (row[6], row[7]) == link, row[8], row[9], row[10])
                   for row in by_youth.get(youth_id, ())]
        result = outcome(Target(uai, certification, submitted_on), counted, rules, day, training_end)
        seen = tuple(result[:6]) != tuple(stored[:6])  # what the portal reads changed
        if seen or result.next_on != stored[6]:
            written.append(((wish_id, *result), seen))
            visible += seen
    if written:
        await repository.set_outcomes([row for row, _ in written], [seen for _, seen in written])
    return visible
