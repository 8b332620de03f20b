"""Youth matching from keyed hashes (app/domain/matching.py), case by case as DOMAIN.md states
it: the INE decides, a NIR finds a youth without INE, one record proving two youths the same
merges them into the stored one (the INE holder first), two INEs are never merged."""

from __future__ import annotations

import pytest

from app.domain.matching import Identity, MatchedYouth, as_wish_youth, match, merge

I1, I2, N1, N2 = b"ine-1", b"ine-2", b"nir-1", b"nir-2"


def stored(youth_id, ine_hash=None, nir_hash=None, nir_given=False):
    return MatchedYouth(youth_id, ine_hash, nir_hash, nir_given, "INE" if ine_hash else None)


def index(*youths):
    return ({y.ine_hash: y for y in youths if y.ine_hash}, {y.nir_hash: y for y in youths if y.nir_hash})


def test_an_unknown_identity_is_a_new_youth_with_its_hashes():
    by_ine, by_nir = index()
    youth = match(Identity("123456789AB", I1, N1, True), by_ine, by_nir)
    assert (youth.id, youth.ine_hash, youth.nir_hash, youth.nir_given, youth.ine) == (None, I1, N1, True, "123456789AB")
    assert by_ine[I1] is youth and by_nir[N1] is youth  # the next record of the batch finds it


def test_the_ine_finds_its_youth_which_learns_a_new_nir():
    known = stored(1, I1)
    by_ine, by_nir = index(known)
    assert match(Identity(None, I1, N1, False), by_ine, by_nir) is known
    assert (known.nir_hash, known.learned) == (N1, True)


def test_a_nir_already_anothers_is_not_learned_by_the_ine_youth():
    ine_youth, nir_youth = stored(1, I1), stored(2, I2, N1)
    by_ine, by_nir = index(ine_youth, nir_youth)
    assert match(Identity(None, I1, N1, False), by_ine, by_nir) is ine_youth  # two INEs: never merged
    assert (ine_youth.nir_hash, ine_youth.learned, nir_youth.merged_into) == (None, False, None)


def test_a_nir_finds_a_youth_without_ine_which_learns_the_ine():
    known = stored(1, None, N1)
    by_ine, by_nir = index(known)
    assert match(Identity("123456789AB", I1, N1, True), by_ine, by_nir) is known
    assert (known.ine_hash, known.ine, known.learned, known.nir_given) == (I1, "123456789AB", True, True)
    assert by_ine[I1] is known


def test_a_nir_whose_youth_has_another_ine_gives_a_new_youth():
    known = stored(1, I2, N1)
    by_ine, by_nir = index(known)
    youth = match(Identity("123456789AB", I1, N1, True), by_ine, by_nir)
    assert youth is not known and (youth.id, youth.ine_hash, youth.nir_hash) == (None, I1, None)
    assert known.learned is False


def test_an_ine_and_a_nir_of_two_youths_merge_them_into_the_ine_holder():
    ine_youth, nir_youth = stored(1, I1), stored(2, None, N1, nir_given=True)
    by_ine, by_nir = index(ine_youth, nir_youth)
    kept = match(Identity(None, I1, N1, False), by_ine, by_nir)
    assert kept is ine_youth and nir_youth.merged_into is ine_youth and ine_youth.absorbed == [nir_youth]
    assert (kept.nir_hash, kept.nir_given, kept.learned) == (N1, True, True)
    assert by_nir[N1] is kept


def test_a_merge_keeps_the_stored_youth_whichever_holds_the_ine():
    new, old = MatchedYouth(None, I1, None, False, "INE"), stored(7, None, N1)
    kept = merge(new, old)
    assert kept is old and new.merged_into is old and (old.ine_hash, old.ine, old.learned) == (I1, "INE", True)


def test_a_merge_keeps_the_absorbed_youths_of_the_dropped_one():
    keep, drop, earlier = stored(1, I1), stored(2, None, N1), stored(3, None, N2)
    merge(drop, earlier)
    assert merge(keep, drop) is keep and keep.absorbed == [drop, earlier] and earlier.root() is keep


def test_a_merge_learns_nothing_when_the_kept_youth_has_it_all():
    keep, drop = stored(1, I1, N1, nir_given=True), stored(2, None, N2)
    merge(keep, drop)
    assert (keep.ine_hash, keep.nir_hash, keep.learned) == (I1, N1, False)


def test_a_nir_given_is_learned_by_the_youth_found():
    known = stored(1, I1)
    by_ine, by_nir = index(known)
    match(Identity(None, I1, None, True), by_ine, by_nir)
    assert (known.nir_given, known.learned) == (True, True)
    again = stored(2, I2, nir_given=True)
    by_ine, by_nir = index(again)
    match(Identity(None, I2, None, True), by_ine, by_nir)
    assert again.learned is False  # already known


def test_a_new_youth_takes_the_records_nir_given_and_ine_as_they_are():
    by_ine, by_nir = index()
    youth = match(Identity("123456789AB", I1, None, False), by_ine, by_nir)
    assert (youth.nir_given, youth.ine, youth.learned) == (False, "123456789AB", False) and youth.nir_given is False
    known = stored(1, I2, N1)
    by_ine, by_nir = index(known)
    other = match(Identity("123456789AB", I1, N1, False), by_ine, by_nir)  # the NIR's youth has another INE
    assert (other.ine, other.nir_given) == ("123456789AB", False) and other.nir_given is False


def test_learning_an_ine_alone_marks_the_youth_learned():
    known = stored(1, None, N1, nir_given=True)
    by_ine, by_nir = index(known)
    match(Identity("123456789AB", I1, N1, False), by_ine, by_nir)
    assert (known.ine_hash, known.learned) == (I1, True)


def test_a_merge_of_youths_without_nir_given_gives_none():
    keep, drop = stored(1, I1), stored(2, None, N1)
    merge(keep, drop)
    assert (keep.nir_given, keep.nir_hash, keep.learned) == (False, N1, True)


# A step linked to a wish (DOMAIN.md, rules 2027.1) is about the wish's youth.
I1, I2, N1, N2 = b"ine-1", b"ine-2", b"nir-1", b"nir-2"


@pytest.mark.parametrize(("step", "wish_youth", "expected"), [
    # (ine_hash, nir_hash) of the step; of the wish's youth; the step's identity, or None: WISH_YOUTH_MISMATCH
    ((I1, None), (I1, None), (I1, None)),
    ((I1, N1), (I1, N2), (I1, N1)),  # the INE decides when both have one
    ((I2, None), (I1, None), None),
    ((I1, None), (None, N1), None),  # an INE for a youth known by its NIR alone: only with that NIR
    ((I1, N1), (None, N1), (I1, N1)),
    ((I1, N2), (None, N1), None),
    ((None, None), (I1, None), (I1, None)),  # no INE: the wish's youth
    ((None, None), (I1, N1), (I1, None)),
    ((None, N1), (I1, None), (I1, N1)),  # its NIR comes along (the youth learns it)
    ((None, N1), (I1, N1), (I1, N1)),
    ((None, N2), (I1, N1), None),  # another NIR: another person
    ((None, None), (None, N1), (None, N1)),
    ((None, N1), (None, N1), (None, N1)),
])
def test_a_linked_steps_identity_is_the_wish_youths_or_none(step, wish_youth, expected):
    identity = Identity(None, step[0], step[1], step[1] is not None)
    joined = as_wish_youth(identity, *wish_youth)
    assert (None if joined is None else (joined.ine_hash, joined.nir_hash)) == expected
    if joined is not None:  # whether a NIR was given stays the record's
        assert joined.nir_given is identity.nir_given and joined.ine is None


# Learner references (issue 18): the CFA software's id of the learner, keyed with the UAI.
R1, R2 = b"ref-1", b"ref-2"


def refs(*youths_and_refs):
    return {ref: youth for youth, ref in youths_and_refs}


def test_a_learner_alone_is_a_new_youth_linked_to_its_reference():
    by_ine, by_nir = index()
    by_ref: dict = {}
    youth = match(Identity(None, None, None, False, R1), by_ine, by_nir, by_ref)
    assert (youth.id, youth.ine_hash, youth.nir_hash, youth.refs) == (None, None, None, [R1])
    assert by_ref[R1] is youth
    assert match(Identity(None, None, None, False, R1), by_ine, by_nir, by_ref) is youth  # found again
    assert youth.refs == [R1]  # linked once


def test_the_reference_finds_its_youth_which_learns_a_late_ine_and_nir():
    learner = stored(1)
    by_ine, by_nir = index(learner)
    by_ref = refs((learner, R1))
    youth = match(Identity("123456789AB", I1, N1, True, R1), by_ine, by_nir, by_ref)
    assert youth is learner
    assert (youth.ine_hash, youth.ine, youth.nir_hash, youth.nir_given, youth.learned) == (I1, "123456789AB", N1, True, True)
    assert youth.refs == [] and by_ine[I1] is youth and by_nir[N1] is youth


def test_a_reference_found_with_the_same_ine_learns_nothing():
    learner = stored(1, I1)
    by_ine, by_nir = index(learner)
    youth = match(Identity("123456789AB", I1, None, False, R1), by_ine, by_nir, refs((learner, R1)))
    assert youth is learner and not youth.learned


def test_a_late_ine_already_known_merges_the_learner_into_the_ine_holder():
    learner, holder = stored(1), stored(2, I1, N2)
    by_ine, by_nir = index(learner, holder)
    by_ref = refs((learner, R1))
    youth = match(Identity("123456789AB", I1, None, False, R1), by_ine, by_nir, by_ref)
    assert youth is holder and learner.merged_into is holder and holder.absorbed == [learner]
    assert by_ref[R1].root() is holder


def test_a_new_youth_of_the_batch_keeps_the_stored_learner_and_its_new_links():
    learner = stored(1)
    by_ine, by_nir = index(learner)
    by_ref = refs((learner, R1))
    fresh = match(Identity("123456789AB", I1, None, False, R2), by_ine, by_nir, by_ref)  # new youth, new link
    assert fresh.id is None and fresh.refs == [R2]
    youth = match(Identity("123456789AB", I1, None, False, R1), by_ine, by_nir, by_ref)  # R1's learner is I1
    assert youth is learner and fresh.merged_into is learner
    assert (learner.ine_hash, learner.refs) == (I1, [R2])  # the new link moves to the kept youth


def test_a_reference_whose_youth_has_another_ine_never_merges_two_persons():
    learner, holder = stored(1, I2), stored(2, I1)
    by_ine, by_nir = index(learner, holder)
    by_ref = refs((learner, R1))
    youth = match(Identity("123456789AB", I1, None, False, R1), by_ine, by_nir, by_ref)
    assert youth is holder and learner.merged_into is None and holder.merged_into is None
    assert by_ref[R1] is learner and holder.refs == []  # the reference stays with its youth
    unknown = match(Identity("123456789AC", b"ine-3", None, False, R1), by_ine, by_nir, by_ref)
    assert unknown.id is None and unknown.refs == [] and learner.ine_hash == I2


def test_a_known_ine_with_a_new_reference_links_it():
    holder = stored(2, I1)
    by_ine, by_nir = index(holder)
    by_ref: dict = {}
    youth = match(Identity("123456789AB", I1, None, False, R1), by_ine, by_nir, by_ref)
    assert youth is holder and youth.refs == [R1] and by_ref[R1] is holder


def test_a_nir_with_a_reference_is_learned_unless_anothers():
    learner, other = stored(1), stored(2, I2, N2)
    by_ine, by_nir = index(learner, other)
    by_ref = refs((learner, R1))
    assert match(Identity(None, None, N2, True, R1), by_ine, by_nir, by_ref) is learner
    assert learner.nir_hash is None and learner.nir_given  # N2 is another's: not learned
    assert match(Identity(None, None, N1, True, R1), by_ine, by_nir, by_ref) is learner
    assert learner.nir_hash == N1 and by_nir[N1] is learner


def test_without_references_matching_is_as_before():
    holder = stored(2, I1)
    by_ine, by_nir = index(holder)
    assert match(Identity("123456789AB", I1, None, False, R1), by_ine, by_nir) is holder
    assert holder.refs == []  # no reference dictionary: nothing linked


def test_a_linked_step_keeps_its_learner_reference():
    joined = as_wish_youth(Identity(None, None, None, False, R1), I1, None)
    assert joined is not None and (joined.ine_hash, joined.ref_hash) == (I1, R1)


def test_a_learner_learning_its_ine_alone_is_marked_learned():
    learner = stored(1)
    by_ine, by_nir = index(learner)
    youth = match(Identity("123456789AB", I1, None, False, R1), by_ine, by_nir, refs((learner, R1)))
    assert youth is learner and (youth.ine_hash, youth.learned) == (I1, True)


def test_a_learner_learning_its_nir_alone_is_marked_learned():
    learner = stored(1, nir_given=True)  # it already said a NIR was given
    by_ine, by_nir = index(learner)
    youth = match(Identity(None, None, N1, True, R1), by_ine, by_nir, refs((learner, R1)))
    assert youth is learner and (youth.nir_hash, youth.learned) == (N1, True)
