"""An offer's intake (DOMAIN.md, "Places and vacancies"): which youths fill its places.

A youth enters a CFA and certification on the first day its path is REGISTERED or APPRENTICE
there (its *entry*). It belongs to the intake of the offer of that CFA and certification whose
session takes it in: from 30 days before ``sessionStart`` to ``sessionEnd`` (an offer without
dates takes in over the school year of the day asked); among several, the latest session started
(then the lowest id): each youth in one offer only. It fills a place of that intake while it is
REGISTERED, APPRENTICE or CONTRACT_BROKEN there (``enrolled``), from its entry on; an offer's
vacancies are its effective capacity minus its enrolled, never below 0, and a row of offers sums
each offer's, never netting one's excess against another's places.

Counting youths by entry needs the entry day with each count: :func:`intake_points` gives, like
the headcounts' change points (app/domain/change_points.py), what a rewritten path changes in
``(uai, certification, entered_on, day) -> youths entering (+) or leaving (-)``; the enrolled of
(uai, certification, entered_on) on D is the sum up to D. :func:`taken_in_by` says which offer
an entry belongs to.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, NamedTuple

from app.domain.timeline import ENROLLED, Segment, Status

EARLY_DAYS = 30  # a session takes in youths from this many days before it starts
ENTERING = frozenset({Status.REGISTERED, Status.APPRENTICE})
COUNTED = frozenset(ENROLLED)


class Stay(NamedTuple):
    """A part of a path filling a place at a CFA and certification: [start, end) (end None: open)."""

    uai: str
    certification: str
    entered_on: date
    start: date
    end: date | None


def stays(segments: Sequence[tuple[date, str, str, str]]) -> Iterator[Stay]:
    """The stays of a path given as (start, status, uai, certification) segments in order (each
    ends where the next starts, the last one open)."""
    entered: dict[tuple[str, str], date] = {}
    last = len(segments) - 1
    for i, (start, status, uai, certification) in enumerate(segments):
        place = (uai, certification)
        if status in ENTERING and place not in entered:
            entered[place] = start
        if status in COUNTED and place in entered:
            yield Stay(uai, certification, entered[place], start, segments[i + 1][0] if i < last else None)


def intake_points(
    old_paths: Sequence[Any], new_paths: Mapping[int, Sequence[Segment]]
) -> list[tuple[str, str, date, date, int]]:
    """What the intake's change points gain and lose when ``old_paths`` (stored rows: youth_id,
    starts, statuses, uais, certifications) give way to ``new_paths`` (youth id -> segments; a
    youth absent has no path any more): (uai, certification, entered_on, day, youths), without
    the ones that cancel out."""
    change: dict[tuple[str, str, date, date], int] = {}
    old_by_youth = {row[0]: row for row in old_paths}
    for youth_id in old_by_youth.keys() | new_paths.keys():
        old = old_by_youth.get(youth_id)
        olds = list(zip(old[1], old[2], old[3], old[4])) if old is not None else []
        news = [(s.start, s.status, s.uai, s.certification) for s in new_paths.get(youth_id, ())]
        if olds == news:
            continue
        for segments, sign in ((olds, -1), (news, 1)):
            for stay in stays(segments):
                key = (stay.uai, stay.certification, stay.entered_on, stay.start)
                change[key] = change.get(key, 0) + sign
                if stay.end is not None:
                    key = (stay.uai, stay.certification, stay.entered_on, stay.end)
                    change[key] = change.get(key, 0) - sign
    return [(*key, youths) for key, youths in change.items() if youths]


class Session(NamedTuple):
    """An offer as its intake reads it."""

    offer_id: int
    start: date | None
    end: date | None


def school_year(day: date) -> tuple[date, date]:
    """The school year of ``day``: from 1 August to 31 July."""
    first = date(day.year if day.month >= 8 else day.year - 1, 8, 1)
    return first, date(first.year + 1, 7, 31)


def window(session: Session, on: date) -> tuple[date | None, date | None, date | None]:
    """(first, last, rank) of the entries ``session`` takes in on ``on``: None for no bound; rank:
    the session's start (an offer without dates: the school year's start; None: before all)."""
    if session.start is None and session.end is None:
        first, last = school_year(on)
        return first, last, first
    early = None if session.start is None else session.start - timedelta(days=EARLY_DAYS)
    return early, session.end, session.start


def taken_in_by(entered_on: date, sessions: Sequence[Session], on: date) -> int | None:
    """The offer (among one CFA and certification's) whose intake a youth who entered on
    ``entered_on`` belongs to on ``on``; None when no session takes it in."""
    best: tuple[date, int] | None = None
    chosen = None
    for session in sessions:
        first, last, rank = window(session, on)
        if (first is not None and entered_on < first) or (last is not None and entered_on > last):
            continue
        key = (rank or date.min, -session.offer_id)
        if best is None or key > best:
            best, chosen = key, session.offer_id
    return chosen
