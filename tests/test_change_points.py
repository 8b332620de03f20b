"""The change points a rewritten path gives (app/domain/change_points.py) against a naive
recomputation: every entry and exit of the new paths minus every one of the old, key by key.
Generated paths share prefixes, differ at the end, vanish or appear, as rewrites do."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.change_points import change_points
from app.domain.timeline import Segment

DAY0 = date(2026, 9, 1)
STATUSES = ("REGISTERED", "APPRENTICE", "CONTRACT_BROKEN", "DROPPED_OUT", "COMPLETED")
PLACES = (("0751234J", "50022141"), ("0751234J", "32031210"), ("0690001B", "50022141"))


def naive(paths: dict[int, list[Segment]]) -> tuple[Counter, Counter]:
    """Entries at each segment's start; exits at the start of the segment after it (the last is open)."""
    entries, exits = Counter(), Counter()
    for segments in paths.values():
        for i, s in enumerate(segments):
            entries[(s.uai, s.certification, s.status, s.start)] += 1
            if i + 1 < len(segments):
                exits[(s.uai, s.certification, s.status, segments[i + 1].start)] += 1
    return entries, exits


def stored(paths: dict[int, list[Segment]]) -> list[tuple]:
    """The rows the path table holds: youth_id, starts, statuses, uais, certifications."""
    return [(youth, [s.start for s in segs], [s.status for s in segs], [s.uai for s in segs],
             [s.certification for s in segs]) for youth, segs in paths.items()]


@st.composite
def path(draw, prefix: list[Segment] | None = None) -> list[Segment]:
    segments = list(prefix or [])
    day = segments[-1].start if segments else DAY0 + timedelta(days=draw(st.integers(0, 5)))
    for _ in range(draw(st.integers(0 if segments else 1, 4))):
        day += timedelta(days=draw(st.integers(1, 40)))
        uai, certification = draw(st.sampled_from(PLACES))
        segments.append(Segment(day, None, draw(st.sampled_from(STATUSES)), uai, certification, "REPORTED"))
    return [s._replace(end=segments[i + 1].start if i + 1 < len(segments) else None) for i, s in enumerate(segments)]


@st.composite
def rewrites(draw):
    old, new = {}, {}
    for youth in range(draw(st.integers(1, 6))):
        before = draw(path())
        kind = draw(st.sampled_from(("same", "tail", "gone", "new", "other")))
        if kind != "new":
            old[youth] = before
        if kind == "same":
            new[youth] = before
        elif kind == "tail":  # rewritten after a common prefix (the common segment's end may move)
            new[youth] = draw(path(before[:draw(st.integers(0, len(before)))]))
        elif kind in ("new", "other"):
            new[youth] = draw(path())
    return old, new


@settings(max_examples=400, deadline=None)
@given(rewrites())
def test_the_change_points_are_the_difference_of_every_point(rewrite):
    old, new = rewrite
    got = change_points(stored(old), new)
    (new_in, new_out), (old_in, old_out) = naive(new), naive(old)
    expected = {}
    for key in set(new_in) | set(new_out) | set(old_in) | set(old_out):
        delta = (new_in[key] - old_in[key], new_out[key] - old_out[key])
        if delta != (0, 0):
            expected[key] = delta
    assert {(uai, cert, status, day): (e, x) for uai, cert, status, day, e, x in got} == expected
    assert len(got) == len(expected)  # one row per key


def test_a_path_rewritten_as_it_was_changes_nothing_and_an_erased_one_leaves():
    segments = [Segment(DAY0, DAY0 + timedelta(days=10), "REGISTERED", *PLACES[0], "REPORTED"),
                Segment(DAY0 + timedelta(days=10), None, "APPRENTICE", *PLACES[0], "REPORTED")]
    assert change_points(stored({1: segments}), {1: segments}) == []
    assert sorted(change_points(stored({1: segments}), {})) == sorted([
        (*PLACES[0], "REGISTERED", DAY0, -1, 0), (*PLACES[0], "REGISTERED", DAY0 + timedelta(days=10), 0, -1),
        (*PLACES[0], "APPRENTICE", DAY0 + timedelta(days=10), -1, 0)])
