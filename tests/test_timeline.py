"""Table tests of the path timeline (pure), written from DOMAIN.md, "Status rules 2027.1": each
rule at its boundaries (the day before, the day of, the day after), the order of a path, and
paths of three and more steps."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.domain.timeline import (
    FIRST_STEPS,
    STATUS_STEPS,
    Cause,
    Rules,
    Segment,
    Status,
    Step,
    StepFact,
    status_day,
    status_on,
    timeline,
    unpack,
)

RULES = Rules()
D = date(2026, 9, 1)
A, B = "0751234J", "0750654D"
CAP, BTS = "50022141", "32031210"
R, P, K, O, C = Status.REGISTERED, Status.APPRENTICE, Status.CONTRACT_BROKEN, Status.DROPPED_OUT, Status.COMPLETED


def days(n: int) -> date:
    return D + timedelta(days=n)


def fact(step, day, arrival=0, uai=A, cert=CAP, start=None, end=None, training_end=None):
    return StepFact(Step(step), day, arrival, uai, cert, start, end, training_end)


def status(steps, on, training_end=None):
    segment = status_on(timeline(steps, RULES, training_end), on)
    return None if segment is None else segment.status


def statuses(steps, days_, training_end=None):
    segments = timeline(steps, RULES, training_end)
    return [None if (s := status_on(segments, day)) is None else s.status for day in days_]


def test_the_default_rules_are_2027_1():
    assert (RULES.version, RULES.registered_dropout_days, RULES.broken_dropout_days, RULES.completion_window_days) == (
        "2027.1", 90, 180, 60)


# Rule 1: the first steps change no status ---------------------------------------------------

@pytest.mark.parametrize("first", sorted(FIRST_STEPS))
def test_rule_1_first_steps_change_no_status(first):
    assert timeline([fact(first, D)], RULES) == []
    assert statuses([fact("REGISTERED", D), fact(first, days(10), uai=B)], [days(9), days(10), days(11)]) == [R, R, R]


def test_the_status_and_first_steps_partition_the_steps():
    assert set(STATUS_STEPS) | set(FIRST_STEPS) == set(Step) and not set(STATUS_STEPS) & set(FIRST_STEPS)


# Rule 2: a contract, its start and its end -----------------------------------------------------

def test_rule_2_apprentice_starts_on_the_contract_start_when_given():
    steps = [fact("REGISTERED", D), fact("APPRENTICE", days(20), start=days(10))]
    assert statuses(steps, [days(9), days(10), days(11)]) == [R, P, P]
    later = [fact("REGISTERED", D), fact("APPRENTICE", days(5), start=days(30))]  # reported ahead of its start
    assert statuses(later, [days(29), days(30), days(31)]) == [R, P, P]
    assert statuses([fact("APPRENTICE", days(3))], [days(2), days(3), days(4)]) == [None, P, P]  # else the effective date


@pytest.mark.parametrize(("training_end", "after"), [
    (days(700), C),  # ends on the training end
    (days(759), C), (days(760), C),  # 59, 60 days before it: the completion window
    (days(761), K),  # 61 days before: ended early, a rupturant
    (days(640), C), (days(600), C),  # ends after the training end
    (None, C),  # the training end is unknown
])
def test_rule_2_the_contract_end_completes_or_makes_a_rupturant(training_end, after):
    steps = [fact("APPRENTICE", D, start=D, end=days(700), training_end=training_end)]
    assert statuses(steps, [days(699), days(700), days(701)]) == [P, P, after]
    segment = status_on(timeline(steps, RULES), days(701))
    assert segment.cause == (Cause.CONTRACT_COMPLETED if after == C else Cause.CONTRACT_ENDED)


def test_rule_2_without_contract_end_the_contract_ends_with_the_training():
    step = fact("APPRENTICE", D, start=D, training_end=days(300))
    assert statuses([step], [days(299), days(300), days(301)]) == [P, P, C]
    forever = fact("APPRENTICE", D, start=D)  # neither end known: it goes on
    assert statuses([forever], [days(3000)]) == [P]


def test_rule_2_the_training_end_of_a_contract_is_the_steps_then_a_completion_then_the_offers():
    offer = lambda uai, cert, day: days(900) if (uai, cert, day) == (A, CAP, D) else None  # noqa: E731
    contract = fact("APPRENTICE", D, start=D, end=days(700))
    assert statuses([contract], [days(701)], offer) == [K]  # 200 days before the offer's end
    assert statuses([contract._replace(training_end=days(710))], [days(701)], offer) == [C]  # the step's own
    completed = [contract, fact("COMPLETED", days(730))]  # a COMPLETED step 30 days after: a completion
    assert statuses(completed, [days(701), days(730)], offer) == [C, C]
    elsewhere = [contract, fact("COMPLETED", days(730), uai=B)]  # another CFA's says nothing of this training
    assert statuses(elsewhere, [days(701), days(730)], offer) == [K, C]
    before = [fact("COMPLETED", days(-30)), contract]  # a completion before the contract is not its end
    assert statuses(before, [days(701)], offer) == [K]


def test_rule_2_an_offer_gives_the_training_end_of_a_contract_without_one():
    offer = lambda uai, cert, day: days(400)  # noqa: E731
    assert statuses([fact("APPRENTICE", D, start=D)], [days(400), days(401)], offer) == [P, C]


def test_rule_2_a_new_contract_before_the_end_goes_on():
    steps = [fact("APPRENTICE", D, start=D, end=days(100), training_end=days(700)),
             fact("APPRENTICE", days(101), uai=B, start=days(101))]
    assert statuses(steps, [days(100), days(101), days(300)]) == [P, P, P]
    same_day = [steps[0], fact("APPRENTICE", days(102), uai=B, start=days(102))]  # a day of gap: a rupturant that day
    assert statuses(same_day, [days(101), days(102)]) == [K, P]


def test_rule_2_a_rupturant_by_an_early_end_counts_as_abandon_after_180_days():
    end = days(300)
    steps = [fact("APPRENTICE", D, start=D, end=end, training_end=days(700))]
    assert statuses(steps, [end + timedelta(days=1), end + timedelta(days=181), end + timedelta(days=182)]) == [K, K, O]


# Rule 3: a rupture, and a completion near the end --------------------------------------------

@pytest.mark.parametrize(("rupture", "after"), [(days(639), K), (days(640), C), (days(641), C), (days(700), C)])
def test_rule_3_a_rupture_within_the_completion_window_is_a_completion(rupture, after):
    steps = [fact("APPRENTICE", D, start=D, training_end=days(700)), fact("CONTRACT_BROKEN", rupture)]
    assert statuses(steps, [rupture - timedelta(days=1), rupture]) == [P, after]
    if after == C:
        assert status_on(timeline(steps, RULES), rupture).cause == Cause.BROKEN_AT_COMPLETION
    past_the_end = [fact("APPRENTICE", D, start=D, end=days(800), training_end=days(700)), fact("CONTRACT_BROKEN", days(720))]
    assert statuses(past_the_end, [days(719), days(720)]) == [P, C]  # after the training end: a completion too


def test_rule_3_a_rupture_is_a_rupturant_on_its_date_and_an_abandon_after_180_days():
    steps = [fact("APPRENTICE", D), fact("CONTRACT_BROKEN", days(30))]
    assert statuses(steps, [days(29), days(30), days(210), days(211)]) == [P, K, K, O]
    assert status_on(timeline(steps, RULES), days(211)).cause == Cause.BROKEN_TOO_LONG


def test_rule_3_the_breaks_own_training_end_then_the_contracts_then_the_offers():
    offer = lambda uai, cert, day: days(120)  # noqa: E731
    broken = fact("CONTRACT_BROKEN", days(100))
    assert statuses([fact("APPRENTICE", D), broken], [days(100)], offer) == [C]  # 20 days before the offer's end
    assert statuses([fact("APPRENTICE", D, training_end=days(500)), broken], [days(100)], offer) == [K]  # the contract's
    assert statuses([fact("APPRENTICE", D), broken._replace(training_end=days(500))], [days(100)], offer) == [K]
    assert statuses([broken], [days(100)]) == [K]  # nothing known: a rupturant


def test_rule_3_a_contract_end_carried_by_the_break_puts_the_rupture_the_day_after_it():
    steps = [fact("APPRENTICE", D), fact("CONTRACT_BROKEN", days(60), end=days(40))]
    assert statuses(steps, [days(40), days(41)]) == [P, K]
    assert status_day(steps[1]) == days(41)
    later_end = fact("CONTRACT_BROKEN", days(60), end=days(90))  # a planned end later than the break: the break's date
    assert status_day(later_end) == days(60)


# Rule 4: a REGISTERED report during or after a contract -----------------------------------------

def test_rule_4_registered_at_the_contracts_place_is_a_rupture():
    steps = [fact("APPRENTICE", D, training_end=days(700)), fact("REGISTERED", days(50))]
    segments = timeline(steps, RULES)
    assert statuses(steps, [days(49), days(50), days(230), days(231)]) == [P, K, K, O]  # 180 days, not 90
    assert status_on(segments, days(50)).cause == Cause.BROKEN_BY_REGISTRATION


def test_rule_4_the_rupture_date_is_the_earliest_one():
    broken_first = [fact("APPRENTICE", D), fact("CONTRACT_BROKEN", days(30)), fact("REGISTERED", days(50))]
    assert statuses(broken_first, [days(30), days(210), days(211)]) == [K, K, O]  # from the break, not the registration
    ended_first = [fact("APPRENTICE", D, end=days(20), training_end=days(700)), fact("REGISTERED", days(50))]
    assert statuses(ended_first, [days(20), days(21), days(201), days(202)]) == [P, K, K, O]  # from the end


def test_rule_4_registered_elsewhere_is_a_new_registration():
    for other in ({"uai": B}, {"cert": BTS}):
        steps = [fact("APPRENTICE", D), fact("REGISTERED", days(50), **other)]
        assert statuses(steps, [days(50), days(140), days(141)]) == [R, R, O]


def test_rule_4_not_after_a_completion_or_a_drop_out():
    completed = [fact("APPRENTICE", D, end=days(100)), fact("REGISTERED", days(150))]  # ended, training end unknown
    assert statuses(completed, [days(101), days(150), days(241)]) == [C, R, O]
    dropped = [fact("APPRENTICE", D), fact("DROPPED_OUT", days(50)), fact("REGISTERED", days(60))]
    assert statuses(dropped, [days(50), days(60), days(151)]) == [O, R, O]


def test_rule_4_within_the_completion_window_it_is_a_completion():
    steps = [fact("APPRENTICE", D, training_end=days(700)), fact("REGISTERED", days(650))]
    assert statuses(steps, [days(650), days(2000)]) == [C, C]


# Rule 5: repeated reports restart nothing --------------------------------------------------------

def test_rule_5_repeated_registered_reports_keep_the_first_day():
    steps = [fact("REGISTERED", D), fact("REGISTERED", days(30)), fact("REGISTERED", days(60))]
    assert statuses(steps, [days(90), days(91)]) == [R, O]
    after_the_abandon = steps + [fact("REGISTERED", days(120))]  # re-sent after the rule fired: still an abandon
    assert statuses(after_the_abandon, [days(120), days(200)]) == [O, O]


def test_rule_5_a_run_is_at_one_cfa():
    steps = [fact("REGISTERED", D), fact("REGISTERED", days(60), uai=B)]  # another CFA: a new registration
    assert statuses(steps, [days(91), days(150), days(151)]) == [R, R, O]
    other_training = [fact("REGISTERED", D), fact("REGISTERED", days(60), cert=BTS)]  # same CFA: the clock goes on
    segments = timeline(other_training, RULES)
    assert statuses(other_training, [days(60), days(91)]) == [R, O]
    assert status_on(segments, days(60)).certification == BTS


def test_rule_5_the_run_going_on_elsewhere_in_the_cfa_says_so():
    steps = [fact("REGISTERED", D), fact("REGISTERED", days(60), cert=BTS)]
    assert [s.cause for s in timeline(steps, RULES)] == [Cause.REPORTED, Cause.REGISTRATION_GOES_ON, Cause.REGISTERED_TOO_LONG]


def test_rule_5_a_drop_out_ends_the_run_even_the_same_day():
    # DROPPED_OUT then REGISTERED the same day, at the same place: a new run, and a segment of its own
    steps = [fact("REGISTERED", D), fact("DROPPED_OUT", days(50), 1), fact("REGISTERED", days(50), 2)]
    assert statuses(steps, [days(91), days(140), days(141)]) == [R, R, O]
    segments = timeline(steps, RULES)
    assert [(s.start, s.status, s.cause) for s in segments] == [
        (D, R, Cause.REPORTED), (days(50), R, Cause.REPORTED), (days(141), O, Cause.REGISTERED_TOO_LONG)]
    elsewhere = [fact("REGISTERED", D), fact("DROPPED_OUT", days(50), 1), fact("REGISTERED", days(50), 2, cert=BTS)]
    assert [s.cause for s in timeline(elsewhere, RULES)][1] == Cause.REPORTED  # a new run, not the old one going on


def test_rule_5_a_run_is_uninterrupted():
    steps = [fact("REGISTERED", D), fact("APPRENTICE", days(20), uai=B), fact("CONTRACT_BROKEN", days(30), uai=B),
             fact("REGISTERED", days(40))]  # back at A after a contract elsewhere: a new run
    assert statuses(steps, [days(40), days(130), days(131)]) == [R, R, O]


def test_rule_5_a_rupturant_re_reported_stays_one():
    steps = [fact("APPRENTICE", D), fact("CONTRACT_BROKEN", days(10)), fact("CONTRACT_BROKEN", days(100)),
             fact("REGISTERED", days(150))]
    assert statuses(steps, [days(190), days(191), days(300)]) == [K, O, O]


# Rule 6: abandons --------------------------------------------------------------------------------

@pytest.mark.parametrize(("registered_days", "broken_days"), [(90, 180), (30, 60), (1, 1)])
def test_rule_6_abandon_the_day_after_the_threshold(registered_days, broken_days):
    rules = Rules(version="x", registered_dropout_days=registered_days, broken_dropout_days=broken_days)
    registered = timeline([fact("REGISTERED", D)], rules)
    assert [status_on(registered, days(n)).status for n in (registered_days, registered_days + 1)] == [R, O]
    broken = timeline([fact("CONTRACT_BROKEN", D)], rules)
    assert [status_on(broken, days(n)).status for n in (broken_days, broken_days + 1)] == [K, O]


def test_rule_6_a_reported_drop_out_is_an_abandon_on_its_date():
    assert statuses([fact("REGISTERED", D), fact("DROPPED_OUT", days(10))], [days(9), days(10)]) == [R, O]


def test_a_status_step_before_the_threshold_stops_the_rule():
    steps = [fact("REGISTERED", D), fact("APPRENTICE", days(91))]
    assert statuses(steps, [days(90), days(91)]) == [R, P]  # on the rule's day the reported step wins
    late = [fact("REGISTERED", D), fact("APPRENTICE", days(92))]
    assert statuses(late, [days(91), days(92)]) == [O, P]


# A completed step, order, same days -----------------------------------------------------------

def test_a_completed_step_is_a_completion_on_its_date():
    assert statuses([fact("APPRENTICE", D), fact("COMPLETED", days(300))], [days(299), days(300), days(3000)]) == [P, C, C]


def test_order_follows_the_status_days_not_arrival():
    late_report_of_an_earlier_step = [fact("APPRENTICE", days(30), arrival=1), fact("REGISTERED", D, arrival=2, uai=B)]
    assert statuses(late_report_of_an_earlier_step, [days(10), days(40)]) == [R, P]


def test_same_day_steps_are_ordered_by_arrival():
    assert status([fact("REGISTERED", D, 1, uai=B), fact("APPRENTICE", D, 2)], D) == P
    assert status([fact("APPRENTICE", D, 2), fact("REGISTERED", D, 1, uai=B)], D) == P
    assert status([fact("APPRENTICE", D, 1), fact("REGISTERED", D, 2, uai=B)], D) == R


def test_segments_carry_where_and_why():
    segments = timeline([fact("REGISTERED", D, uai=A, cert=CAP), fact("APPRENTICE", days(20), uai=B, cert=BTS)], RULES)
    assert segments == [
        Segment(D, days(20), R, A, CAP, Cause.REPORTED),
        Segment(days(20), None, P, B, BTS, Cause.REPORTED),
    ]
    assert timeline([fact("REGISTERED", D)], RULES) == [
        Segment(D, days(91), R, A, CAP, Cause.REPORTED),
        Segment(days(91), None, O, A, CAP, Cause.REGISTERED_TOO_LONG),
    ]
    assert timeline([fact("APPRENTICE", D), fact("APPRENTICE", days(10))], RULES) == [Segment(D, None, P, A, CAP, Cause.REPORTED)]


def test_a_path_of_many_steps():
    steps = [
        fact("MEETING", days(-30)), fact("REGISTERED", D), fact("REGISTERED", days(40)),
        fact("APPRENTICE", days(70), start=days(60), training_end=days(700)), fact("CONTRACT_BROKEN", days(200)),
        fact("REGISTERED", days(230)), fact("APPRENTICE", days(300), uai=B, end=days(680), training_end=days(700)),
    ]
    assert statuses(steps, [days(-1), D, days(59), days(60), days(199), days(200), days(299), days(300), days(680),
                            days(681)]) == [None, R, R, P, P, K, K, P, P, C]


def test_steps_given_as_plain_tuples_of_eight_fields():
    plain = [("REGISTERED", D, 1, A, CAP, None, None, None), ("APPRENTICE", days(10), 2, A, CAP, None, None, days(100))]
    assert timeline(plain, RULES) == timeline([fact("REGISTERED", D, 1), fact("APPRENTICE", days(10), 2, training_end=days(100))],
                                              RULES)
    assert status_on(timeline(plain, RULES), days(101)).status == C


# What the mutation tests showed no test played (make mutation) ----------------------------------

def test_a_rupture_carrying_a_contract_end_on_or_after_its_date_is_on_its_date():
    for end in (D, days(1), days(10)):  # the contract's end as planned, or the day of the rupture
        segments = timeline([fact("APPRENTICE", days(-100)), fact("CONTRACT_BROKEN", D, 1, end=end)], RULES)
        assert [(s.start, s.status) for s in segments][:2] == [(days(-100), P), (D, K)], end


def test_a_step_on_the_day_a_rule_would_fire_comes_first():
    # the contract ends on day 100; the break is reported on day 101, the day the end would fire
    segments = timeline([fact("APPRENTICE", D, 1, end=days(100), training_end=days(400)),
                         fact("CONTRACT_BROKEN", days(101), 2)], RULES)
    assert segments[-2][:6] == (days(101), days(282), K, A, CAP, Cause.REPORTED)


def test_rules_keep_the_place_of_the_contract_or_registration():
    ended = timeline([fact("APPRENTICE", D, 1, uai=B, cert=BTS, end=days(100))], RULES)
    assert ended[-1][2:] == (C, B, BTS, Cause.CONTRACT_COMPLETED)
    near = timeline([fact("APPRENTICE", D, 1, uai=B, cert=BTS, training_end=days(200)),
                     fact("REGISTERED", days(150), 2, uai=B, cert=BTS)], RULES)
    assert near[-1][2:] == (C, B, BTS, Cause.BROKEN_AT_COMPLETION)


def test_reported_statuses_say_so():
    for step, status_ in (("CONTRACT_BROKEN", K), ("DROPPED_OUT", O), ("COMPLETED", C)):
        assert timeline([fact("APPRENTICE", D), fact(step, days(10), 1)], RULES)[1][2:] == (status_, A, CAP, Cause.REPORTED)


def test_a_contract_of_one_day_ends_the_next_day():
    assert statuses([fact("APPRENTICE", D, end=D, training_end=days(400))], [D, days(1)]) == [P, K]
    assert statuses([fact("APPRENTICE", D, end=D, training_end=days(30))], [D, days(1)]) == [P, C]


def test_a_break_reported_after_the_rules_abandon_stays_an_abandon():
    steps = [fact("APPRENTICE", days(-10)), fact("CONTRACT_BROKEN", D, 1), fact("CONTRACT_BROKEN", days(200), 2)]
    assert statuses(steps, [days(180), days(181), days(200), days(400)]) == [K, O, O, O]
    elsewhere = steps[:2] + [fact("CONTRACT_BROKEN", days(200), 2, uai=B)]  # another CFA: a new rupture
    assert statuses(elsewhere, [days(200)]) == [K]


def test_the_offer_lookup_is_asked_for_the_place_and_day_of_the_rupture():
    asked = []

    def training_end(uai, certification, day):
        asked.append((uai, certification, day))
        return days(300) if (uai, certification) == (B, BTS) and day >= days(100) else None

    assert status(([fact("CONTRACT_BROKEN", days(250), uai=B, cert=BTS)]), days(250), training_end) == C
    assert asked == [(B, BTS, days(250))]
    assert status([fact("CONTRACT_BROKEN", days(250), uai=A, cert=BTS)], days(250), training_end) == K
    assert status([fact("CONTRACT_BROKEN", days(250), uai=B, cert=CAP)], days(250), training_end) == K
    assert status([fact("CONTRACT_BROKEN", days(50), uai=B, cert=BTS)], days(50), training_end) == K


def test_a_completion_on_the_day_a_contract_starts_is_its_training_end():
    steps = [fact("COMPLETED", D, 1), fact("APPRENTICE", D, 2)]
    assert statuses(steps, [D, days(1), days(1000)]) == [P, C, C]


def test_a_renewed_contract_at_the_same_place_goes_on_then_breaks():
    steps = [fact("APPRENTICE", D, 1), fact("APPRENTICE", days(100), 2), fact("CONTRACT_BROKEN", days(200), 3)]
    assert [(s.start, s.status) for s in timeline(steps, RULES)] == [(D, P), (days(200), K), (days(381), O)]


def test_every_step_kind_against_every_following_step_kind_elsewhere():
    """Exhaustive pairs at two CFAs: a status step on a later day sets the status that day."""
    for first in Step:
        for second in Step:
            steps = [fact(first.value, D, 1), fact(second.value, days(5), 2, uai=B)]
            got = status(steps, days(5))
            if second.value in STATUS_STEPS:
                assert got == Status(second.value), (first, second)
            elif first.value in STATUS_STEPS:
                assert got == Status(first.value), (first, second)
            else:
                assert got is None, (first, second)


def test_stored_columns_unpack_to_the_same_segments():
    segments = timeline(
        [fact("REGISTERED", D), fact("APPRENTICE", days(30), uai=B, cert=BTS, end=days(60)), fact("COMPLETED", days(400))],
        RULES,
    )
    columns = [list(column) for column in zip(*[(s.start, s.status, s.uai, s.certification, s.cause) for s in segments])]
    assert unpack(*columns) == segments
    assert unpack([], [], [], [], []) == []


def test_steps_of_one_day_and_one_arrival_keep_the_order_given():
    # arrival breaks ties; equal arrivals (plain tuples built by a caller) keep the caller's order
    assert status([fact("REGISTERED", D, 0), fact("APPRENTICE", D, 0)], D) == P
    assert status([fact("APPRENTICE", D, 0), fact("REGISTERED", D, 0)], D) == K  # rule 4
