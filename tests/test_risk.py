"""Table tests of the at-risk rules (pure): each reason at its threshold, combinations, recovery,
``since`` and territory, and spans that agree with a day-by-day evaluation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.domain.risk import Reason, RiskRules, WishFact, risk_on, risk_spans
from app.domain.timeline import Rules, StepFact, timeline

D = date(2026, 1, 5)
X, Z = "0751234J", "6900001A"
CAP = "50022141"
RULES, RISK = Rules(), RiskRules()
W, N, B, O = Reason.WISH_NOT_HANDLED, Reason.NO_CONTRACT, Reason.CONTRACT_BROKEN, Reason.DROPPED_OUT


def day(n: int) -> date:
    return D + timedelta(days=n)


def st(step: str, n: int, uai: str = X, arrival: int | None = None, end: int | None = None) -> StepFact:
    contract_end = day(end) if end is not None else None
    return StepFact(step, day(n), arrival if arrival is not None else n, uai, CAP, None, contract_end)


def spans(steps: list[StepFact], wishes: list[tuple[int, str]] = ()):
    segments = timeline(steps, RULES)
    return risk_spans(segments, steps, [WishFact(day(n), uai) for n, uai in wishes], RISK)


def at(steps, on: int, wishes=()):
    span = risk_on(spans(steps, wishes), day(on))
    return None if span is None else (set(span.reasons), (span.since - D).days, span.uai)


@pytest.mark.parametrize(
    ("steps", "wishes", "on", "expected"),
    [
        # WISH_NOT_HANDLED: 30 days after the wish, no step since
        ([], [(0, X)], 29, None),
        ([], [(0, X)], 30, ({W}, 30, X)),
        ([], [(0, X)], 400, ({W}, 30, X)),
        ([st("MEETING", 29)], [(0, X)], 30, None),  # handled in time
        ([st("MEETING", 31)], [(0, X)], 30, ({W}, 30, X)),  # handled late: at risk until then
        ([st("MEETING", 31)], [(0, X)], 31, None),
        ([st("MEETING", 0)], [(0, X)], 60, None),  # the submission day counts
        ([st("REGISTERED", -10)], [(0, X)], 30, ({W}, 30, X)),  # a step before the wish does not handle it
        ([st("APPRENTICE", -10)], [(0, X)], 30, None),  # an apprentice is not at risk
        ([st("MEETING", 5, uai=Z)], [(0, X)], 40, None),  # a step anywhere handles it
        # NO_CONTRACT: registered without contract 60 days or more
        ([st("REGISTERED", 0)], [], 59, None),
        ([st("REGISTERED", 0)], [], 60, ({N}, 60, X)),
        ([st("REGISTERED", 0)], [], 90, ({N}, 60, X)),
        ([st("REGISTERED", 0), st("REGISTERED", 30, uai=Z)], [], 60, ({N}, 60, Z)),  # one run across CFAs
        ([st("REGISTERED", 0), st("APPRENTICE", 59)], [], 60, None),  # a contract in time
        ([st("REGISTERED", 0), st("APPRENTICE", 70)], [], 69, ({N}, 60, X)),
        ([st("REGISTERED", 0), st("APPRENTICE", 70)], [], 70, None),  # recovery
        # DROPPED_OUT: by the 90-day rule (day 91), reported, or after a rupture of 180 days
        ([st("REGISTERED", 0)], [], 91, ({O}, 60, X)),  # continuous risk since day 60
        ([st("DROPPED_OUT", 10)], [], 9, None),
        ([st("DROPPED_OUT", 10)], [], 10, ({O}, 10, X)),
        ([st("DROPPED_OUT", 10), st("REGISTERED", 20, uai=Z)], [], 20, None),  # back in training
        ([st("DROPPED_OUT", 10), st("APPRENTICE", 20)], [], 500, None),
        # CONTRACT_BROKEN: from the rupture, until a new contract; with DROPPED_OUT after 180 days
        ([st("APPRENTICE", 0), st("CONTRACT_BROKEN", 40)], [], 39, None),
        ([st("APPRENTICE", 0), st("CONTRACT_BROKEN", 40)], [], 40, ({B}, 40, X)),
        ([st("APPRENTICE", 0), st("CONTRACT_BROKEN", 40)], [], 220, ({B}, 40, X)),
        ([st("APPRENTICE", 0), st("CONTRACT_BROKEN", 40)], [], 221, ({B, O}, 40, X)),
        ([st("CONTRACT_BROKEN", 40), st("APPRENTICE", 50, uai=Z)], [], 50, None),
        ([st("CONTRACT_BROKEN", 40), st("COMPLETED", 50)], [], 60, None),
        ([st("CONTRACT_BROKEN", 40), st("REGISTERED", 50, uai=Z)], [], 109, ({B}, 40, Z)),
        ([st("CONTRACT_BROKEN", 40), st("REGISTERED", 50, uai=Z)], [], 110, ({B, N}, 40, Z)),  # 60 days registered
        # combinations with a wish
        ([st("REGISTERED", -100)], [(0, X)], 30, ({O, W}, -40, X)),  # no contract from day -40, dropped out on day -9, then the wish
        # completed or apprentice: never at risk
        ([st("APPRENTICE", 0, end=300), st("COMPLETED", 290)], [], 400, None),
        ([st("APPRENTICE", 0)], [(10, Z)], 100, None),
        # a contract that ends without completion: registered from the day after, then the rules
        ([st("APPRENTICE", 0, end=100)], [], 160, None),
        ([st("APPRENTICE", 0, end=100)], [], 161, ({N}, 161, X)),
    ],
)
def test_at_risk_on_a_date(steps, wishes, on, expected):
    assert at(steps, on, wishes) == expected


def test_the_territory_follows_the_last_step_else_the_wish():
    wish_only = spans([], [(0, Z)])
    assert risk_on(wish_only, day(30)).uai == Z
    moved = spans([st("REGISTERED", 0), st("MEETING", 70, uai=Z)])
    assert risk_on(moved, day(69)).uai == X and risk_on(moved, day(70)).uai == Z
    assert risk_on(moved, day(69)).since == risk_on(moved, day(70)).since == day(60)  # still one period


def test_since_restarts_after_a_period_without_risk():
    path = [st("REGISTERED", 0), st("APPRENTICE", 70), st("CONTRACT_BROKEN", 100)]
    assert risk_on(spans(path), day(65)).since == day(60)
    assert risk_on(spans(path), day(80)) is None
    assert risk_on(spans(path), day(100)).since == day(100)


@pytest.mark.parametrize(
    ("steps", "wishes"),
    [
        ([st("REGISTERED", 0), st("REGISTERED", 30, uai=Z), st("APPRENTICE", 200), st("CONTRACT_BROKEN", 260)], [(-5, X)]),
        ([st("MEETING", 3), st("DROPPED_OUT", 50), st("INFO_SESSION", 60, uai=Z), st("REGISTERED", 90, uai=Z)], [(0, X), (70, Z)]),
        ([st("APPRENTICE", 0, end=100), st("MEETING", 130, uai=Z)], [(120, Z)]),
        ([], [(0, X), (10, Z)]),
    ],
)
def test_spans_agree_with_each_day(steps, wishes):
    """The stored spans give, on every day, what evaluating that day alone gives."""
    computed = spans(steps, wishes)
    for n in range(-20, 700):
        on = day(n)
        visible = [s for s in steps if s.effective_date <= on]
        alone = risk_on(spans(visible, [w for w in wishes if day(w[0]) <= on]), on)
        stored = risk_on(computed, on)
        as_tuple = (lambda s: None if s is None else (s.reasons, s.since, s.uai))
        assert as_tuple(stored) == as_tuple(alone), n
