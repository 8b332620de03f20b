"""What became of a wish: a pure function of the wish and the steps reported since.

The rules (the portals' feedback, "retour sur les vœux"):

- The steps that count are the youth's steps, at every CFA, effective on or after the day the
  wish was submitted: nobody reads a youth's older past through a wish. A step a CFA linked to
  the wish (``portal`` and ``portalWishId`` on the step) is one of them: the hub makes it the
  wish's youth's, or refuses it (WISH_YOUTH_MISMATCH); here it only breaks ties.
- The stage follows the youth's latest status step (REGISTERED, APPRENTICE, CONTRACT_BROKEN,
  DROPPED_OUT, COMPLETED; in effective-date order, ties broken by arrival): REGISTERED is
  REGISTERED; APPRENTICE and COMPLETED are APPRENTICE; DROPPED_OUT, and CONTRACT_BROKEN (being
  the latest, no contract came after it), are LEFT. With no status step, a MEETING, an
  INFO_SESSION or a PRE_REGISTERED makes it HANDLED ("vœu exploité"); with no step, NO_NEWS.
- The step that decides is that latest step; on the same effective date, a step linked to the
  wish decides before a step matched by youth (the CFA said which wish it answers).
- ``since`` is the first day of the decided stage at the deciding step's CFA and certification:
  earlier steps of the same stage there (e.g. APPRENTICE, then COMPLETED) keep their date.
- The match compares the deciding step with the wish: same UAI and certification, AS_WISHED;
  same UAI, OTHER_TRAINING; another CFA, OTHER_CFA. A youth with several wishes has each
  classified against its own target.
- Reported steps only: the thresholds that turn a long registration into a drop-out in the
  pilots' headcounts (app/domain/timeline.py) do not move a wish's outcome, which changes only
  when a CFA reports something.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import NamedTuple


class Stage(StrEnum):
    NO_NEWS = "NO_NEWS"
    HANDLED = "HANDLED"
    REGISTERED = "REGISTERED"
    APPRENTICE = "APPRENTICE"
    LEFT = "LEFT"


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


class Outcome(NamedTuple):
    stage: str  # a Stage value
    match: str | None  # a Match value; None for NO_NEWS
    since: date | None
    uai: str | None
    certification: str | None


NO_NEWS = Outcome(Stage.NO_NEWS, None, None, None, None)

STAGE_OF_STEP: dict[str, Stage] = {
    "MEETING": Stage.HANDLED,
    "INFO_SESSION": Stage.HANDLED,
    "PRE_REGISTERED": Stage.HANDLED,
    "REGISTERED": Stage.REGISTERED,
    "APPRENTICE": Stage.APPRENTICE,
    "COMPLETED": Stage.APPRENTICE,
    "CONTRACT_BROKEN": Stage.LEFT,
    "DROPPED_OUT": Stage.LEFT,
}


def _order(step: OutcomeStep) -> tuple[date, bool, int]:
    return (step.effective_date, step.linked, step.arrival)


def outcome(target: Target, steps: Iterable[OutcomeStep]) -> Outcome:
    counted = [s for s in steps if s.effective_date >= target.submitted_on]
    if not counted:
        return NO_NEWS
    status = [s for s in counted if STAGE_OF_STEP[s.step] is not Stage.HANDLED]
    pool = sorted(status or counted, key=_order)
    decider = pool[-1]
    stage = STAGE_OF_STEP[decider.step]
    place = (decider.uai, decider.certification)
    since = decider.effective_date
    for earlier in reversed(pool[:-1]):
        if STAGE_OF_STEP[earlier.step] is not stage or (earlier.uai, earlier.certification) != place:
            break
        since = earlier.effective_date
    if decider.uai != target.uai:
        match = Match.OTHER_CFA
    elif decider.certification != target.certification:
        match = Match.OTHER_TRAINING
    else:
        match = Match.AS_WISHED
    return Outcome(stage, match, since, decider.uai, decider.certification)
