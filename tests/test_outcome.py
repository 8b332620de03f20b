"""Table tests of a wish's outcome (pure): every stage, every match, dates, links, order."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.domain.outcome import NO_NEWS, Match, Outcome, OutcomeStep, Stage, Target, outcome

D = date(2026, 6, 1)  # the wish's submission day
X, Z = "0751234J", "0750654D"  # the wished CFA, another CFA
CAP, BTS = "50022141", "32031210"  # the wished certification, another one
WISH = Target(X, CAP, D)


def s(step, day=0, arrival=None, uai=X, cert=CAP, linked=False):
    return OutcomeStep(step, D + timedelta(days=day), arrival if arrival is not None else day, uai, cert, linked)


def o(stage, match, day, uai=X, cert=CAP):
    return Outcome(stage, match, D + timedelta(days=day), uai, cert)


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        # NO_NEWS: nothing, or only steps before the wish
        ([], NO_NEWS),
        ([s("REGISTERED", -1)], NO_NEWS),
        ([s("APPRENTICE", -200, uai=Z)], NO_NEWS),
        # HANDLED × each match, each handling step
        ([s("MEETING", 0)], o(Stage.HANDLED, Match.AS_WISHED, 0)),
        ([s("INFO_SESSION", 3, cert=BTS)], o(Stage.HANDLED, Match.OTHER_TRAINING, 3, cert=BTS)),
        ([s("PRE_REGISTERED", 5, uai=Z)], o(Stage.HANDLED, Match.OTHER_CFA, 5, uai=Z)),
        # REGISTERED × each match
        ([s("MEETING", 1), s("REGISTERED", 10)], o(Stage.REGISTERED, Match.AS_WISHED, 10)),
        ([s("REGISTERED", 10, cert=BTS)], o(Stage.REGISTERED, Match.OTHER_TRAINING, 10, cert=BTS)),
        ([s("MEETING", 1), s("REGISTERED", 10, uai=Z)], o(Stage.REGISTERED, Match.OTHER_CFA, 10, uai=Z)),
        # APPRENTICE × each match; COMPLETED counts as APPRENTICE and keeps the contract's date
        ([s("REGISTERED", 10), s("APPRENTICE", 40)], o(Stage.APPRENTICE, Match.AS_WISHED, 40)),
        ([s("APPRENTICE", 40, cert=BTS)], o(Stage.APPRENTICE, Match.OTHER_TRAINING, 40, cert=BTS)),
        ([s("APPRENTICE", 40, uai=Z)], o(Stage.APPRENTICE, Match.OTHER_CFA, 40, uai=Z)),
        ([s("APPRENTICE", 40), s("COMPLETED", 400)], o(Stage.APPRENTICE, Match.AS_WISHED, 40)),
        ([s("COMPLETED", 400, uai=Z)], o(Stage.APPRENTICE, Match.OTHER_CFA, 400, uai=Z)),
        # LEFT × each match: a drop-out, or a broken contract with no later contract
        ([s("REGISTERED", 10), s("DROPPED_OUT", 50)], o(Stage.LEFT, Match.AS_WISHED, 50)),
        ([s("APPRENTICE", 40, cert=BTS), s("CONTRACT_BROKEN", 90, cert=BTS)], o(Stage.LEFT, Match.OTHER_TRAINING, 90, cert=BTS)),
        ([s("CONTRACT_BROKEN", 90, uai=Z)], o(Stage.LEFT, Match.OTHER_CFA, 90, uai=Z)),
        ([s("CONTRACT_BROKEN", 90), s("DROPPED_OUT", 120)], o(Stage.LEFT, Match.AS_WISHED, 90)),  # one stage, one place
        # a later contract undoes LEFT; a later status anywhere moves the outcome
        ([s("CONTRACT_BROKEN", 90), s("APPRENTICE", 100, uai=Z)], o(Stage.APPRENTICE, Match.OTHER_CFA, 100, uai=Z)),
        ([s("DROPPED_OUT", 50), s("REGISTERED", 60)], o(Stage.REGISTERED, Match.AS_WISHED, 60)),
        ([s("APPRENTICE", 40), s("REGISTERED", 60, uai=Z)], o(Stage.REGISTERED, Match.OTHER_CFA, 60, uai=Z)),
        # a handling step never outranks a status step, even later
        ([s("APPRENTICE", 40), s("MEETING", 80, uai=Z)], o(Stage.APPRENTICE, Match.AS_WISHED, 40)),
        ([s("DROPPED_OUT", 50), s("INFO_SESSION", 70, uai=Z)], o(Stage.LEFT, Match.AS_WISHED, 50)),
        # the latest handling step decides among handling steps
        ([s("MEETING", 1), s("INFO_SESSION", 5, uai=Z)], o(Stage.HANDLED, Match.OTHER_CFA, 5, uai=Z)),
        ([s("MEETING", 1), s("PRE_REGISTERED", 8)], o(Stage.HANDLED, Match.AS_WISHED, 1)),  # same stage, same place
        # since: the same stage at another place starts again
        ([s("REGISTERED", 10), s("REGISTERED", 20, uai=Z)], o(Stage.REGISTERED, Match.OTHER_CFA, 20, uai=Z)),
        ([s("REGISTERED", 10), s("REGISTERED", 20)], o(Stage.REGISTERED, Match.AS_WISHED, 10)),
        # effective dates order the path, not arrival
        ([s("APPRENTICE", 40, arrival=1), s("REGISTERED", 10, arrival=2)], o(Stage.APPRENTICE, Match.AS_WISHED, 40)),
        # same day: the latest arrival decides...
        ([s("REGISTERED", 10, arrival=1, uai=Z), s("REGISTERED", 10, arrival=2)], o(Stage.REGISTERED, Match.AS_WISHED, 10)),
        ([s("REGISTERED", 10, arrival=2, uai=Z), s("REGISTERED", 10, arrival=1)], o(Stage.REGISTERED, Match.OTHER_CFA, 10, uai=Z)),
        # ... but a step linked to the wish decides before one matched by youth
        ([s("REGISTERED", 10, arrival=1, linked=True), s("REGISTERED", 10, arrival=2, uai=Z)], o(Stage.REGISTERED, Match.AS_WISHED, 10)),
        # nothing before the wish's day counts, linked or not (DOMAIN.md 2027.1: no window on the past)
        ([s("MEETING", -3, linked=True)], NO_NEWS),
        ([s("MEETING", -1, linked=True), s("REGISTERED", -1)], NO_NEWS),
        ([s("REGISTERED", -1, linked=True), s("MEETING", 0)], o(Stage.HANDLED, Match.AS_WISHED, 0)),
        # the day of the submission counts
        ([s("REGISTERED", 0)], o(Stage.REGISTERED, Match.AS_WISHED, 0)),
    ],
)
def test_outcome(steps, expected):
    assert outcome(WISH, steps) == expected


def test_each_wish_of_a_youth_is_classified_against_its_own_target():
    path = [s("MEETING", 1), s("REGISTERED", 10, uai=Z, cert=BTS)]
    assert outcome(Target(X, CAP, D), path).match == Match.OTHER_CFA
    assert outcome(Target(Z, CAP, D), path).match == Match.OTHER_TRAINING
    assert outcome(Target(Z, BTS, D), path).match == Match.AS_WISHED


def test_a_later_wish_ignores_the_steps_before_it():
    path = [s("APPRENTICE", 10), s("CONTRACT_BROKEN", 100)]
    assert outcome(Target(X, CAP, D + timedelta(days=50)), path) == o(Stage.LEFT, Match.AS_WISHED, 100)
    assert outcome(Target(X, CAP, D + timedelta(days=101)), path) == NO_NEWS


def test_every_stage_and_match_is_reachable():
    seen = set()
    for step in ("MEETING", "REGISTERED", "APPRENTICE", "DROPPED_OUT"):
        for uai, cert in ((X, CAP), (X, BTS), (Z, CAP)):
            result = outcome(WISH, [s(step, 5, uai=uai, cert=cert)])
            seen.add((result.stage, result.match))
    seen.add((outcome(WISH, []).stage, None))
    assert seen == {(Stage.NO_NEWS, None)} | {(stage, match) for stage in list(Stage)[1:] for match in Match}
