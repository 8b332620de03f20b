"""Statistical disclosure control (DOMAIN.md, "Small counts"): the one rule by which a count of
youths or wishes leaves the hub for a reader that must not see persons. Pure; applied in one
place (app/services/disclosure.py), as the reader's scope says (app/domain/scope.py).

A protected count is rounded to a multiple of 5: from 0 to 4 it shows as 0 (from 1 to 4 the
field is flagged in ``suppressedFields``), from 5 up it shows as the nearest multiple of 5 (5 to
7: 5; 8 to 12: 10; 13 to 17: 15...). Every figure derived from counts (vacancies, over capacity)
is computed from the shown ones, never from the exact ones.

Every count of a protected answer is rounded, whatever its row: a CFA's, a certification's, a
department's, the nation's, with or without a filter. Any sum or difference of answers is then a
multiple of 5, so that no combination of the attacks DOMAIN.md lists (a filter to one CFA at a
coarser grouping, a total minus the other rows, the same question with and without one CFA,
capacity minus vacancies minus the other counts, narrow time windows) gives a count from 1 to 4.
Exact department totals would not hold: a department's total minus its other CFAs' rows, one of
them shown as an unflagged 0, gives the one left exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

BASE = 5  # counts are shown as multiples of this; 1 to BASE - 1 are suppressed


def protect(count: int) -> int:
    """A count as a protected answer shows it."""
    if count < BASE:
        return 0
    return (count + BASE // 2) // BASE * BASE


def suppressed(count: int) -> bool:
    """Whether a count is a small one shown as 0 (flagged in the answer)."""
    return 0 < count < BASE


class Shown(NamedTuple):
    counts: dict[str, int]  # by field, as shown
    suppressed: list[str]  # the fields whose count from 1 to 4 shows as 0, in the given order


def protect_counts(counts: Mapping[str, int]) -> Shown:
    """The counts of one row, protected, and which of them were suppressed."""
    return Shown({name: protect(value) for name, value in counts.items()},
                 [name for name, value in counts.items() if suppressed(value)])


def vacancies(capacity: int | None, enrolled: int) -> int | None:
    """An offer's places left: its effective capacity minus its enrolled (as shown), never below
    0; None when it has no capacity."""
    return None if capacity is None else max(capacity - enrolled, 0)
