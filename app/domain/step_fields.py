"""The rules a step record's fields obey together (docs/rules.md), apart from the
identifiers' own rules (app/domain/identifiers.py): pure functions, each answering the first
problem of its fields or None. The ingestion (app/services/ingest.py) applies them to every
record, on its fast path as on the field-by-field one.

- The effective date is from 2000-01-01 to tomorrow (France's day: a vendor a few hours ahead
  is not refused, a step of next week is).
- A link to a wish names both the portal (PARCOURSUP or AFFELNET) and its wish id, at most 100
  characters.
- Contract dates go only with APPRENTICE or CONTRACT_BROKEN; the contract does not end before
  it starts, nor (APPRENTICE) before the step's effective date.
- Training dates: the training does not end before it starts.
- The employer's SIRET goes only with APPRENTICE or CONTRACT_BROKEN (a contract's steps).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

from app.domain.actors import Portal
from app.domain.identifiers import MAX_ID_LENGTH
from app.domain.timeline import CONTRACT_STEPS, Step

EARLIEST = date(2000, 1, 1)
PORTALS = frozenset(Portal)


class Problem(NamedTuple):
    """What is wrong with a record: the field to name, the error code, a sentence."""

    field: str
    code: str
    message: str


def effective_date_problem(effective: date, today: date) -> Problem | None:
    if effective < EARLIEST or effective > today + timedelta(days=1):
        return Problem("effectiveDate", "INVALID_DATE", "effectiveDate is from 2000-01-01 to tomorrow at the latest")
    return None


def wish_link_problem(portal: str | None, wish_id: str | None) -> Problem | None:
    """``portal`` and ``wish_id`` as given, stripped (None when absent or blank)."""
    if (portal is None) != (wish_id is None):
        return Problem("portal" if portal is None else "portalWishId", "INVALID_WISH_LINK",
                       "portal and portalWishId go together")
    if portal is not None and portal not in PORTALS:
        return Problem("portal", "INVALID_WISH_LINK", "portal is PARCOURSUP or AFFELNET")
    if wish_id is not None and len(wish_id) > MAX_ID_LENGTH:
        return Problem("portalWishId", "INVALID_WISH_LINK", f"portalWishId is at most {MAX_ID_LENGTH} characters")
    return None


def contract_problem(step: str, effective: date, start: date | None, end: date | None) -> Problem | None:
    if (start is not None or end is not None) and step not in CONTRACT_STEPS:
        return Problem("contractStart" if start is not None else "contractEnd", "INVALID_DATE",
                       "contract dates go only with APPRENTICE or CONTRACT_BROKEN")
    if start is not None and end is not None and end < start:
        return Problem("contractEnd", "INVALID_DATE", "contractEnd is before contractStart")
    if step == Step.APPRENTICE and end is not None and end < effective:
        return Problem("contractEnd", "INVALID_DATE", "contractEnd is before the step's effectiveDate")
    return None


def training_problem(start: date | None, end: date | None) -> Problem | None:
    if start is not None and end is not None and end < start:
        return Problem("trainingEnd", "INVALID_DATE", "trainingEnd is before trainingStart")
    return None


def employer_problem(step: str, employer: str | None) -> Problem | None:
    """``employer``: the checked SIRET (None when absent)."""
    if employer is not None and step not in CONTRACT_STEPS:
        return Problem("employerSiret", "NOT_A_CONTRACT_STEP", "employerSiret goes only with APPRENTICE or CONTRACT_BROKEN")
    return None
