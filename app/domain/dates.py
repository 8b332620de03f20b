"""The calendar the hub accepts: years 1900 to 2100 (contract version 2, ``Date``).

HR software writes 9999-12-31 for "no end", a typing slip gives year 20026, a probe sends
0001-01-01: none is a date of an apprenticeship, and arithmetic on them overflows (a day after
9999-12-31 does not exist). Every date and instant that comes in is refused outside this range:
per record (``INVALID_DATE``) or per argument (``BAD_USER_INPUT``)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

# The day of every rule is the day in metropolitan France, whatever the server's zone: a rule
# fires at midnight in Paris, and portals, CFAs and the law count days there (a wish's day is its
# instant in Europe/Paris too: app/repositories/wishes.py).
FRANCE = ZoneInfo("Europe/Paris")
EARLIEST = date(1900, 1, 1)
LATEST = date(2100, 12, 31)
RANGE_TEXT = "from 1900-01-01 to 2100-12-31"


def in_calendar(value: date | datetime) -> bool:
    """Whether a date (or an instant's calendar date, in its own offset) is in the accepted range."""
    day = value.date() if isinstance(value, datetime) else value
    return EARLIEST <= day <= LATEST


def today() -> date:
    """Today in France (the hub's day: defaults of ``on``, the rules' sweep, date checks)."""
    return datetime.now(FRANCE).date()
