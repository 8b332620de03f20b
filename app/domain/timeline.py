"""The path timeline: from a youth's steps, the indicator status on every date. Pure rules.

Status rules 2027.1 (DOMAIN.md, "Status rules 2027.1"; the thresholds are :class:`Rules`).
Dates are calendar dates; "more than N days" is ``D - start > N``; a status on D includes the
steps effective on D.

1. MEETING, INFO_SESSION and PRE_REGISTERED change no status (the youth is "handled").
2. APPRENTICE starts on ``contractStart`` when given, else on the effective date. The contract ends on ``contractEnd`` when given, else
   on the training end when known, else goes on. The training end of a contract is the step's
   ``trainingEnd``, else the first COMPLETED step's date at its CFA and certification since it
   started, else the end of the offer's session (``training_end``). From the day after its end,
   with no later step before: COMPLETED when it ends ``completion_window_days`` (60) or less
   before the training end, or later, or when the training end is unknown; a rupturant
   (CONTRACT_BROKEN) when it ends earlier than that.
3. CONTRACT_BROKEN makes a rupturant on its date (the rupture date; a ``contractEnd`` it carries
   puts the rupture the day after that end when earlier), except within the completion window
   before the training end (or after it): that is a completion, COMPLETED from the same day.
4. A REGISTERED step during or after a contract at the same CFA and certification (its APPRENTICE
   period, with no COMPLETED or DROPPED_OUT since) is a rupture, not a registration: the youth is
   a rupturant from the earliest of the contract's end (the day after it), the CONTRACT_BROKEN
   step and that REGISTERED step; the completion window applies as in rule 3. At another CFA or
   certification it is a new registration.
5. Repeated REGISTERED reports at the same CFA restart nothing: the registration without contract
   runs from the first day of an uninterrupted run of REGISTERED reports there; a repeated
   CONTRACT_BROKEN or REGISTERED report of a rupturant at the rupture's CFA and certification
   restarts nothing either, and neither does one after the rules made the youth count as abandon.
6. Registered without contract for more than ``registered_dropout_days`` (90), or rupturant for
   more than ``broken_dropout_days`` (180), counts as abandon (DROPPED_OUT) from the next day
   (L6222-12-1, L6222-18-2). A DROPPED_OUT step is an abandon on its date; a COMPLETED step is a
   completion on its date.

The path is ordered by the day each step sets its status (APPRENTICE: the contract's start; a
CONTRACT_BROKEN carrying an earlier end: the day after it; the others: the effective date), ties
broken by arrival: never by arrival alone. A rule fires on its day only if no step of the path
comes on that day or before. The result is a list of segments ``[start, end)`` (``end`` None:
open) with the status, the CFA and certification it belongs to, and why it started, so that a
read on any date is one look-up. A REGISTERED segment that starts a run of registration is REPORTED
(even right after another at the same place, e.g. a DROPPED_OUT and a REGISTERED the same day);
one that goes on with the run at another certification is REGISTRATION_GOES_ON.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from operator import itemgetter
from typing import Any, NamedTuple


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
FIRST_STEPS = frozenset({Step.MEETING, Step.INFO_SESSION, Step.PRE_REGISTERED})


class Status(StrEnum):
    """The indicator status of the national dashboard."""

    REGISTERED = "REGISTERED"  # inscrit sans contrat
    APPRENTICE = "APPRENTICE"  # apprenti
    CONTRACT_BROKEN = "CONTRACT_BROKEN"  # rupturant
    DROPPED_OUT = "DROPPED_OUT"  # abandon
    COMPLETED = "COMPLETED"  # fin de formation


# The statuses that hold a place in a training (an offer's enrolled count, its vacancies).
ENROLLED = (Status.REGISTERED, Status.APPRENTICE, Status.CONTRACT_BROKEN)


class Cause(StrEnum):
    """Why a segment starts: a reported step, or a rule applied to one."""

    REPORTED = "REPORTED"
    REGISTERED_TOO_LONG = "REGISTERED_TOO_LONG"  # rule 6
    BROKEN_TOO_LONG = "BROKEN_TOO_LONG"  # rule 6
    CONTRACT_ENDED = "CONTRACT_ENDED"  # rule 2: ended early, a rupturant
    CONTRACT_COMPLETED = "CONTRACT_COMPLETED"  # rule 2: ended at the training's end
    BROKEN_AT_COMPLETION = "BROKEN_AT_COMPLETION"  # rule 3: a rupture within the completion window
    BROKEN_BY_REGISTRATION = "BROKEN_BY_REGISTRATION"  # rule 4 (a stored cause: 24 characters at most)
    REGISTRATION_GOES_ON = "REGISTRATION_GOES_ON"  # rule 5: the run goes on at another certification


@dataclass(frozen=True, slots=True)
class Rules:
    version: str = "2027.1"
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
    training_end: date | None = None
    residence: str | None = None  # the department of residence the step gave (the risk's territory)


class Segment(NamedTuple):
    start: date
    end: date | None  # exclusive; None while the segment is open
    status: str  # a Status value
    uai: str
    certification: str
    cause: str  # a Cause value


# The end of the training of (uai, certification) for a contract starting on a day, from the
# offers' sessions; None when unknown.
TrainingEnd = Callable[[str, str, date], date | None]

# The steps that change the status; the others (MEETING, INFO_SESSION, PRE_REGISTERED) leave the
# path as it is, so a batch of them needs no path recomputed.
STATUS_STEPS = frozenset(Status.__members__)
_ONE_DAY = timedelta(days=1)
# Plain strings, compared and stored without the enum machinery (StrEnum members equal them).
_REGISTERED, _APPRENTICE, _BROKEN, _DROPPED_OUT, _COMPLETED = (
    "REGISTERED", "APPRENTICE", "CONTRACT_BROKEN", "DROPPED_OUT", "COMPLETED")
_REPORTED = "REPORTED"
# The rules a path waits for (its ``pending`` rule).
_CONTRACT_END, _REGISTERED_TOO_LONG, _BROKEN_TOO_LONG = "contract end", "registered too long", "broken too long"


# A step as the rules read it: a StepFact, or a plain tuple in its field order (eight at least).
Fact = Sequence[Any]


def status_day(fact: Fact) -> date:
    """The day a status step sets its status (see the module's rules 2 and 3)."""
    day: date = fact[1]
    contract_start: date | None = fact[5]
    contract_end: date | None = fact[6]
    if fact[0] == _APPRENTICE and contract_start is not None:
        return contract_start
    if fact[0] == _BROKEN and contract_end is not None:
        return min(day, contract_end + _ONE_DAY)
    return day


class _Path:
    """The walk along one youth's status steps: the state between steps and the segments made."""

    def __init__(self, rules: Rules, training_end: TrainingEnd | None, completions: dict[tuple[str, str], list[date]]):
        self.window = rules.completion_window_days
        self.registered_after = timedelta(days=rules.registered_dropout_days + 1)
        self.broken_after = timedelta(days=rules.broken_dropout_days + 1)
        self.training_end = training_end
        self.completions = completions
        self.changes: list[tuple[date, str, str, str, str]] = []  # (day, status, uai, certification, cause)
        self.status: str | None = None
        self.place: tuple[str, str] | None = None
        # Read only while the status is REGISTERED, set when a run starts: the UAI of the run (rule 5).
        self.registered_at: str | None = None
        # Read only while the status is DROPPED_OUT, set when it starts: what the abandon came from,
        # ("REGISTERED", uai, "") or ("BROKEN", uai, cert) when the rules made it, None when reported.
        self.abandoned_from: tuple[str, str, str] | None = None
        self.contract: tuple[str, str, date | None] | None = None  # (uai, cert, training end) of the last contract
        self.pending: tuple[date, str] | None = None  # the next rule to fire: (day, which)

    def change(self, day: date, status: str, uai: str, certification: str, cause: str) -> None:
        if self.changes and self.changes[-1][0] == day:
            self.changes[-1] = (day, status, uai, certification, cause)  # the last of a day wins
        else:
            self.changes.append((day, status, uai, certification, cause))
        self.status, self.place = status, (uai, certification)

    def fire_before(self, limit: date | None) -> None:
        """Apply the rules due before ``limit`` (all of them when None), in their order."""
        while self.pending is not None and (limit is None or self.pending[0] < limit):
            day, rule = self.pending
            self.pending = None
            uai, certification = self.place  # type: ignore[misc]
            if rule == _CONTRACT_END:  # pending only while its contract runs
                end = day - _ONE_DAY
                training_end = self.contract[2]  # type: ignore[index]
                if training_end is None or (training_end - end).days <= self.window:
                    self.change(day, _COMPLETED, uai, certification, Cause.CONTRACT_COMPLETED)
                else:
                    self.rupture(day, uai, certification, Cause.CONTRACT_ENDED)
            elif rule == _REGISTERED_TOO_LONG:
                self.change(day, _DROPPED_OUT, uai, certification, Cause.REGISTERED_TOO_LONG)
                self.abandoned_from = (_REGISTERED, uai, "")
            else:  # broken too long
                self.change(day, _DROPPED_OUT, uai, certification, Cause.BROKEN_TOO_LONG)
                self.abandoned_from = (_BROKEN, uai, certification)

    def rupture(self, day: date, uai: str, certification: str, cause: str) -> None:
        self.change(day, _BROKEN, uai, certification, cause)
        self.pending = (day + self.broken_after, _BROKEN_TOO_LONG)

    def completion_near(self, day: date, training_end: date | None) -> bool:
        """Whether a rupture on ``day`` falls within the completion window before the training
        end (or after it)."""
        return training_end is not None and (training_end - day).days <= self.window

    def contract_training_end(self, fact: Fact, start: date) -> date | None:
        reported: date | None = fact[7]
        if reported is not None:
            return reported
        for completed in self.completions.get((fact[3], fact[4]), ()):
            if completed >= start:
                return completed
        return self.training_end(fact[3], fact[4], start) if self.training_end is not None else None

    def apply(self, fact: Fact, day: date) -> None:
        step, uai, certification = fact[0], fact[3], fact[4]
        place = (uai, certification)
        if step == _REGISTERED:
            self.registered(day, uai, certification, place)
        elif step == _APPRENTICE:
            training_end = self.contract_training_end(fact, day)
            self.change(day, _APPRENTICE, uai, certification, _REPORTED)
            self.contract = (uai, certification, training_end)
            end = fact[6] if fact[6] is not None else training_end
            self.pending = None if end is None or end < day else (end + _ONE_DAY, _CONTRACT_END)
        elif step == _BROKEN:
            if self.status == _BROKEN and self.place == place:
                return  # rule 5: the rupture goes on
            if self.status == _DROPPED_OUT and self.abandoned_from == (_BROKEN, uai, certification):
                return  # rule 5: still an abandon
            training_end = fact[7]
            if training_end is None and self.contract is not None and self.contract[:2] == place:
                training_end = self.contract[2]
            if training_end is None and self.training_end is not None:
                training_end = self.training_end(uai, certification, day)
            if self.completion_near(day, training_end):
                self.change(day, _COMPLETED, uai, certification, Cause.BROKEN_AT_COMPLETION)
                self.pending = None
            else:
                self.rupture(day, uai, certification, _REPORTED)
            self.contract = None
        elif step == _DROPPED_OUT:
            self.change(day, _DROPPED_OUT, uai, certification, _REPORTED)
            self.abandoned_from = self.contract = self.pending = None
        else:  # COMPLETED
            self.change(day, _COMPLETED, uai, certification, _REPORTED)
            self.contract = self.pending = None

    def registered(self, day: date, uai: str, certification: str, place: tuple[str, str]) -> None:
        if self.status == _APPRENTICE and self.contract is not None and self.contract[:2] == place:
            # rule 4: a rupture of the running contract (the completion window as in rule 3)
            training_end = self.contract[2]
            self.contract = None
            if self.completion_near(day, training_end):
                self.change(day, _COMPLETED, uai, certification, Cause.BROKEN_AT_COMPLETION)
                self.pending = None
            else:
                self.rupture(day, uai, certification, Cause.BROKEN_BY_REGISTRATION)
            return
        if self.status == _BROKEN and self.place == place:
            return  # rule 4: the rupturant stays one
        if self.status == _DROPPED_OUT and self.abandoned_from in ((_BROKEN, uai, certification), (_REGISTERED, uai, "")):
            return  # rules 4 and 5: still an abandon
        if self.status == _REGISTERED and self.registered_at == uai:
            if self.place != place:  # the same run, another certification: its clock goes on
                self.change(day, _REGISTERED, uai, certification, Cause.REGISTRATION_GOES_ON)
            return
        self.change(day, _REGISTERED, uai, certification, _REPORTED)
        self.registered_at, self.contract = uai, None
        self.pending = (day + self.registered_after, _REGISTERED_TOO_LONG)


def timeline(steps: Iterable[Fact], rules: Rules, training_end: TrainingEnd | None = None) -> list[Segment]:
    """The segments of a path. ``steps`` may be StepFacts or plain tuples in StepFact's field
    order, with its first eight fields at least (the residence is not read)."""
    facts = [fact for fact in steps if fact[0] in STATUS_STEPS]
    if not facts:
        return []
    events = sorted(((status_day(fact), fact[2], fact) for fact in facts), key=itemgetter(0, 1))
    completions: dict[tuple[str, str], list[date]] = {}
    for day, _, fact in events:
        if fact[0] == _COMPLETED:
            completions.setdefault((fact[3], fact[4]), []).append(day)
    path = _Path(rules, training_end, completions)
    for day, _, fact in events:
        path.fire_before(day)
        path.apply(fact, day)
    path.fire_before(None)
    segments: list[Segment] = []
    for day, status, uai, certification, cause in path.changes:
        if segments and segments[-1][2:5] == (status, uai, certification) and not (
                status == _REGISTERED and cause == _REPORTED):
            continue  # nothing changes: the open segment goes on (a new registration run starts one)
        if segments:
            segments[-1] = segments[-1]._replace(end=day)
        segments.append(Segment(day, None, status, uai, certification, cause))
    return segments


def unpack(
    starts: Sequence[date], statuses: Sequence[str], uais: Sequence[str], certifications: Sequence[str], causes: Sequence[str]
) -> list[Segment]:
    """Segments from their columns as stored (contiguous: each ends where the next starts)."""
    ends = [*starts[1:], None]
    return [Segment(*columns) for columns in zip(starts, ends, statuses, uais, certifications, causes)]


def status_on(segments: Sequence[Segment], day: date) -> Segment | None:
    """The segment covering ``day``; None before the first status step. The segments are
    contiguous and the last one is open (as :func:`timeline` and :func:`unpack` make them)."""
    for segment in reversed(segments):
        if segment.start <= day:
            return segment
    return None
