"""Table tests of the at-risk rules (pure), written from DOMAIN.md, "Status rules 2027.1": each
reason at its threshold (the day before, of, after), how it ends, combinations and their order,
``since``, the territory by residence, and spans that agree with an evaluation day by day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.domain.risk import REASON_ORDER, Reason, Residence, RiskRules, RiskSpan, WishFact, _minus, risk_on, risk_spans
from app.domain.timeline import Rules, StepFact, timeline

D = date(2026, 1, 5)
X, Z = "0751234J", "6900001A"
CAP = "50022141"
RULES, RISK = Rules(), RiskRules()
W, N, B, O, H = (Reason.WISH_NOT_HANDLED, Reason.NO_CONTRACT, Reason.CONTRACT_BROKEN, Reason.DROPPED_OUT,
                 Reason.HANDLED_NOT_REGISTERED)


def day(n: int) -> date:
    return D + timedelta(days=n)


def st(step: str, n: int, uai: str = X, arrival: int | None = None, end: int | None = None, training_end: int | None = None):
    return StepFact(step, day(n), arrival if arrival is not None else n, uai, CAP, None,
                    day(end) if end is not None else None, day(training_end) if training_end is not None else None)


def spans(steps, wishes=(), residences=(), rules=RISK):
    segments = timeline(steps, RULES)
    facts = [WishFact(day(n), uai, consented) for n, uai, *rest in wishes for consented in [rest[0] if rest else True]]
    return risk_spans(segments, steps, facts, rules, [Residence(day(n), dep) for n, dep in residences])


def at(steps, on: int, wishes=(), residences=()):
    span = risk_on(spans(steps, wishes, residences), day(on))
    return None if span is None else (set(span.reasons), (span.since - D).days, span.uai)


def test_the_default_thresholds():
    assert (RISK.wish_not_handled_days, RISK.no_contract_days, RISK.handled_not_registered_days,
            RISK.dropped_out_shown_days) == (30, 60, 45, 180)


@pytest.mark.parametrize(
    ("steps", "wishes", "on", "expected"),
    [
        # WISH_NOT_HANDLED: a wish to a CFA that consented, 30 days old or more, no step since
        ([], [(0, X)], 29, None),
        ([], [(0, X)], 30, ({W}, 30, X)),
        ([], [(0, X)], 400, ({W}, 30, X)),
        ([], [(0, X, False)], 30, None),  # its CFA did not consent: nobody could have told
        ([st("MEETING", 29)], [(0, X)], 30, None),  # handled in time
        ([st("MEETING", 31)], [(0, X)], 30, ({W}, 30, X)),  # handled late: at risk until then
        ([st("MEETING", 31)], [(0, X)], 31, None),
        ([st("MEETING", 0)], [(0, X)], 44, None),  # the submission day counts ...
        ([st("MEETING", 0)], [(0, X)], 60, ({H}, 45, X)),  # ... and 45 days later a meeting is not enough
        ([st("MEETING", -10)], [(0, X)], 30, ({W}, 30, X)),  # a step before the wish does not handle it
        ([st("APPRENTICE", -10)], [(0, X)], 30, None),  # an apprentice is not at risk
        ([st("MEETING", 5, uai=Z)], [(0, X)], 34, None),  # a step anywhere handles it
        # a second wish, unhandled, after a handled one
        ([st("MEETING", 1, uai=Z)], [(0, X), (10, Z)], 39, None),
        ([st("MEETING", 1, uai=Z)], [(0, X), (10, Z)], 40, ({W}, 40, Z)),
        # HANDLED_NOT_REGISTERED: a first step as the last step, 45 days old or more
        ([st("MEETING", 0)], [], 44, None),
        ([st("MEETING", 0)], [], 45, ({H}, 45, X)),
        ([st("INFO_SESSION", 0), st("PRE_REGISTERED", 20)], [], 64, None),  # the last step counts: a new clock
        ([st("INFO_SESSION", 0), st("PRE_REGISTERED", 20)], [], 65, ({H}, 65, X)),
        ([st("MEETING", 0), st("REGISTERED", 44)], [], 45, None),  # registered in time
        ([st("MEETING", 0), st("REGISTERED", 50)], [], 49, ({H}, 45, X)),
        ([st("MEETING", 0), st("REGISTERED", 50)], [], 50, None),  # a status ends it
        ([st("MEETING", 0), st("REGISTERED", 0, arrival=1)], [], 45, None),  # a status the same day ...
        ([st("MEETING", 0, arrival=2), st("REGISTERED", 0, arrival=1)], [], 45, None),  # ... whatever its arrival
        ([st("APPRENTICE", -5), st("MEETING", 0, uai=Z)], [], 60, None),  # an apprentice is not at risk
        # NO_CONTRACT: registered without contract 60 days or more, until the abandon
        ([st("REGISTERED", 0)], [], 59, None),
        ([st("REGISTERED", 0)], [], 60, ({N}, 60, X)),
        ([st("REGISTERED", 0)], [], 90, ({N}, 60, X)),
        ([st("REGISTERED", 0)], [], 91, ({O}, 60, X)),  # the abandon, in the same period of risk
        ([st("REGISTERED", 0), st("REGISTERED", 30)], [], 60, ({N}, 60, X)),  # a repeated report restarts nothing
        ([st("REGISTERED", 0), st("REGISTERED", 30, uai=Z)], [], 60, None),  # another CFA: a new registration
        ([st("REGISTERED", 0), st("REGISTERED", 30, uai=Z)], [], 90, ({N}, 90, Z)),
        ([st("REGISTERED", 0), st("APPRENTICE", 59)], [], 60, None),  # a contract in time
        ([st("REGISTERED", 0), st("APPRENTICE", 70)], [], 69, ({N}, 60, X)),
        ([st("REGISTERED", 0), st("APPRENTICE", 70)], [], 70, None),  # recovery
        # CONTRACT_BROKEN: a rupturant, until a contract or the abandon
        ([st("APPRENTICE", 0), st("CONTRACT_BROKEN", 10)], [], 9, None),
        ([st("APPRENTICE", 0), st("CONTRACT_BROKEN", 10)], [], 10, ({B}, 10, X)),
        ([st("APPRENTICE", 0), st("CONTRACT_BROKEN", 10)], [], 190, ({B}, 10, X)),
        ([st("APPRENTICE", 0), st("CONTRACT_BROKEN", 10)], [], 191, ({O}, 10, X)),  # the abandon follows
        ([st("APPRENTICE", 0), st("REGISTERED", 10)], [], 100, ({B}, 10, X)),  # rule 4: a rupturant, not NO_CONTRACT
        ([st("APPRENTICE", 0), st("CONTRACT_BROKEN", 10), st("APPRENTICE", 40, uai=Z)], [], 40, None),
        ([st("APPRENTICE", 0, training_end=300), st("CONTRACT_BROKEN", 260)], [], 260, None),  # a completion
        ([st("APPRENTICE", 0, end=100, training_end=300)], [], 101, ({B}, 101, X)),  # a contract ended early
        # DROPPED_OUT: shown for 180 days
        ([st("DROPPED_OUT", 0)], [], 0, ({O}, 0, X)),
        ([st("DROPPED_OUT", 0)], [], 179, ({O}, 0, X)),
        ([st("DROPPED_OUT", 0)], [], 180, None),
        ([st("REGISTERED", 0)], [], 270, ({O}, 60, X)),  # abandon on day 91, shown until day 270 ...
        ([st("REGISTERED", 0)], [], 271, None),  # ... then no longer
        ([st("DROPPED_OUT", 0), st("REGISTERED", 10, uai=Z)], [], 10, None),  # a later registration ends it
        # a completion is never at risk
        ([st("COMPLETED", 0)], [(-40, X)], 10, None),
        ([st("APPRENTICE", 0, end=100)], [], 150, None),  # ended, training end unknown: completed
    ],
)
def test_reasons(steps, wishes, on, expected):
    assert at(steps, on, wishes) == expected


def test_reasons_together_in_their_order():
    both = at([st("MEETING", 40, uai=Z), st("REGISTERED", 0)], 100, [(50, X)])
    assert both == ({W, H, O}, 60, Z)  # since day 60 (NO_CONTRACT, then the abandon), a wish (80), the meeting (85)
    span = risk_on(spans([st("MEETING", 40, uai=Z), st("REGISTERED", 0)], [(50, X)]), day(100))
    assert list(span.reasons) == sorted(span.reasons, key=REASON_ORDER.__getitem__)
    assert list(Reason) == [W, N, B, O, H]


def test_since_is_the_start_of_the_continuous_period_of_risk():
    steps = [st("REGISTERED", 0), st("APPRENTICE", 100), st("CONTRACT_BROKEN", 150)]
    assert at(steps, 95) == ({O}, 60, X)
    assert at(steps, 120) is None
    assert at(steps, 160) == ({B}, 150, X)


def test_the_territory_is_the_residence_then_the_last_steps_cfa_then_the_wish():
    assert at([], 40, [(0, X)]) == ({W}, 30, X)
    span = risk_on(spans([], [(0, X)], residences=[(0, "93")]), day(40))
    assert (span.uai, span.department) == (X, "93")
    moved = spans([st("REGISTERED", 0, uai=Z)], residences=[(10, "69"), (70, "38")])
    assert [(s.start, s.reasons, s.department, s.uai) for s in moved] == [
        (day(60), (N,), "69", Z), (day(70), (N,), "38", Z), (day(91), (O,), "38", Z)]
    assert risk_on(spans([st("REGISTERED", 0, uai=Z)]), day(60)).department is None  # none given: the CFA's


def test_no_contract_counts_from_the_run_the_timeline_counts_from():
    # a drop-out and a new registration the same day start a new run, even at another certification
    steps = [st("REGISTERED", 0), st("DROPPED_OUT", 50, arrival=1),
             StepFact("REGISTERED", day(50), 2, X, "32031210")]
    assert at(steps, 109) is None  # the new run is 59 days old
    assert at(steps, 110) == ({N}, 110, X)
    going_on = [st("REGISTERED", 0), StepFact("REGISTERED", day(50), 2, X, "32031210")]  # the same run
    assert at(going_on, 60) == ({N}, 60, X)


def test_the_territory_of_a_status_set_before_its_step_is_its_cfa():
    # a rupture carried the contract's end: a rupturant from the day after it, before the step's date
    broken = [st("MEETING", 0, uai=X), StepFact("CONTRACT_BROKEN", day(30), 1, Z, CAP, None, day(9))]
    assert at(broken, 5) is None
    assert at(broken, 10) == ({B}, 10, X)  # the meeting is the last step by then
    later = [st("MEETING", 20, uai=X), StepFact("CONTRACT_BROKEN", day(30), 1, Z, CAP, None, day(9))]
    assert at(later, 10) == ({B}, 10, Z)  # no step by then: the status's CFA, not the first step's
    assert at(later, 25) == ({B}, 10, X)


def test_thresholds_are_settings():
    short = RiskRules(wish_not_handled_days=5, no_contract_days=10, handled_not_registered_days=3, dropped_out_shown_days=2)
    assert risk_on(spans([], [(0, X)], rules=short), day(5)).reasons == (W,)
    assert risk_on(spans([st("REGISTERED", 0)], rules=short), day(10)).reasons == (N,)
    assert risk_on(spans([st("MEETING", 0)], rules=short), day(3)).reasons == (H,)
    assert risk_on(spans([st("DROPPED_OUT", 0)], rules=short), day(2)) is None


def test_no_risk_without_steps_or_wishes():
    assert spans([]) == []


def test_spans_are_contiguous_pieces_with_constant_reasons():
    result = spans([st("REGISTERED", 0), st("MEETING", 70, uai=Z)], [(5, X)])
    assert all(isinstance(s, RiskSpan) for s in result)
    assert all(a.end is not None and a.end <= b.start for a, b in zip(result, result[1:]))
    assert all(a.end != b.start or (a.reasons, a.uai, a.department) != (b.reasons, b.uai, b.department)
               for a, b in zip(result, result[1:]))  # adjacent pieces that say the same are one


# What the mutation tests showed no test played (make mutation) ----------------------------------

def test_a_step_that_changes_nothing_does_not_cut_a_span():
    assert spans([st("REGISTERED", 0), st("MEETING", 70)]) == [
        RiskSpan(day(60), day(91), (N,), day(60), X, None),
        RiskSpan(day(91), day(115), (O,), day(60), X, None),
        RiskSpan(day(115), day(271), (O, H), day(60), X, None),
        RiskSpan(day(271), None, (H,), day(60), X, None),
    ]


def test_the_first_step_since_a_wish_whatever_order_the_steps_come_in():
    steps = [StepFact("APPRENTICE", day(40), 0, X, CAP), StepFact("MEETING", day(10), 1, X, CAP)]
    assert at(steps, 35, [(0, X)]) is None  # the meeting on day 10 handled the wish


def test_each_first_step_counts_until_the_next_step():
    steps = [st("MEETING", 0), st("MEETING", 60), st("MEETING", 200)]
    assert [at(steps, n) for n in (44, 45, 70, 105, 199, 200, 245)] == [
        None, ({H}, 45, X), None, ({H}, 105, X), ({H}, 105, X), None, ({H}, 245, X)]
    broken = [st("REGISTERED", 0), st("APPRENTICE", 10), st("CONTRACT_BROKEN", 20), st("MEETING", 100)]
    assert at(broken, 150) == ({B, H}, 20, X)  # a meeting after a rupture, with no news since


def test_the_territory_is_the_latest_wish_submitted_by_then():
    assert at([], 39, [(0, X), (40, Z)]) == ({W}, 30, X)
    assert at([], 40, [(0, X), (40, Z)]) == ({W}, 30, Z)


def test_minus_removes_every_hole_from_an_interval():
    """[start, end) minus sorted disjoint holes, against the days counted one by one."""
    import itertools

    def days_of(a, b, limit=12):
        return set(range(a, limit if b is None else b))

    bounds = [0, 2, 4, 6, 8, None]
    holes_choices = [[]] + [[(a, b)] for a in range(0, 10, 2) for b in [*range(a + 1, 11, 3), None]] + [
        [(1, 3), (5, 7)], [(0, 2), (6, None)], [(3, 4), (4, 9)], [(2, 3), (9, 10)]]
    for start, end, holes in itertools.product(range(0, 9, 2), bounds, holes_choices):
        got = _minus(day(start), None if end is None else day(end), [(day(a), None if b is None else day(b)) for a, b in holes])
        expected = days_of(start, end) - set().union(*(days_of(a, b) for a, b in holes))
        covered = set().union(*(days_of((a - D).days, None if b is None else (b - D).days) for a, b in got))
        assert covered == expected, (start, end, holes, got)
        assert all(b is None or a < b for a, b in got)  # no empty piece
        assert all(b is not None and b < c for (_, b), (c, _) in zip(got, got[1:]))  # apart and in order
