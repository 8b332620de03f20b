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
    """The end of the session a youth entering on ``day`` belongs to (None when none)."""
    taking: Session | None = None
    upcoming: Session | None = None
    for session in sessions:
        opens = None if session.start is None else session.start - _LEAD
        if (opens is None or opens <= day) and day <= session.end:
            if taking is None or (session.start or date.min) > (taking.start or date.min):
                taking = session
        elif opens is not None and opens > day and (upcoming is None or opens < (upcoming.start or date.min) - _LEAD):
            upcoming = session
    chosen = taking or upcoming
    return None if chosen is None else chosen.end
