"""What became of a wish: a pure function of the wish, the youth's steps since, and the day.

The rules (the portals' feedback, "retour sur les vœux"; DOMAIN.md, "Status rules 2027.1"):

- The steps that count are the youth's steps, at every CFA, effective on or after the day the
  wish was submitted: nobody reads a youth's older past through a wish. A step a CFA linked to
  the wish (``portal`` and ``portalWishId`` on the step) is one of them: the hub makes it the
  wish's youth's, or refuses it (WISH_YOUTH_MISMATCH); here it only breaks ties.
- The stage follows the youth's status on the day (app/domain/timeline.py, the same rules as the
  pilots' headcounts, over the steps that count): REGISTERED; APPRENTICE (COMPLETED included);
  CONTRACT_BROKEN for a rupturant (rule 4 included); LEFT for an abandon, reported or by the
  rules (registered or rupturant too long). With no status yet, HANDLED when a step counts
  (a MEETING, an INFO_SESSION, a PRE_REGISTERED, or a contract not started yet); NO_NEWS
  otherwise.
- The place is the status's CFA and certification (with no status, the latest step's; on the
  same day a step linked to the wish decides before one matched by youth, then arrival);
  ``since`` is the first day of that stage at that place: the step's effective date, or the day
  a rule made it so (a contract's end, an abandon).
- The match compares that place with the wish: same UAI and certification, AS_WISHED; same UAI,
  OTHER_TRAINING; another CFA, OTHER_CFA. A youth with several wishes has each classified against
  its own target.
- ``handled_by_wished_cfa``: the wished UAI itself reported a step of this youth since the wish.
- A rule may change the stage later without any new step (an abandon after 90 days): ``next_on``
  is the next day the outcome may change by itself, for the daily sweep that refreshes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import NamedTuple

from app.domain.timeline import Rules, TrainingEnd, status_on, timeline


class Stage(StrEnum):
    NO_NEWS = "NO_NEWS"
    HANDLED = "HANDLED"
    REGISTERED = "REGISTERED"
    APPRENTICE = "APPRENTICE"
    LEFT = "LEFT"
    CONTRACT_BROKEN = "CONTRACT_BROKEN"


class Match(StrEnum):
    AS_WISHED = "AS_WISHED"
    OTHER_TRAINING = "OTHER_TRAINING"
    OTHER_CFA = "OTHER_CFA"


class Target(NamedTuple):
    """What the wish asked for, and when."""

    uai: str
    certification: str
    submitted_on: date


class OutcomeStep(NamedTuple):
    step: str  # a Step value
    effective_date: date
    arrival: int  # arrival order (the stored id): breaks ties between equal dates
    uai: str
    certification: str
    linked: bool  # the CFA linked this step to the wish (portal + portalWishId): it decides a tie
    contract_start: date | None = None
    contract_end: date | None = None
    training_end: date | None = None


class Outcome(NamedTuple):
    stage: str  # a Stage value
    match: str | None  # a Match value; None for NO_NEWS
    since: date | None
    uai: str | None
    certification: str | None
    handled_by_wished_cfa: bool = False
    next_on: date | None = None  # the next day this outcome may change without a new step


NO_NEWS = Outcome(Stage.NO_NEWS, None, None, None, None)

STAGE_OF_STATUS: dict[str, Stage] = {
    "REGISTERED": Stage.REGISTERED,
    "APPRENTICE": Stage.APPRENTICE,
    "COMPLETED": Stage.APPRENTICE,
    "CONTRACT_BROKEN": Stage.CONTRACT_BROKEN,
    "DROPPED_OUT": Stage.LEFT,
}


def outcome(
    target: Target, steps: Iterable[OutcomeStep], rules: Rules, today: date, training_end: TrainingEnd | None = None,
) -> Outcome:
    counted = [s for s in steps if s.effective_date >= target.submitted_on]
    if not counted:
        return NO_NEWS
    # the timeline of the steps that count, a linked step after the others of its day
    facts = [(s.step, s.effective_date, (s.linked, s.arrival), s.uai, s.certification, s.contract_start, s.contract_end,
              s.training_end) for s in counted]
    segments = timeline(facts, rules, training_end)
    seen = [s for s in counted if s.effective_date <= today]
    later = [s.effective_date for s in counted if s.effective_date > today] + [g.start for g in segments if g.start > today]
    next_on = min(later) if later else None
    handled_by_wished_cfa = any(s.uai == target.uai for s in seen)
    current = status_on(segments, today)
    if current is not None:
        stage = STAGE_OF_STATUS[current.status]
        place = (current.uai, current.certification)
        since = current.start
        for earlier in reversed([g for g in segments if g.end is not None and g.end <= current.start]):
            if earlier.end != since or STAGE_OF_STATUS[earlier.status] != stage or (earlier.uai, earlier.certification) != place:
                break
            since = earlier.start
    elif seen:
        stage = Stage.HANDLED
        ordered = sorted(seen, key=lambda s: (s.effective_date, s.linked, s.arrival))
        decider = ordered[-1]
        place = (decider.uai, decider.certification)
        since = decider.effective_date
        for before in reversed(ordered[:-1]):
            if (before.uai, before.certification) != place:
                break
            since = before.effective_date
    else:
        return NO_NEWS._replace(next_on=next_on)
    if place[0] != target.uai:
        match = Match.OTHER_CFA
    elif place[1] != target.certification:
        match = Match.OTHER_TRAINING
    else:
        match = Match.AS_WISHED
    return Outcome(stage, match, since, place[0], place[1], handled_by_wished_cfa, next_on)
