"""Youths at risk: when a youth should be called by an adviser, and why. Pure rules.

DOMAIN.md, "Status rules 2027.1", youths at risk on a date D, from the youth's path (the
timeline's segments, which already apply the status rules), its steps and its wishes:

- WISH_NOT_HANDLED: a wish to a CFA that consented, submitted ``wish_not_handled_days`` (30) days
  or more before D, and no step of the youth, of any kind and at any CFA, effective on or after
  the submission day (up to D).
- HANDLED_NOT_REGISTERED: the last step is a first step (MEETING, INFO_SESSION, PRE_REGISTERED)
  ``handled_not_registered_days`` (45) days old or more, and no step since.
- NO_CONTRACT: registered without contract for ``no_contract_days`` (60) days or more on D (a run
  of REGISTERED at one CFA counts from its first day), until a contract or the abandon.
- CONTRACT_BROKEN: a rupturant (never a completion), until a new contract or the abandon.
- DROPPED_OUT: an abandon (reported, or by the rules), shown for ``dropped_out_shown_days`` (180)
  days from its first day, then no longer.
- An apprentice, or a youth who completed, is not at risk on D; a later status ends the reasons
  of the one before.

Several reasons can hold at once. ``since`` is the first day of the continuous period of risk
that contains D. The territory is the youth's residence department (``residenceDepartment`` of a
wish or a step, the latest given by D), else the CFA of its last step by D, else the CFA of its
latest wish.

Because every rule is a threshold on dates already known, the whole future is computed at once
as spans ``[start, end)`` with constant reasons, since and territory: stored, a read on any date
is one range look-up, and no daily job is needed for a youth to become at risk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from operator import itemgetter
from typing import Final, NamedTuple

from app.domain.timeline import FIRST_STEPS, Cause, Fact, Segment, status_on


class Reason(StrEnum):
    WISH_NOT_HANDLED = "WISH_NOT_HANDLED"
    NO_CONTRACT = "NO_CONTRACT"
    CONTRACT_BROKEN = "CONTRACT_BROKEN"
    DROPPED_OUT = "DROPPED_OUT"
    HANDLED_NOT_REGISTERED = "HANDLED_NOT_REGISTERED"


REASON_ORDER = {reason: i for i, reason in enumerate(Reason)}


@dataclass(frozen=True, slots=True)
class RiskRules:
    wish_not_handled_days: int = 30
    no_contract_days: int = 60
    handled_not_registered_days: int = 45
    dropped_out_shown_days: int = 180


# Steps are the timeline's facts: StepFacts or plain tuples in their field order (step,
# effective_date, arrival, uai, certification, contract_start, contract_end, training_end), read
# by position: a batch derives thousands.
_STEP: Final = 0
_DAY: Final = 1
_ARRIVAL: Final = 2
_UAI: Final = 3
_STEP_ORDER = itemgetter(_DAY, _ARRIVAL)


class WishFact(NamedTuple):
    submitted_on: date
    uai: str
    consented: bool = True  # the wished CFA consented to transmit its data


class Residence(NamedTuple):
    """A department of residence the youth gave (with a step or a wish), and when."""

    given_on: date
    department: str


class RiskSpan(NamedTuple):
    start: date
    end: date | None  # exclusive; None: open
    reasons: tuple[str, ...]  # Reason values, in Reason order
    since: date
    uai: str  # the CFA of the last step (else of the latest wish)
    department: str | None = None  # the residence department, when one was given


class _Interval(NamedTuple):
    start: date
    end: date | None
    reason: Reason


_SAFE = frozenset({"APPRENTICE", "COMPLETED"})


def _status_intervals(segments: Sequence[Segment], rules: RiskRules) -> list[_Interval]:
    """NO_CONTRACT, CONTRACT_BROKEN and DROPPED_OUT from the path. A run of registration is a
    REGISTERED segment and those that go on with it (REGISTRATION_GOES_ON); the NO_CONTRACT
    interval of a run shorter than the threshold is empty (never active)."""
    intervals: list[_Interval] = []
    no_contract = timedelta(days=rules.no_contract_days)
    shown = timedelta(days=rules.dropped_out_shown_days)
    run_start = date.min  # a path's first REGISTERED segment starts a run: set before it is read
    for segment in segments:
        status, start, end = segment.status, segment.start, segment.end
        if status == "REGISTERED":  # the run's segments are contiguous: their intervals join up
            if segment.cause != Cause.REGISTRATION_GOES_ON:
                run_start = start
            intervals.append(_Interval(run_start + no_contract, end, Reason.NO_CONTRACT))
        elif status == "CONTRACT_BROKEN":
            intervals.append(_Interval(start, end, Reason.CONTRACT_BROKEN))
        elif status == "DROPPED_OUT":
            until = start + shown
            intervals.append(_Interval(start, until if end is None else min(end, until), Reason.DROPPED_OUT))
    return intervals


def _step_intervals(
    segments: Sequence[Segment], steps: Sequence[Fact], wishes: Sequence[WishFact], rules: RiskRules
) -> list[_Interval]:
    """WISH_NOT_HANDLED and HANDLED_NOT_REGISTERED, outside the periods of a contract or a
    completion (an interval that ends before it starts is empty: never active)."""
    safe = [(s.start, s.end) for s in segments if s.status in _SAFE]
    intervals: list[_Interval] = []
    days = [step[_DAY] for step in steps]
    after = timedelta(days=rules.wish_not_handled_days)
    for wish in wishes:
        if wish.consented:
            handled_on = min((day for day in days if day >= wish.submitted_on), default=None)  # the first step since
            intervals.extend(_Interval(a, b, Reason.WISH_NOT_HANDLED)
                             for a, b in _minus(wish.submitted_on + after, handled_on, safe))
    handled = timedelta(days=rules.handled_not_registered_days)
    status_days = {step[_DAY] for step in steps if step[_STEP] not in FIRST_STEPS}
    for step in steps:
        if step[_STEP] in FIRST_STEPS and step[_DAY] not in status_days:  # a status the same day: more than handled
            later = min((day for day in days if day > step[_DAY]), default=None)  # the next step, a later day
            intervals.extend(_Interval(a, b, Reason.HANDLED_NOT_REGISTERED)
                             for a, b in _minus(step[_DAY] + handled, later, safe))
    return intervals


def _minus(start: date, end: date | None, holes: Sequence[tuple[date, date | None]]) -> list[tuple[date, date | None]]:
    """[start, end) without the holes (sorted, disjoint)."""
    pieces: list[tuple[date, date | None]] = []
    cursor: date | None = start
    for hole_start, hole_end in holes:
        if cursor is None or (end is not None and hole_start >= end):
            break
        if hole_end is not None and hole_end <= cursor:
            continue
        if hole_start > cursor:
            pieces.append((cursor, hole_start))
        cursor = hole_end
    if cursor is not None and (end is None or cursor < end):
        pieces.append((cursor, end))
    return pieces


def risk_spans(
    segments: Sequence[Segment], steps: Sequence[Fact], wishes: Sequence[WishFact], rules: RiskRules,
    residences: Sequence[Residence] = (),
) -> list[RiskSpan]:
    """Every span of risk of a youth, in date order (none when the youth is never at risk)."""
    intervals = _status_intervals(segments, rules) + _step_intervals(segments, steps, wishes, rules)
    if not intervals:
        return []
    ordered_steps = sorted(steps, key=_STEP_ORDER)
    ordered_wishes = sorted(wishes)
    given = sorted(residences)
    # the days anything may change: a reason starts or ends, a step, a wish or a residence arrives
    bounds = {i.start for i in intervals}
    bounds.update(i.end for i in intervals if i.end is not None)
    bounds.update(s[_DAY] for s in ordered_steps)
    bounds.update(w.submitted_on for w in ordered_wishes)
    bounds.update(r.given_on for r in given)
    cuts = sorted(bounds)
    spans: list[RiskSpan] = []
    for start, end in zip(cuts, [*cuts[1:], None]):
        active = {i.reason for i in intervals if i.start <= start and (i.end is None or i.end > start)}
        if not active:
            continue
        last = spans[-1] if spans else None
        going_on = last is not None and last.end == start
        uai = _territory(ordered_steps, ordered_wishes, segments, start)
        department = _residence(given, start)
        reasons = tuple(sorted(active, key=REASON_ORDER.__getitem__))
        if going_on and (last.reasons, last.uai, last.department) == (reasons, uai, department):  # type: ignore[union-attr]
            spans[-1] = last._replace(end=end)  # type: ignore[union-attr]
        else:
            spans.append(RiskSpan(start, end, reasons, last.since if going_on else start, uai, department))  # type: ignore[union-attr]
    return spans


def _residence(given: Sequence[Residence], day: date) -> str | None:
    """The latest department of residence given by ``day`` (None: none given yet)."""
    department = None
    for residence in given:
        if residence.given_on > day:
            break
        department = residence.department
    return department


def _territory(steps: Sequence[Fact], wishes: Sequence[WishFact], segments: Sequence[Segment], day: date) -> str:
    """The CFA of the last step effective by ``day``; else of the status on ``day`` (a step dated
    later may set it earlier: a contract's start, a rupture at its contract's end); else of the
    latest wish submitted by then (a reason needs a step, a status or a wish by then)."""
    last = None
    for step in steps:
        if step[_DAY] > day:
            break
        last = step
    if last is not None:
        uai: str = last[_UAI]
        return uai
    current = status_on(segments, day)
    if current is not None:
        return current.uai
    return [w for w in wishes if w.submitted_on <= day][-1].uai


def risk_on(spans: Sequence[RiskSpan], day: date) -> RiskSpan | None:
    """The span covering ``day``; None when the youth is not at risk then."""
    for span in spans:
        if span.start <= day and (span.end is None or day < span.end):
            return span
    return None
