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
from operator import itemgetter
from typing import NamedTuple


class Step(StrEnum):
    MEETING = "MEETING"
    INFO_SESSION = "INFO_SESSION"
    PRE_REGISTERED = "PRE_REGISTERED"
    REGISTERED = "REGISTERED"
    APPRENTICE = "APPRENTICE"
    CONTRACT_BROKEN = "CONTRACT_BROKEN"
    DROPPED_OUT = "DROPPED_OUT"
    COMPLETED = "COMPLETED"


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


class StepFact(NamedTuple):
    step: str  # a Step value
    effective_date: date
    arrival: int  # arrival order (e.g. the stored id): breaks ties between equal dates
    uai: str
    certification: str
    contract_start: date | None = None
    contract_end: date | None = None


class Segment(NamedTuple):
    start: date
    end: date | None  # exclusive; None while the segment is open
    status: str  # a Status value
    uai: str
    certification: str
    cause: str  # a Cause value

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


TrainingEnd = Callable[[str, str], date | None]

# The steps that change the status; the others (MEETING, INFO_SESSION, PRE_REGISTERED) leave the
# path as it is, so a batch of them needs no path recomputed.
STATUS_STEPS = frozenset(Status.__members__)
_STATUS_STEPS = STATUS_STEPS
_ONE_DAY = timedelta(days=1)
# Plain strings, compared and stored without the enum machinery (StrEnum members equal them).
_REGISTERED, _APPRENTICE, _CONTRACT_BROKEN, _COMPLETED = "REGISTERED", "APPRENTICE", "CONTRACT_BROKEN", "COMPLETED"
_DROPPED_OUT = "DROPPED_OUT"
_REPORTED, _REGISTERED_TOO_LONG, _BROKEN_TOO_LONG = "REPORTED", "REGISTERED_TOO_LONG", "BROKEN_TOO_LONG"
_CONTRACT_ENDED, _CONTRACT_COMPLETED = "CONTRACT_ENDED", "CONTRACT_COMPLETED"


_PATH_ORDER = itemgetter(1, 2)  # StepFact: effective_date, then arrival


def ordered(steps: Iterable[StepFact]) -> list[StepFact]:
    """The path order: effective date, then arrival."""
    return sorted(steps, key=_PATH_ORDER)


def timeline(steps: Iterable[StepFact], rules: Rules, training_end: TrainingEnd | None = None) -> list[Segment]:
    """The segments of a path. ``steps`` may be StepFacts or plain tuples in StepFact's field
    order. Written for speed (fields read by position): it runs for every youth a batch touches."""
    path = sorted(steps, key=_PATH_ORDER)
    changes = [fact for fact in path if fact[0] in _STATUS_STEPS]
    if not changes:
        return []
    completed_on: dict[tuple[str, str], date] | None = None
    registered_after = timedelta(days=rules.registered_dropout_days + 1)
    broken_after = timedelta(days=rules.broken_dropout_days + 1)
    # Same-day starts: the last one (latest arrival, or the rule applied last) wins.
    by_day: dict[date, tuple[str, str, str, str]] = {}
    last = len(changes) - 1
    for index, fact in enumerate(changes):
        step, day, _, uai, certification, _, contract_end = fact
        next_day = changes[index + 1][1] if index < last else None
        by_day[day] = (step, uai, certification, _REPORTED)
        if step == _REGISTERED:
            dropout = day + registered_after
            if next_day is None or dropout < next_day:
                by_day[dropout] = (_DROPPED_OUT, uai, certification, _REGISTERED_TOO_LONG)
        elif step == _CONTRACT_BROKEN:
            dropout = day + broken_after
            if next_day is None or dropout < next_day:
                by_day[dropout] = (_DROPPED_OUT, uai, certification, _BROKEN_TOO_LONG)
        elif step == _APPRENTICE and contract_end is not None:
            ended = contract_end + _ONE_DAY
            if ended <= day or (next_day is not None and ended >= next_day):
                continue  # refused at input, or a later step came first
            if completed_on is None:
                completed_on = {}
                for other in path:
                    if other[0] == _COMPLETED:
                        completed_on.setdefault((other[3], other[4]), other[1])
            finish = completed_on.get((uai, certification))
            if finish is None and training_end is not None:
                finish = training_end(uai, certification)
            if finish is not None and abs((contract_end - finish).days) <= rules.completion_window_days:
                by_day[ended] = (_COMPLETED, uai, certification, _CONTRACT_COMPLETED)
            else:
                by_day[ended] = (_REGISTERED, uai, certification, _CONTRACT_ENDED)
                dropout = ended + registered_after
                if next_day is None or dropout < next_day:
                    by_day[dropout] = (_DROPPED_OUT, uai, certification, _REGISTERED_TOO_LONG)
    segments: list[Segment] = []
    previous = None
    for day in sorted(by_day):
        status, uai, certification, cause = by_day[day]
        if previous is not None:
            if previous[2] == status and previous[3] == uai and previous[4] == certification:
                continue  # nothing changes: the open segment goes on
            segments[-1] = Segment(previous[0], day, previous[2], previous[3], previous[4], previous[5])
        previous = Segment(day, None, status, uai, certification, cause)
        segments.append(previous)
    return segments


def unpack(
    starts: Sequence[date], statuses: Sequence[str], uais: Sequence[str], certifications: Sequence[str], causes: Sequence[str]
) -> list[Segment]:
    """Segments from their columns as stored (contiguous: each ends where the next starts)."""
    ends = [*starts[1:], None]
    return [Segment(*columns) for columns in zip(starts, ends, statuses, uais, certifications, causes)]


def status_on(segments: Sequence[Segment], day: date) -> Segment | None:
    """The segment covering ``day``; None before the first status step."""
    for segment in reversed(segments):
        if segment.start <= day:
            return segment if segment.covers(day) else None
    return None
