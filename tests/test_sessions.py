"""Table tests: the offer's session whose end is a contract's training end (pure)."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.sessions import INTAKE_LEAD_DAYS, Session, training_end_on

Y2026 = Session(date(2026, 9, 1), date(2027, 6, 30))
Y2027 = Session(date(2027, 9, 1), date(2028, 6, 30))
OPEN = Session(None, date(2027, 12, 31))
SHORT = Session(date(2026, 9, 1), date(2027, 1, 31))  # starts with Y2026, ends earlier


@pytest.mark.parametrize(("sessions", "day", "expected"), [
    ([], date(2026, 9, 1), None),
    ([Y2026], date(2026, 8, 1), date(2027, 6, 30)),  # 31 days before the start: not taking in yet, the next to start
    ([Y2027, Y2026], date(2026, 8, 1), date(2027, 6, 30)),  # the nearest next one
    ([Y2026], date(2026, 8, 2), date(2027, 6, 30)),  # 30 days before: taking in
    ([Y2026], date(2027, 6, 30), date(2027, 6, 30)),  # its last day
    ([Y2026], date(2027, 7, 1), None),  # after its end
    ([Y2026, Y2027], date(2027, 7, 1), date(2028, 6, 30)),  # the next one
    ([Y2026, Y2027], date(2027, 8, 10), date(2028, 6, 30)),  # both take in: the latest started
    ([Y2027, Y2026], date(2027, 8, 10), date(2028, 6, 30)),  # whatever the order given
    ([OPEN], date(2020, 1, 1), date(2027, 12, 31)),  # no start: open since always
    ([OPEN, Y2026], date(2026, 9, 15), date(2027, 6, 30)),
    ([Y2026, SHORT], date(2026, 10, 1), date(2027, 6, 30)),  # started the same day: the one ending last
    ([SHORT, Y2026], date(2026, 10, 1), date(2027, 6, 30)),
    ([Y2026, SHORT], date(2026, 7, 1), date(2027, 1, 31)),  # opening the same day: the one ending first
    ([SHORT, Y2026], date(2026, 7, 1), date(2027, 1, 31)),
    ([Y2027, Session(date(2026, 11, 1), date(2027, 6, 30))], date(2026, 7, 1), date(2027, 6, 30)),
    ([Session(date(2026, 9, 1), date(2026, 9, 10))], date(2026, 9, 20), None),  # a short session, over
])
def test_the_session_of_a_day(sessions, day, expected):
    assert training_end_on(sessions, day) == expected


def test_a_session_takes_in_youths_30_days_before_it_starts():
    assert INTAKE_LEAD_DAYS == 30
