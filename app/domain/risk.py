"""Youths at risk: when a youth should be called by an adviser, and why. Pure rules.

Evaluated on a date D, from the youth's path (app/domain/timeline.py segments, which already
turn long registrations and ruptures into drop-outs), its steps and its wishes:

- WISH_NOT_HANDLED: a wish submitted ``wish_not_handled_days`` (30) days or more before D, and no
  step of the youth, of any kind and at any CFA, effective on or after the submission day (up to D).
- NO_CONTRACT: registered without contract (REGISTERED, at one CFA or several in a row) for
  ``no_contract_days`` (60) days or more on D, no contract since.
- CONTRACT_BROKEN: the youth's last contract was broken (a CONTRACT_BROKEN status) and no later
  APPRENTICE (or COMPLETED) status; it stays alongside DROPPED_OUT when the rupture turns into a
  drop-out after 180 days.
- DROPPED_OUT: the status on D is DROPPED_OUT (reported, or by the 90/180-day rules): no later
  REGISTERED or APPRENTICE step anywhere.
- A youth who is an apprentice, or completed, on D is not at risk.

Several reasons can hold at once. ``since`` is the first day of the continuous period of risk
that contains D. The territory is the CFA of the youth's last step on D, else the CFA of its
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
from typing import NamedTuple

from app.domain.timeline import Segment, StepFact


class Reason(StrEnum):
    WISH_NOT_HANDLED = "WISH_NOT_HANDLED"
    NO_CONTRACT = "NO_CONTRACT"
    CONTRACT_BROKEN = "CONTRACT_BROKEN"
    DROPPED_OUT = "DROPPED_OUT"


REASON_ORDER = {reason: i for i, reason in enumerate(Reason)}


@dataclass(frozen=True, slots=True)
class RiskRules:
    wish_not_handled_days: int = 30
    no_contract_days: int = 60


# Steps are the timeline's StepFact tuples (step, effective_date, arrival, uai, certification,
# contract_start, contract_end), read by position: a batch derives thousands of youths.
_DAY, _ARRIVAL, _UAI = 1, 2, 3
_STEP_ORDER = itemgetter(_DAY, _ARRIVAL)


class WishFact(NamedTuple):
    submitted_on: date
    uai: str


class RiskSpan(NamedTuple):
    start: date
    end: date | None  # exclusive; None: open
    reasons: tuple[str, ...]  # Reason values, in Reason order
    since: date
    uai: str  # the territory's CFA


class _Interval(NamedTuple):
    start: date
    end: date | None
    reason: str


_SAFE = frozenset({"APPRENTICE", "COMPLETED"})


def _reason_intervals(segments: Sequence[Segment], steps: Sequence[StepFact], wishes: Sequence[WishFact], rules: RiskRules) -> list[_Interval]:
    intervals: list[_Interval] = []
    no_contract = timedelta(days=rules.no_contract_days)
    run_start: date | None = None  # of the current run of REGISTERED, or of DROPPED_OUT
    broken_from: date | None = None
    for index, segment in enumerate(segments):
        status, start, end = segment.status, segment.start, segment.end
        following = segments[index + 1].status if index + 1 < len(segments) else None
        if status in ("REGISTERED", "DROPPED_OUT"):
            run_start = start if run_start is None else run_start
            if following != status:  # the run ends here
                if status == "DROPPED_OUT":
                    intervals.append(_Interval(run_start, end, Reason.DROPPED_OUT))
                elif end is None or run_start + no_contract < end:
                    intervals.append(_Interval(run_start + no_contract, end, Reason.NO_CONTRACT))
                run_start = None
        if status == "CONTRACT_BROKEN" and broken_from is None:
            broken_from = start
        elif status in _SAFE and broken_from is not None:
            intervals.append(_Interval(broken_from, start, Reason.CONTRACT_BROKEN))
            broken_from = None
    if broken_from is not None:
        intervals.append(_Interval(broken_from, None, Reason.CONTRACT_BROKEN))

    if not wishes:
        return intervals
    safe = [(s.start, s.end) for s in segments if s.status in _SAFE]
    after = timedelta(days=rules.wish_not_handled_days)
    days = sorted([step[_DAY] for step in steps])
    for wish in wishes:
        first = next((day for day in days if day >= wish.submitted_on), None)
        start, end = wish.submitted_on + after, first
        if end is not None and end <= start:
            continue  # handled in time
        for piece_start, piece_end in _minus(start, end, safe):
            intervals.append(_Interval(piece_start, piece_end, Reason.WISH_NOT_HANDLED))
    return intervals


def _minus(start: date, end: date | None, holes: Sequence[tuple[date, date | None]]) -> list[tuple[date, date | None]]:
    """[start, end) without the holes (sorted, disjoint)."""
    pieces = []
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
    segments: Sequence[Segment], steps: Sequence[StepFact], wishes: Sequence[WishFact], rules: RiskRules
) -> list[RiskSpan]:
    """Every span of risk of a youth, in date order (none when the youth is never at risk)."""
    intervals = _reason_intervals(segments, steps, wishes, rules)
    if not intervals:
        return []
    ordered_steps = sorted(steps, key=_STEP_ORDER)
    ordered_wishes = sorted(wishes)
    first = min([i.start for i in intervals])
    bounds = {i.start for i in intervals}
    bounds.update([i.end for i in intervals if i.end is not None])
    bounds.update([s[_DAY] for s in ordered_steps if s[_DAY] > first])
    bounds.update([w.submitted_on for w in ordered_wishes if w.submitted_on > first])
    cuts = sorted(bounds)
    spans: list[RiskSpan] = []
    since: date | None = None
    step_index = -1  # the last step on the current cut (steps and cuts both go forward)
    count = len(ordered_steps)
    for index, start in enumerate(cuts):
        end = cuts[index + 1] if index + 1 < len(cuts) else None
        active = [i.reason for i in intervals if i.start <= start and (i.end is None or i.end > start)]
        if not active:
            since = None
            continue
        while step_index + 1 < count and ordered_steps[step_index + 1][_DAY] <= start:
            step_index += 1
        if since is None or not spans or spans[-1].end != start:
            since = start
        if step_index >= 0:
            uai = ordered_steps[step_index][_UAI]
        else:
            uai = _territory(ordered_steps, ordered_wishes, start)
        reasons = tuple(sorted(set(active), key=REASON_ORDER.__getitem__)) if len(active) > 1 else (active[0],)
        if spans and spans[-1].end == start and spans[-1].reasons == reasons and spans[-1].uai == uai and spans[-1].since == since:
            spans[-1] = spans[-1]._replace(end=end)
        else:
            spans.append(RiskSpan(start, end, reasons, since, uai))
    return spans


def _territory(steps: Sequence[StepFact], wishes: Sequence[WishFact], day: date) -> str:
    """The CFA of the last step on ``day``, else of the latest wish submitted by then (else the
    first wish: a reason needs a step or a wish, so one of them exists)."""
    last = None
    for step in steps:
        if step[_DAY] > day:
            break
        last = step
    if last is not None:
        return last[_UAI]
    wished = [w for w in wishes if w.submitted_on <= day] or list(wishes) or []
    if wished:
        return wished[-1].uai
    return steps[0][_UAI]


def risk_on(spans: Sequence[RiskSpan], day: date) -> RiskSpan | None:
    """The span covering ``day``; None when the youth is not at risk then."""
    for span in spans:
        if span.start <= day and (span.end is None or day < span.end):
            return span
    return None
