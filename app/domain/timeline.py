"""The path timeline: from a youth's steps, the indicator status on every date.

Pure rules (DOMAIN.md, "Status at a date D"):

- A path is ordered by effective date, ties broken by arrival; never by arrival alone.
- Only REGISTERED, APPRENTICE, CONTRACT_BROKEN, DROPPED_OUT and COMPLETED change the status.
  MEETING, INFO_SESSION and PRE_REGISTERED mark a wish as handled and leave the status alone.
- Registered without contract for more than ``registered_dropout_days`` (90) counts as dropped
  out from the next day (L6222-12-1 allows 3 months in a CFA without employer).
- Contract broken for more than ``broken_dropout_days`` (180) counts as dropped out from the next
  day (L6222-18-2 keeps a rupturant 6 months in training).
- An apprenticeship contract with an end date that passes with no later step: if it ends within
  ``completion_window_days`` (60) of the training end (the COMPLETED step's date for that CFA and
  certification, else the offer's session end) the youth completed; otherwise the youth is
  registered without contract from the day after, and the 90-day rule applies from then.

The result is a list of segments ``[start, end)`` (``end`` None: open) with the status, the CFA
and certification it belongs to, and the rule version, so that a read on any date is one look-up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class Step(StrEnum):
    MEETING = "MEETING"
    INFO_SESSION = "INFO_SESSION"
    PRE_REGISTERED = "PRE_REGISTERED"
    REGISTERED = "REGISTERED"
    APPRENTICE = "APPRENTICE"
    CONTRACT_BROKEN = "CONTRACT_BROKEN"
    DROPPED_OUT = "DROPPED_OUT"
    COMPLETED = "COMPLETED"


HANDLING_STEPS = frozenset({Step.MEETING, Step.INFO_SESSION, Step.PRE_REGISTERED})
CONTRACT_STEPS = frozenset({Step.APPRENTICE, Step.CONTRACT_BROKEN})


class Status(StrEnum):
    """The indicator status of the national dashboard."""

    REGISTERED = "REGISTERED"  # inscrit sans contrat
    APPRENTICE = "APPRENTICE"  # apprenti
    CONTRACT_BROKEN = "CONTRACT_BROKEN"  # rupturant
    DROPPED_OUT = "DROPPED_OUT"  # abandon
    COMPLETED = "COMPLETED"  # fin de formation


class Cause(StrEnum):
    """Why a segment starts: a reported step, or a rule applied to one."""

    REPORTED = "REPORTED"
    REGISTERED_TOO_LONG = "REGISTERED_TOO_LONG"
    BROKEN_TOO_LONG = "BROKEN_TOO_LONG"
    CONTRACT_ENDED = "CONTRACT_ENDED"
    CONTRACT_COMPLETED = "CONTRACT_COMPLETED"


@dataclass(frozen=True, slots=True)
class Rules:
    version: str = "2026.1"
    registered_dropout_days: int = 90
    broken_dropout_days: int = 180
    completion_window_days: int = 60


@dataclass(frozen=True, slots=True)
class StepFact:
    step: Step
    effective_date: date
    arrival: int  # arrival order (e.g. the stored id): breaks ties between equal dates
    uai: str
    certification: str
    contract_start: date | None = None
    contract_end: date | None = None


@dataclass(frozen=True, slots=True)
class Segment:
    start: date
    end: date | None  # exclusive; None while the segment is open
    status: Status
    uai: str
    certification: str
    cause: Cause

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


TrainingEnd = Callable[[str, str], date | None]

_STATUS_OF_STEP = {
    Step.REGISTERED: Status.REGISTERED,
    Step.APPRENTICE: Status.APPRENTICE,
    Step.CONTRACT_BROKEN: Status.CONTRACT_BROKEN,
    Step.DROPPED_OUT: Status.DROPPED_OUT,
    Step.COMPLETED: Status.COMPLETED,
}


def ordered(steps: Iterable[StepFact]) -> list[StepFact]:
    """The path order: effective date, then arrival."""
    return sorted(steps, key=lambda fact: (fact.effective_date, fact.arrival))


def timeline(steps: Iterable[StepFact], rules: Rules, training_end: TrainingEnd | None = None) -> list[Segment]:
    path = ordered(steps)
    completed_on: dict[tuple[str, str], date] = {}
    for fact in path:
        if fact.step == Step.COMPLETED:
            completed_on.setdefault((fact.uai, fact.certification), fact.effective_date)

    def end_of_training(uai: str, certification: str) -> date | None:
        reported = completed_on.get((uai, certification))
        if reported is not None:
            return reported
        return training_end(uai, certification) if training_end else None

    changes = [fact for fact in path if fact.step in _STATUS_OF_STEP]
    starts: list[tuple[date, Status, str, str, Cause]] = []
    for index, fact in enumerate(changes):
        next_day = changes[index + 1].effective_date if index + 1 < len(changes) else None

        def add(day: date, status: Status, cause: Cause) -> None:
            if next_day is None or day < next_day:
                starts.append((day, status, fact.uai, fact.certification, cause))

        add(fact.effective_date, _STATUS_OF_STEP[fact.step], Cause.REPORTED)
        if fact.step == Step.REGISTERED:
            add(_after(fact.effective_date, rules.registered_dropout_days), Status.DROPPED_OUT, Cause.REGISTERED_TOO_LONG)
        elif fact.step == Step.CONTRACT_BROKEN:
            add(_after(fact.effective_date, rules.broken_dropout_days), Status.DROPPED_OUT, Cause.BROKEN_TOO_LONG)
        elif fact.step == Step.APPRENTICE and fact.contract_end is not None:
            ended = fact.contract_end + timedelta(days=1)
            if ended <= fact.effective_date:
                continue  # an end before the step itself is refused at input; ignore it here
            finish = end_of_training(fact.uai, fact.certification)
            if finish is not None and abs((fact.contract_end - finish).days) <= rules.completion_window_days:
                add(ended, Status.COMPLETED, Cause.CONTRACT_COMPLETED)
            else:
                add(ended, Status.REGISTERED, Cause.CONTRACT_ENDED)
                add(_after(ended, rules.registered_dropout_days), Status.DROPPED_OUT, Cause.REGISTERED_TOO_LONG)
    return _segments(starts)


def _after(day: date, days: int) -> date:
    """The first day on which more than ``days`` days have passed since ``day``."""
    return day + timedelta(days=days + 1)


def _segments(starts: Sequence[tuple[date, Status, str, str, Cause]]) -> list[Segment]:
    # Same-day starts: the last one (latest arrival, or the rule applied last) wins.
    by_day: dict[date, tuple[Status, str, str, Cause]] = {}
    for day, status, uai, certification, cause in starts:
        by_day[day] = (status, uai, certification, cause)
    days = sorted(by_day)
    segments: list[Segment] = []
    for day in days:
        status, uai, certification, cause = by_day[day]
        if segments and (segments[-1].status, segments[-1].uai, segments[-1].certification) == (status, uai, certification):
            continue  # nothing changes: the open segment goes on
        if segments:
            last = segments[-1]
            segments[-1] = Segment(last.start, day, last.status, last.uai, last.certification, last.cause)
        segments.append(Segment(day, None, status, uai, certification, cause))
    return segments


def status_on(segments: Sequence[Segment], day: date) -> Segment | None:
    """The segment covering ``day``; None before the first status step."""
    for segment in reversed(segments):
        if segment.start <= day:
            return segment if segment.covers(day) else None
    return None
