"""The hub's day is the day in France, whatever the server's zone: a rule fires at midnight in
Paris (app/domain/dates.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.domain import dates


@pytest.mark.parametrize(
    ("instant", "day"),
    [
        (datetime(2026, 12, 6, 22, 59, tzinfo=UTC), date(2026, 12, 6)),  # 23:59 in Paris (winter, UTC+1)
        (datetime(2026, 12, 6, 23, 0, tzinfo=UTC), date(2026, 12, 7)),  # midnight in Paris, still the 6th in UTC
        (datetime(2026, 7, 1, 21, 59, tzinfo=UTC), date(2026, 7, 1)),  # summer, UTC+2
        (datetime(2026, 7, 1, 22, 0, tzinfo=UTC), date(2026, 7, 2)),
    ],
)
def test_today_is_the_day_in_paris(monkeypatch, instant, day):
    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return instant.astimezone(tz)

    monkeypatch.setattr(dates, "datetime", Clock)
    assert dates.today() == day
