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

from app.db import RequestSession
from app.domain.dates import today as france_today
from app.domain.outcome import Outcome, OutcomeStep, outcome
from app.domain.timeline import StepFact
from app.repositories.wishes import OutcomeStepRow, WishRepository
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
    # the wish's youth's steps only (a step linked to the wish from another youth never counts)
    by_youth: dict[int, list[OutcomeStepRow]] = {}
    for row in await repository.outcome_steps(sorted({t.youth_id for t in targets if t.youth_id is not None})):
        by_youth.setdefault(row.youth_id, []).append(row)
    facts = [
        StepFact(s.step, s.effective_date, s.id, s.uai, s.certification_code, s.contract_start, s.contract_end,
                 s.training_end)
        for steps in by_youth.values() for s in steps
    ]
    training_end = await training_ends(db, facts)
    ids: list[int] = []
    outcomes: list[Outcome] = []
    seen: list[bool] = []
    for wish in targets:
        link = (wish.portal, wish.portal_wish_id)
        counted = [
            OutcomeStep(s.step, s.effective_date, s.id, s.uai, s.certification_code, (s.portal, s.portal_wish_id) == link,
                        s.contract_start, s.contract_end, s.training_end)
            for s in (by_youth.get(wish.youth_id, ()) if wish.youth_id is not None else ())
        ]
        result = outcome(wish.target, counted, rules, day, training_end)
        visible = result[:6] != wish.stored[:6]  # what the portal reads changed (all but next_on)
        if visible or result.next_on != wish.stored.next_on:
            ids.append(wish.id)
            outcomes.append(result)
            seen.append(visible)
    if ids:
        await repository.set_outcomes(ids, outcomes, seen)
    return sum(seen)
