"""Table tests of a wish's outcome (pure), written from DOMAIN.md, "Status rules 2027.1": every
stage, every match, since, the wished CFA's handling, the day it is read on, a youth with several
wishes, and the next day a rule changes it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.domain.outcome import NO_NEWS, Match, Outcome, OutcomeStep, Stage, Target, outcome
from app.domain.timeline import Rules

D = date(2026, 6, 1)  # the wish's submission day
X, Z = "0751234J", "0750654D"  # the wished CFA, another CFA
CAP, BTS = "50022141", "32031210"  # the wished certification, another one
WISH = Target(X, CAP, D)
RULES = Rules()
FAR = D + timedelta(days=60)  # the day outcomes are read on, unless a test says


def day(n: int) -> date:
    return D + timedelta(days=n)


def s(step, n=0, arrival=None, uai=X, cert=CAP, linked=False, start=None, end=None, training_end=None):
    return OutcomeStep(step, day(n), arrival if arrival is not None else n, uai, cert, linked, start, end, training_end)


def o(stage, match, n, uai=X, cert=CAP, wished=None, next_on=None):
    handled = (uai == X) if wished is None else wished
    return Outcome(stage, match, day(n), uai, cert, handled, next_on)


@pytest.mark.parametrize(
    ("steps", "on", "expected"),
    [
        # NO_NEWS: nothing, or only steps before the wish (however linked)
        ([], FAR, NO_NEWS),
        ([s("REGISTERED", -1)], FAR, NO_NEWS),
        ([s("APPRENTICE", -200, uai=Z)], FAR, NO_NEWS),
        ([s("MEETING", -1, linked=True)], FAR, NO_NEWS),
        # HANDLED × each match, each first step; the day of the wish counts
        ([s("MEETING", 0)], FAR, o(Stage.HANDLED, Match.AS_WISHED, 0)),
        ([s("INFO_SESSION", 3, cert=BTS)], FAR, o(Stage.HANDLED, Match.OTHER_TRAINING, 3, cert=BTS)),
        ([s("PRE_REGISTERED", 5, uai=Z)], FAR, o(Stage.HANDLED, Match.OTHER_CFA, 5, uai=Z)),
        # REGISTERED × each match (90 days not over on FAR)
        ([s("MEETING", 1), s("REGISTERED", 10)], FAR, o(Stage.REGISTERED, Match.AS_WISHED, 10, next_on=day(101))),
        ([s("REGISTERED", 10, cert=BTS)], FAR, o(Stage.REGISTERED, Match.OTHER_TRAINING, 10, cert=BTS, next_on=day(101))),
        ([s("MEETING", 1), s("REGISTERED", 10, uai=Z)], FAR, o(Stage.REGISTERED, Match.OTHER_CFA, 10, uai=Z, wished=True,
                                                                 next_on=day(101))),
        # APPRENTICE × each match; COMPLETED counts as APPRENTICE and keeps the contract's date
        ([s("REGISTERED", 10), s("APPRENTICE", 40)], FAR, o(Stage.APPRENTICE, Match.AS_WISHED, 40)),
        ([s("APPRENTICE", 40, cert=BTS)], FAR, o(Stage.APPRENTICE, Match.OTHER_TRAINING, 40, cert=BTS)),
        ([s("APPRENTICE", 40, uai=Z)], FAR, o(Stage.APPRENTICE, Match.OTHER_CFA, 40, uai=Z)),
        ([s("APPRENTICE", 40), s("COMPLETED", 50)], FAR, o(Stage.APPRENTICE, Match.AS_WISHED, 40)),
        ([s("COMPLETED", 50, uai=Z)], FAR, o(Stage.APPRENTICE, Match.OTHER_CFA, 50, uai=Z)),
        # CONTRACT_BROKEN: a rupturant, reported or by rule 4; not within the completion window
        ([s("APPRENTICE", 10), s("CONTRACT_BROKEN", 30)], FAR, o(Stage.CONTRACT_BROKEN, Match.AS_WISHED, 30, next_on=day(211))),
        ([s("APPRENTICE", 10, cert=BTS), s("REGISTERED", 30, cert=BTS)], FAR,
         o(Stage.CONTRACT_BROKEN, Match.OTHER_TRAINING, 30, cert=BTS, next_on=day(211))),
        ([s("APPRENTICE", 10, training_end=day(50)), s("CONTRACT_BROKEN", 30)], FAR, o(Stage.APPRENTICE, Match.AS_WISHED, 10)),
        # LEFT: reported (since its date), or by a rule (since the day it fired)
        ([s("REGISTERED", 10), s("DROPPED_OUT", 50)], FAR, o(Stage.LEFT, Match.AS_WISHED, 50)),
        ([s("REGISTERED", 10, uai=Z)], day(101), o(Stage.LEFT, Match.OTHER_CFA, 101, uai=Z, wished=False)),
        ([s("CONTRACT_BROKEN", 10, cert=BTS)], day(191), o(Stage.LEFT, Match.OTHER_TRAINING, 191, cert=BTS)),
        # a later contract undoes LEFT; a later status anywhere moves the outcome
        ([s("CONTRACT_BROKEN", 9), s("APPRENTICE", 10, uai=Z)], FAR, o(Stage.APPRENTICE, Match.OTHER_CFA, 10, uai=Z, wished=True)),
        ([s("DROPPED_OUT", 5), s("REGISTERED", 6, uai=Z)], FAR, o(Stage.REGISTERED, Match.OTHER_CFA, 6, uai=Z, wished=True,
                                                                    next_on=day(97))),
        # a first step never outranks a status, even later
        ([s("APPRENTICE", 40), s("MEETING", 50, uai=Z)], FAR, o(Stage.APPRENTICE, Match.AS_WISHED, 40)),
        # the latest first step decides among first steps; on a tie a linked step, then arrival
        ([s("MEETING", 1, uai=Z), s("INFO_SESSION", 9)], FAR, o(Stage.HANDLED, Match.AS_WISHED, 9)),
        ([s("MEETING", 9, arrival=1, linked=True), s("MEETING", 9, arrival=2, uai=Z)], FAR, o(Stage.HANDLED, Match.AS_WISHED, 9)),
        ([s("MEETING", 9, arrival=2), s("MEETING", 9, arrival=1, uai=Z)], FAR, o(Stage.HANDLED, Match.AS_WISHED, 9)),
        ([s("MEETING", 9, arrival=1), s("MEETING", 9, arrival=2, uai=Z)], FAR, o(Stage.HANDLED, Match.OTHER_CFA, 9, uai=Z,
                                                                                 wished=True)),
        # ... and so among statuses of one day
        ([s("REGISTERED", 9, arrival=1, linked=True), s("REGISTERED", 9, arrival=2, uai=Z)], FAR,
         o(Stage.REGISTERED, Match.AS_WISHED, 9, next_on=day(100))),
        # since: the first day of the stage at that place (first steps there, a run of statuses)
        ([s("MEETING", 1), s("PRE_REGISTERED", 8)], FAR, o(Stage.HANDLED, Match.AS_WISHED, 1)),
        ([s("MEETING", 1, uai=Z), s("MEETING", 5), s("PRE_REGISTERED", 8)], FAR, o(Stage.HANDLED, Match.AS_WISHED, 5,
                                                                                      wished=True)),
        ([s("REGISTERED", 10), s("REGISTERED", 20, uai=Z)], FAR, o(Stage.REGISTERED, Match.OTHER_CFA, 20, uai=Z, wished=True,
                                                                     next_on=day(111))),
        ([s("REGISTERED", 10), s("REGISTERED", 20, cert=BTS)], FAR, o(Stage.REGISTERED, Match.OTHER_TRAINING, 20, cert=BTS,
                                                                        next_on=day(101))),
        # a contract starts on its start: before, a reported contract is a handled wish
        ([s("APPRENTICE", 5, start=day(90))], FAR, o(Stage.HANDLED, Match.AS_WISHED, 5, next_on=day(90))),
    ],
)
def test_outcome(steps, on, expected):
    assert outcome(WISH, steps, RULES, on) == expected


def test_the_outcome_changes_on_the_day_a_rule_fires():
    registered = [s("REGISTERED", 10)]
    assert outcome(WISH, registered, RULES, day(100)).stage == Stage.REGISTERED  # 90 days: not more
    assert outcome(WISH, registered, RULES, day(100)).next_on == day(101)
    left = outcome(WISH, registered, RULES, day(101))
    assert (left.stage, left.since, left.next_on) == (Stage.LEFT, day(101), None)


def test_a_contract_ended_early_is_a_rupturant_then_left():
    contract = [s("APPRENTICE", 10, end=day(100), training_end=day(500))]
    assert [outcome(WISH, contract, RULES, day(n)).stage for n in (100, 101, 281, 282)] == [
        Stage.APPRENTICE, Stage.CONTRACT_BROKEN, Stage.CONTRACT_BROKEN, Stage.LEFT]


def test_the_wished_cfa_handled_it_only_with_a_step_since_the_wish():
    assert outcome(WISH, [s("MEETING", -1), s("MEETING", 3, uai=Z)], RULES, FAR).handled_by_wished_cfa is False
    assert outcome(WISH, [s("MEETING", 3, uai=Z), s("MEETING", 4)], RULES, FAR).handled_by_wished_cfa is True
    assert outcome(WISH, [s("MEETING", 70)], RULES, FAR).handled_by_wished_cfa is False  # not yet on the day read


def test_each_wish_of_a_youth_is_classified_against_its_own_target():
    path = [s("MEETING", 1), s("REGISTERED", 10, uai=Z, cert=BTS)]
    assert outcome(Target(X, CAP, D), path, RULES, FAR).match == Match.OTHER_CFA
    assert outcome(Target(Z, CAP, D), path, RULES, FAR).match == Match.OTHER_TRAINING
    assert outcome(Target(Z, BTS, D), path, RULES, FAR).match == Match.AS_WISHED


def test_a_second_wish_unhandled_after_a_handled_one():
    path = [s("REGISTERED", 10)]
    assert outcome(Target(X, CAP, D), path, RULES, FAR).stage == Stage.REGISTERED
    assert outcome(Target(Z, CAP, day(20)), path, RULES, FAR) == NO_NEWS  # nothing since the second wish


def test_a_wish_handled_late_by_a_contract():
    path = [s("APPRENTICE", 200, uai=Z)]
    assert outcome(WISH, path, RULES, day(199)) == NO_NEWS._replace(next_on=day(200))
    assert outcome(WISH, path, RULES, day(200)) == o(Stage.APPRENTICE, Match.OTHER_CFA, 200, uai=Z, wished=False)


def test_every_stage_and_match_is_reachable():
    seen = set()
    for step in ("MEETING", "REGISTERED", "APPRENTICE", "DROPPED_OUT", "CONTRACT_BROKEN"):
        for uai, cert in ((X, CAP), (X, BTS), (Z, CAP)):
            result = outcome(WISH, [s(step, 5, uai=uai, cert=cert)], RULES, FAR)
            seen.add((result.stage, result.match))
    seen.add((outcome(WISH, [], RULES, FAR).stage, None))
    assert seen == {(Stage.NO_NEWS, None)} | {(stage, match) for stage in list(Stage)[1:] for match in Match}


# What the mutation tests showed no test played (make mutation) ----------------------------------

def test_a_step_of_the_day_it_is_read_on_counts():
    assert outcome(WISH, [s("MEETING", 10)], RULES, day(10)) == o(Stage.HANDLED, Match.AS_WISHED, 10)
    assert outcome(WISH, [s("MEETING", 10)], RULES, day(9)) == NO_NEWS._replace(next_on=day(10))


def test_the_offers_session_gives_the_training_end_of_a_rupture():
    def training_end(uai, certification, on):
        return day(200) if (uai, certification) == (X, CAP) else None

    steps = [s("APPRENTICE", 10), s("CONTRACT_BROKEN", 150)]  # 50 days before the session's end: a completion
    assert outcome(WISH, steps, RULES, day(160), training_end).stage == Stage.APPRENTICE
    assert outcome(WISH, steps, RULES, day(160)).stage == Stage.CONTRACT_BROKEN  # no session known: a rupture
