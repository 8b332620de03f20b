"""The disclosure rule (app/domain/disclosure.py) on every count up to 40, and on rows."""

import pytest

from app.domain.disclosure import BASE, Shown, protect, protect_counts, suppressed, vacancies

# count -> shown: 0 to 4 as 0, then the nearest multiple of 5
EXPECTED = {
    0: 0, 1: 0, 2: 0, 3: 0, 4: 0, 5: 5, 6: 5, 7: 5, 8: 10, 9: 10, 10: 10, 11: 10, 12: 10, 13: 15, 14: 15,
    15: 15, 16: 15, 17: 15, 18: 20, 19: 20, 20: 20, 22: 20, 23: 25, 37: 35, 38: 40, 1002: 1000, 1003: 1005,
}


@pytest.mark.parametrize(("count", "shown"), sorted(EXPECTED.items()))
def test_a_count_shows_as_a_multiple_of_five(count, shown):
    assert protect(count) == shown and type(protect(count)) is int
    assert suppressed(count) is (1 <= count <= 4)


def test_every_count_shows_as_a_multiple_of_five_within_two_or_as_zero():
    assert BASE == 5
    for count in range(0, 200):
        shown = protect(count)
        assert shown % 5 == 0
        assert shown == 0 if count < 5 else abs(shown - count) <= 2


def test_no_difference_of_shown_counts_is_a_small_count():
    shown = {protect(count) for count in range(0, 100)}
    assert not {a - b for a in shown for b in shown} & {1, 2, 3, 4, -1, -2, -3, -4}


def test_a_rows_counts_are_protected_and_the_small_ones_named_in_order():
    assert protect_counts({"registered": 3, "apprentices": 12, "contract_broken": 0, "dropped_out": 4}) == Shown(
        {"registered": 0, "apprentices": 10, "contract_broken": 0, "dropped_out": 0}, ["registered", "dropped_out"])
    assert protect_counts({}) == Shown({}, [])
    assert protect_counts({"wishes": 5}) == Shown({"wishes": 5}, [])


@pytest.mark.parametrize(("capacity", "enrolled", "left"), [
    (None, 0, None), (None, 12, None), (0, 0, 0), (10, 0, 10), (10, 10, 0), (10, 15, 0), (12, 10, 2), (30, 5, 25),
])
def test_vacancies_are_capacity_minus_enrolled_never_below_zero(capacity, enrolled, left):
    assert vacancies(capacity, enrolled) == left
