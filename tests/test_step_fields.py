"""Table tests of the step records' field rules (app/domain/step_fields.py): every boundary, each
problem's field and code, and the first problem when several hold."""

from datetime import date

import pytest

from app.domain.step_fields import (
    Problem,
    contract_problem,
    effective_date_problem,
    employer_problem,
    training_problem,
    wish_link_problem,
)

TODAY = date(2026, 12, 6)
D = date(2026, 9, 1)
BEFORE, AFTER = date(2026, 8, 31), date(2026, 9, 2)


@pytest.mark.parametrize(("effective", "problem"), [
    (date(2000, 1, 1), None),
    (date(1999, 12, 31), "INVALID_DATE"),
    (TODAY, None),
    (date(2026, 12, 7), None),  # tomorrow: a vendor ahead of France's day
    (date(2026, 12, 8), "INVALID_DATE"),
    (date(2100, 1, 1), "INVALID_DATE"),
])
def test_effective_date(effective: date, problem: str | None) -> None:
    found = effective_date_problem(effective, TODAY)
    assert (found and found.code) == problem
    if found:
        assert found == Problem("effectiveDate", "INVALID_DATE", "effectiveDate is from 2000-01-01 to tomorrow at the latest")


@pytest.mark.parametrize(("portal", "wish_id", "expected"), [
    (None, None, None),
    ("PARCOURSUP", "W1", None),
    ("AFFELNET", "W1", None),
    ("PARCOURSUP", "x" * 100, None),
    ("PARCOURSUP", "x" * 101, ("portalWishId", "portalWishId is at most 100 characters")),
    ("PARCOURSUP", None, ("portalWishId", "portal and portalWishId go together")),
    (None, "W1", ("portal", "portal and portalWishId go together")),
    ("ONISEP", "W1", ("portal", "portal is PARCOURSUP or AFFELNET")),
    ("parcoursup", "W1", ("portal", "portal is PARCOURSUP or AFFELNET")),
    ("ONISEP", "x" * 101, ("portal", "portal is PARCOURSUP or AFFELNET")),  # the portal first
])
def test_wish_link(portal: str | None, wish_id: str | None, expected: tuple[str, str] | None) -> None:
    found = wish_link_problem(portal, wish_id)
    assert found == (None if expected is None else Problem(expected[0], "INVALID_WISH_LINK", expected[1]))


ONLY = "contract dates go only with APPRENTICE or CONTRACT_BROKEN"
REVERSED = "contractEnd is before contractStart"
BEFORE_STEP = "contractEnd is before the step's effectiveDate"


@pytest.mark.parametrize(("step", "start", "end", "expected"), [
    # no contract dates: any step
    *[(step, None, None, None) for step in (
        "MEETING", "INFO_SESSION", "PRE_REGISTERED", "REGISTERED", "APPRENTICE", "CONTRACT_BROKEN",
        "DROPPED_OUT", "COMPLETED")],
    # contract dates on a step that is not about a contract: the first given one is named
    *[(step, D, None, ("contractStart", ONLY)) for step in ("REGISTERED", "MEETING", "DROPPED_OUT", "COMPLETED")],
    *[(step, None, D, ("contractEnd", ONLY)) for step in ("REGISTERED", "PRE_REGISTERED", "INFO_SESSION")],
    ("REGISTERED", D, BEFORE, ("contractStart", ONLY)),  # before the order of the dates
    # the order of the dates
    ("APPRENTICE", D, D, None),
    ("APPRENTICE", D, AFTER, None),
    ("APPRENTICE", D, BEFORE, ("contractEnd", REVERSED)),
    ("CONTRACT_BROKEN", D, BEFORE, ("contractEnd", REVERSED)),
    ("CONTRACT_BROKEN", D, None, None),
    ("CONTRACT_BROKEN", None, D, None),
    # an apprentice's contract does not end before the step (effective date D)
    ("APPRENTICE", None, BEFORE, ("contractEnd", BEFORE_STEP)),
    ("APPRENTICE", None, D, None),
    ("APPRENTICE", BEFORE, BEFORE, ("contractEnd", BEFORE_STEP)),
    ("APPRENTICE", D, None, None),
    # a broken contract may have ended before the step that reports it
    ("CONTRACT_BROKEN", None, BEFORE, None),
    ("CONTRACT_BROKEN", date(2026, 1, 1), BEFORE, None),
])
def test_contract(step: str, start: date | None, end: date | None, expected: tuple[str, str] | None) -> None:
    found = contract_problem(step, D, start, end)
    assert found == (None if expected is None else Problem(expected[0], "INVALID_DATE", expected[1]))


@pytest.mark.parametrize(("start", "end", "refused"), [
    (None, None, False),
    (D, None, False),
    (None, D, False),
    (D, D, False),
    (D, AFTER, False),
    (D, BEFORE, True),
])
def test_training(start: date | None, end: date | None, refused: bool) -> None:
    found = training_problem(start, end)
    assert found == (Problem("trainingEnd", "INVALID_DATE", "trainingEnd is before trainingStart") if refused else None)


@pytest.mark.parametrize(("step", "employer", "refused"), [
    ("APPRENTICE", "73282932000074", False),
    ("CONTRACT_BROKEN", "73282932000074", False),
    ("REGISTERED", "73282932000074", True),
    ("MEETING", "73282932000074", True),
    ("DROPPED_OUT", "73282932000074", True),
    ("COMPLETED", "73282932000074", True),
    ("REGISTERED", None, False),
    ("APPRENTICE", None, False),
])
def test_employer(step: str, employer: str | None, refused: bool) -> None:
    expected = Problem("employerSiret", "NOT_A_CONTRACT_STEP", "employerSiret goes only with APPRENTICE or CONTRACT_BROKEN")
    assert employer_problem(step, employer) == (expected if refused else None)
