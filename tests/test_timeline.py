"""Table tests of the path timeline (pure): order, thresholds at their boundaries, contracts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.domain.timeline import Cause, Rules, Segment, Status, Step, StepFact, status_on, timeline

RULES = Rules()
D = date(2026, 9, 1)
A, B = "0751234J", "0750654D"
CAP, BTS = "50022141", "32031210"


def fact(step, day, arrival=0, uai=A, cert=CAP, start=None, end=None):
    return StepFact(Step(step), day, arrival, uai, cert, start, end)


def days(n):
    return D + timedelta(days=n)


def status(steps, on, training_end=None):
    segment = status_on(timeline(steps, RULES, training_end), on)
    return None if segment is None else segment.status


@pytest.mark.parametrize(
    ("steps", "on", "expected"),
    [
        ([], D, None),
        ([fact("MEETING", D)], days(10), None),  # handled is not a status
        ([fact("PRE_REGISTERED", D), fact("INFO_SESSION", days(1))], days(400), None),
        ([fact("REGISTERED", D)], days(-1), None),
        ([fact("REGISTERED", D)], D, Status.REGISTERED),
        ([fact("REGISTERED", D)], days(90), Status.REGISTERED),  # 90 days: not more than 90
        ([fact("REGISTERED", D)], days(91), Status.DROPPED_OUT),  # more than 90 days
        ([fact("REGISTERED", D), fact("APPRENTICE", days(90))], days(200), Status.APPRENTICE),
        ([fact("REGISTERED", D), fact("APPRENTICE", days(91))], days(91), Status.APPRENTICE),
        ([fact("REGISTERED", D), fact("APPRENTICE", days(95))], days(92), Status.DROPPED_OUT),
        ([fact("APPRENTICE", D)], days(2000), Status.APPRENTICE),  # no end date: stays apprentice
        ([fact("APPRENTICE", D), fact("CONTRACT_BROKEN", days(30))], days(30), Status.CONTRACT_BROKEN),
        ([fact("CONTRACT_BROKEN", D)], days(180), Status.CONTRACT_BROKEN),
        ([fact("CONTRACT_BROKEN", D)], days(181), Status.DROPPED_OUT),
        ([fact("CONTRACT_BROKEN", D), fact("APPRENTICE", days(100))], days(300), Status.APPRENTICE),
        ([fact("CONTRACT_BROKEN", D), fact("REGISTERED", days(10))], days(100), Status.REGISTERED),
        ([fact("CONTRACT_BROKEN", D), fact("REGISTERED", days(10))], days(101), Status.DROPPED_OUT),
        ([fact("DROPPED_OUT", D)], days(1), Status.DROPPED_OUT),
        ([fact("DROPPED_OUT", D), fact("REGISTERED", days(20))], days(20), Status.REGISTERED),
        ([fact("COMPLETED", D)], days(500), Status.COMPLETED),
        ([fact("APPRENTICE", D), fact("MEETING", days(10), uai=B)], days(20), Status.APPRENTICE),
    ],
)
def test_status_on_a_date(steps, on, expected):
    assert status(steps, on) == expected


def test_order_follows_effective_dates_not_arrival():
    late_report_of_an_earlier_step = [
        fact("APPRENTICE", days(30), arrival=1),
        fact("REGISTERED", D, arrival=2),  # arrived last, happened first
    ]
    assert status(late_report_of_an_earlier_step, days(40)) == Status.APPRENTICE
    assert status(late_report_of_an_earlier_step, days(10)) == Status.REGISTERED


def test_same_day_steps_are_ordered_by_arrival():
    assert status([fact("REGISTERED", D, 1), fact("APPRENTICE", D, 2)], D) == Status.APPRENTICE
    assert status([fact("APPRENTICE", D, 2), fact("REGISTERED", D, 1)], D) == Status.APPRENTICE
    assert status([fact("APPRENTICE", D, 1), fact("REGISTERED", D, 2)], D) == Status.REGISTERED


def test_path_spans_cfas_and_segments_carry_where():
    segments = timeline(
        [fact("REGISTERED", D, uai=A, cert=CAP), fact("APPRENTICE", days(20), uai=B, cert=BTS)], RULES
    )
    assert segments == [
        Segment(D, days(20), Status.REGISTERED, A, CAP, Cause.REPORTED),
        Segment(days(20), None, Status.APPRENTICE, B, BTS, Cause.REPORTED),
    ]


def test_derived_dropout_is_a_segment_with_its_cause():
    assert timeline([fact("REGISTERED", D)], RULES) == [
        Segment(D, days(91), Status.REGISTERED, A, CAP, Cause.REPORTED),
        Segment(days(91), None, Status.DROPPED_OUT, A, CAP, Cause.REGISTERED_TOO_LONG),
    ]


def test_repeated_status_does_not_split_a_segment():
    assert timeline([fact("APPRENTICE", D), fact("APPRENTICE", days(10))], RULES) == [
        Segment(D, None, Status.APPRENTICE, A, CAP, Cause.REPORTED),
    ]


@pytest.mark.parametrize(
    ("contract_end", "training_end", "after_end"),
    [
        (days(700), days(700), Status.COMPLETED),
        (days(700), days(760), Status.COMPLETED),  # 60 days before the training end
        (days(700), days(761), Status.REGISTERED),  # 61 days: the contract ended early
        (days(700), days(640), Status.COMPLETED),  # ends 60 days after the training end
        (days(700), days(639), Status.REGISTERED),
        (days(700), None, Status.REGISTERED),  # no known training end
    ],
)
def test_contract_end_near_the_training_end_completes(contract_end, training_end, after_end):
    steps = [fact("APPRENTICE", D, start=D, end=contract_end)]
    ends = (lambda uai, cert: training_end) if training_end else None
    assert status(steps, contract_end, ends) == Status.APPRENTICE
    assert status(steps, contract_end + timedelta(days=1), ends) == after_end


def test_a_contract_ended_early_leads_to_dropout_after_90_days_without_contract():
    end = days(300)
    steps = [fact("APPRENTICE", D, start=D, end=end)]
    assert status(steps, end + timedelta(days=91)) == Status.REGISTERED
    assert status(steps, end + timedelta(days=92)) == Status.DROPPED_OUT


def test_the_completed_step_gives_the_training_end():
    end = days(700)
    steps = [fact("APPRENTICE", D, start=D, end=end), fact("COMPLETED", days(730))]
    assert status(steps, end + timedelta(days=1)) == Status.COMPLETED
    # a COMPLETED step of another CFA says nothing of this training's end
    other = [fact("APPRENTICE", D, start=D, end=end), fact("COMPLETED", days(730), uai=B)]
    assert status(other, end + timedelta(days=1)) == Status.REGISTERED


def test_a_later_step_before_the_contract_end_overrides_it():
    steps = [fact("APPRENTICE", D, start=D, end=days(700)), fact("CONTRACT_BROKEN", days(100))]
    assert status(steps, days(280)) == Status.CONTRACT_BROKEN  # the contract end no longer applies
    assert status(steps, days(281)) == Status.DROPPED_OUT


def test_thresholds_are_settings():
    strict = Rules(version="strict", registered_dropout_days=30, broken_dropout_days=60)
    assert status_on(timeline([fact("REGISTERED", D)], strict), days(31)).status == Status.DROPPED_OUT
    assert status_on(timeline([fact("CONTRACT_BROKEN", D)], strict), days(60)).status == Status.CONTRACT_BROKEN
    assert status_on(timeline([fact("CONTRACT_BROKEN", D)], strict), days(61)).status == Status.DROPPED_OUT


def test_every_step_kind_against_every_following_step_kind():
    """Exhaustive pairs: after any step, a status step on a later day sets the status that day."""
    for first in Step:
        for second in Step:
            steps = [fact(first.value, D, 1), fact(second.value, days(5), 2)]
            got = status(steps, days(5))
            if second.value in Status.__members__:
                assert got == Status(second.value), (first, second)
            elif first.value in Status.__members__:
                assert got == Status(first.value), (first, second)
            else:
                assert got is None, (first, second)


def test_stored_columns_unpack_to_the_same_segments():
    from app.domain.timeline import unpack

    segments = timeline(
        [fact("REGISTERED", D), fact("APPRENTICE", days(30), uai=B, cert=BTS, end=days(60)), fact("COMPLETED", days(400))],
        RULES,
    )
    columns = [list(column) for column in zip(*[(s.start, s.status, s.uai, s.certification, s.cause) for s in segments])]
    assert unpack(*columns) == segments
    assert unpack([], [], [], [], []) == []
