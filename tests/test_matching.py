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
