"""An offer's session as the status rules read it: the training end of a contract or a rupture
when its step does not give one (DOMAIN.md, rule 2: "the session end of the youth's offer").

A session takes in youths from ``INTAKE_LEAD_DAYS`` before its start to its end (DOMAIN.md,
"Places and vacancies"). The youth's offer for a day is the session taking in youths that day
(the latest started, when several), else the next one to start; none after the last one ends."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import NamedTuple

INTAKE_LEAD_DAYS = 30
_LEAD = timedelta(days=INTAKE_LEAD_DAYS)


class Session(NamedTuple):
    start: date | None  # None: open since always
    end: date


def training_end_on(sessions: Sequence[Session], day: date) -> date | None:
    """The end of the session a youth entering on ``day`` belongs to (None when none): of the
    sessions taking in youths that day, the one started last; else the next one to open (two
    sessions starting the same day: the one ending last, then the one ending first)."""
    taking = [s for s in sessions if (s.start is None or s.start - _LEAD <= day) and day <= s.end]
    if taking:
        return max(taking, key=lambda s: (s.start or date.min, s.end)).end
    upcoming = [s for s in sessions if s.start is not None and s.start - _LEAD > day]
    return min(upcoming).end if upcoming else None  # by start, then end
