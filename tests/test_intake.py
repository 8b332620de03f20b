"""An offer's intake (app/domain/intake.py): entries, stays, the offer an entry belongs to, and
the change points against a direct count on random paths."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from app.domain.intake import Session, Stay, intake_points, school_year, stays, taken_in_by, window
from app.domain.timeline import Segment

A, B = ("0751234J", "50022141"), ("0751234J", "RNCP12345")
D = date


def seg(start, status, place=A):
    return (start, status, *place)


@pytest.mark.parametrize(("segments", "expected"), [
    ([], []),
    ([seg(D(2026, 9, 1), "REGISTERED")], [Stay(*A, D(2026, 9, 1), D(2026, 9, 1), None)]),
    # registered, then apprentice at the same place: one entry, two stays
    ([seg(D(2026, 9, 1), "REGISTERED"), seg(D(2026, 10, 1), "APPRENTICE")],
     [Stay(*A, D(2026, 9, 1), D(2026, 9, 1), D(2026, 10, 1)), Stay(*A, D(2026, 9, 1), D(2026, 10, 1), None)]),
    # a rupturant stays in its intake; a drop-out and a completion leave it
    ([seg(D(2026, 9, 1), "APPRENTICE"), seg(D(2026, 11, 1), "CONTRACT_BROKEN"), seg(D(2027, 1, 1), "DROPPED_OUT")],
     [Stay(*A, D(2026, 9, 1), D(2026, 9, 1), D(2026, 11, 1)), Stay(*A, D(2026, 9, 1), D(2026, 11, 1), D(2027, 1, 1))]),
    ([seg(D(2026, 9, 1), "APPRENTICE"), seg(D(2027, 7, 1), "COMPLETED")],
     [Stay(*A, D(2026, 9, 1), D(2026, 9, 1), D(2027, 7, 1))]),
    # a rupturant never registered nor apprentice there entered no intake
    ([seg(D(2026, 9, 1), "CONTRACT_BROKEN")], []),
    ([seg(D(2026, 9, 1), "CONTRACT_BROKEN"), seg(D(2026, 10, 1), "REGISTERED")],
     [Stay(*A, D(2026, 10, 1), D(2026, 10, 1), None)]),
    # coming back keeps the first entry; another certification is another entry
    ([seg(D(2025, 9, 1), "REGISTERED"), seg(D(2025, 12, 1), "DROPPED_OUT"), seg(D(2026, 9, 1), "REGISTERED")],
     [Stay(*A, D(2025, 9, 1), D(2025, 9, 1), D(2025, 12, 1)), Stay(*A, D(2025, 9, 1), D(2026, 9, 1), None)]),
    ([seg(D(2025, 9, 1), "REGISTERED"), seg(D(2026, 9, 1), "REGISTERED", B)],
     [Stay(*A, D(2025, 9, 1), D(2025, 9, 1), D(2026, 9, 1)), Stay(*B, D(2026, 9, 1), D(2026, 9, 1), None)]),
])
def test_the_stays_of_a_path(segments, expected):
    assert list(stays(segments)) == expected


def test_school_years_run_from_august_to_july():
    assert school_year(D(2026, 8, 1)) == (D(2026, 8, 1), D(2027, 7, 31))
    assert school_year(D(2026, 7, 31)) == (D(2025, 8, 1), D(2026, 7, 31))
    assert school_year(D(2027, 1, 15)) == (D(2026, 8, 1), D(2027, 7, 31))


ON = D(2026, 12, 1)
DATED = Session(1, D(2026, 9, 1), D(2027, 6, 30))
LAST_YEAR = Session(2, D(2025, 9, 1), D(2026, 6, 30))
TWO_YEARS = Session(3, D(2025, 9, 1), D(2027, 6, 30))
UNDATED = Session(4, None, None)
FROM_ONLY = Session(5, D(2026, 9, 1), None)
UNTIL_ONLY = Session(6, None, D(2027, 6, 30))


def test_windows():
    assert window(DATED, ON) == (D(2026, 8, 2), D(2027, 6, 30), D(2026, 9, 1))
    assert window(UNDATED, ON) == (D(2026, 8, 1), D(2027, 7, 31), D(2026, 8, 1))
    assert window(UNDATED, D(2026, 3, 1)) == (D(2025, 8, 1), D(2026, 7, 31), D(2025, 8, 1))
    assert window(FROM_ONLY, ON) == (D(2026, 8, 2), None, D(2026, 9, 1))
    assert window(UNTIL_ONLY, ON) == (None, D(2027, 6, 30), None)


@pytest.mark.parametrize(("entered", "sessions", "offer"), [
    (D(2026, 9, 10), [DATED], 1),
    (D(2026, 8, 2), [DATED], 1),  # 30 days before the start
    (D(2026, 8, 1), [DATED], None),  # 31 days before
    (D(2027, 6, 30), [DATED], 1),
    (D(2027, 7, 1), [DATED], None),  # after the session
    (D(2025, 9, 10), [DATED], None),  # an earlier year's youth fills no place of this year's session
    (D(2025, 9, 10), [DATED, LAST_YEAR], 2),
    (D(2026, 8, 20), [DATED, LAST_YEAR], 1),  # in both windows: the latest session started
    (D(2026, 6, 1), [DATED, LAST_YEAR], 2),
    (D(2025, 9, 10), [DATED, TWO_YEARS], 3),
    (D(2026, 9, 10), [DATED, TWO_YEARS], 1),
    (D(2026, 9, 10), [TWO_YEARS, Session(9, D(2025, 9, 1), D(2027, 6, 30))], 3),  # same start: the lowest id
    (D(2026, 9, 10), [UNDATED], 4),  # in the school year of the day asked
    (D(2026, 7, 31), [UNDATED], None),
    (D(2026, 9, 10), [UNDATED, DATED], 1),
    (D(2026, 8, 1), [UNDATED, DATED], 4),
    (D(2019, 1, 1), [UNTIL_ONLY], 6),
    (D(2026, 9, 10), [UNTIL_ONLY, FROM_ONLY], 5),
    (D(2030, 1, 1), [FROM_ONLY], 5),
    (D(2026, 9, 10), [], None),
])
def test_the_offer_an_entry_belongs_to(entered, sessions, offer):
    assert taken_in_by(entered, sessions, ON) == offer
    assert taken_in_by(entered, list(reversed(sessions)), ON) == offer


STATUSES = ["REGISTERED", "APPRENTICE", "CONTRACT_BROKEN", "DROPPED_OUT", "COMPLETED"]
PLACES = [A, B, ("0921234A", "50022141")]


def random_path(rng: random.Random) -> list[Segment]:
    day = D(2025, 1, 1) + timedelta(days=rng.randrange(400))
    segments = []
    for _ in range(rng.randrange(0, 6)):
        uai, certification = rng.choice(PLACES)
        segments.append(Segment(day, None, rng.choice(STATUSES), uai, certification, "REPORTED"))
        day += timedelta(days=rng.randrange(1, 200))
    return segments


def stored(youth_id, segments):
    return (youth_id, [s.start for s in segments], [s.status for s in segments], [s.uai for s in segments],
            [s.certification for s in segments])


def enrolled_directly(paths, on):
    """(uai, certification, entered_on) -> youths filling a place on ``on``, from the paths."""
    counts: dict = {}
    for segments in paths.values():
        for stay in stays([(s.start, s.status, s.uai, s.certification) for s in segments]):
            if stay.start <= on and (stay.end is None or on < stay.end):
                key = (stay.uai, stay.certification, stay.entered_on)
                counts[key] = counts.get(key, 0) + 1
    return {key: n for key, n in counts.items() if n}


def test_the_change_points_add_up_to_the_direct_count_through_rewrites():
    rng = random.Random(17)
    paths = {youth_id: random_path(rng) for youth_id in range(60)}
    points: dict = {}

    def apply(changes):
        for uai, certification, entered_on, day, youths in changes:
            assert youths != 0
            key = (uai, certification, entered_on, day)
            points[key] = points.get(key, 0) + youths

    apply(intake_points([], paths))
    for _ in range(5):  # rewrite some paths, erase others
        rewritten = {y: random_path(rng) for y in rng.sample(sorted(paths), 20)}
        erased = rng.sample(sorted(set(paths) - set(rewritten)), 5)
        old = [stored(y, paths[y]) for y in [*rewritten, *erased]]
        apply(intake_points(old, rewritten))
        paths.update(rewritten)
        for y in erased:
            del paths[y]
        for on in (D(2025, 3, 1), D(2025, 12, 31), D(2026, 6, 1), D(2027, 1, 1)):
            summed: dict = {}
            for (uai, certification, entered_on, day), youths in points.items():
                if day <= on:
                    summed[(uai, certification, entered_on)] = summed.get((uai, certification, entered_on), 0) + youths
            assert {k: n for k, n in summed.items() if n} == enrolled_directly(paths, on)


def test_an_unchanged_path_changes_nothing():
    path = [Segment(D(2026, 9, 1), None, "REGISTERED", *A, "REPORTED")]
    assert intake_points([stored(1, path)], {1: path}) == []


def test_two_youths_of_the_same_entry_and_end_add_up():
    path = [Segment(D(2026, 9, 1), None, "REGISTERED", *A, "REPORTED"), Segment(D(2026, 10, 1), None, "DROPPED_OUT", *A, "REPORTED")]
    assert sorted(intake_points([], {1: path, 2: path})) == [
        (*A, D(2026, 9, 1), D(2026, 9, 1), 2), (*A, D(2026, 9, 1), D(2026, 10, 1), -2)]
    assert sorted(intake_points([stored(1, path), stored(2, path)], {})) == [
        (*A, D(2026, 9, 1), D(2026, 9, 1), -2), (*A, D(2026, 9, 1), D(2026, 10, 1), 2)]
