"""Who a record is about, decided from keyed hashes alone (pure: app/services/identity.py reads
and writes the youths). A youth is found by the hash of its CFA's learner reference (UAI and the
software's learnerRef), else of its INE, else of its NIR; when one record's keys point to two
different youths they are merged into one (the one already stored, preferring the holder of the
INE), and two different INEs are never merged: the INE decides (DOMAIN.md, identifiers; "Youths
without an INE"). A learner reference whose youth has another INE than the record's is a
conflict, refused before matching (LEARNER_CONFLICT); met here (a concurrent batch gave that
youth its INE meanwhile), the INE decides and the reference stays with its youth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class Identity(NamedTuple):
    """Who a record is about: the keyed hashes to match the youth by."""

    ine: str | None  # normalised INE, kept only to be encrypted for a new youth
    ine_hash: bytes | None
    nir_hash: bytes | None
    nir_given: bool
    ref_hash: bytes | None = None  # keyed hash of (UAI, learnerRef)


@dataclass(eq=False, slots=True)
class MatchedYouth:
    id: int | None
    ine_hash: bytes | None
    nir_hash: bytes | None
    nir_given: bool
    ine: str | None = None
    merged_into: MatchedYouth | None = None
    learned: bool = False
    absorbed: list[MatchedYouth] = field(default_factory=list)
    refs: list[bytes] = field(default_factory=list)  # learner references to link to it (not stored yet)

    def root(self) -> MatchedYouth:
        youth = self
        while youth.merged_into is not None:
            youth = youth.merged_into
        return youth


def match(
    identity: Identity, by_ine: dict[bytes, MatchedYouth], by_nir: dict[bytes, MatchedYouth],
    by_ref: dict[bytes, MatchedYouth] | None = None,
) -> MatchedYouth:
    """The youth ``identity`` is about; the dictionaries (the youths found, by key) learn it."""
    ref = identity.ref_hash
    ref_youth = by_ref[ref].root() if by_ref is not None and ref is not None and ref in by_ref else None
    if ref_youth is None or (identity.ine_hash is not None and ref_youth.ine_hash not in (None, identity.ine_hash)):
        youth = _match_keys(identity, by_ine, by_nir)
        if ref is not None and by_ref is not None and ref_youth is None:
            youth.refs.append(ref)
            by_ref[ref] = youth
        return youth
    ine_youth = by_ine[identity.ine_hash].root() if identity.ine_hash in by_ine else None
    if ine_youth is not None and ine_youth is not ref_youth:
        youth = merge(ine_youth, ref_youth)  # the learner had no INE yet
    else:
        youth = ref_youth
        if identity.ine_hash is not None and youth.ine_hash is None:
            youth.ine_hash, youth.ine, youth.learned = identity.ine_hash, identity.ine, True
    if identity.nir_hash and youth.nir_hash is None and identity.nir_hash not in by_nir:
        youth.nir_hash, youth.learned = identity.nir_hash, True
    return _noted(identity, youth, by_ine, by_nir)


def _match_keys(identity: Identity, by_ine: dict[bytes, MatchedYouth], by_nir: dict[bytes, MatchedYouth]) -> MatchedYouth:
    """The youth of the record's INE and NIR."""
    by_ine_youth = by_ine[identity.ine_hash].root() if identity.ine_hash in by_ine else None
    by_nir_youth = by_nir[identity.nir_hash].root() if identity.nir_hash in by_nir else None

    if by_ine_youth and by_nir_youth and by_ine_youth is not by_nir_youth:
        if by_nir_youth.ine_hash is not None:
            youth = by_ine_youth  # two INEs: never merged; the INE decides
        else:
            youth = merge(by_ine_youth, by_nir_youth)
    elif by_ine_youth:
        youth = by_ine_youth
        if identity.nir_hash and youth.nir_hash is None and identity.nir_hash not in by_nir:
            youth.nir_hash, youth.learned = identity.nir_hash, True
    elif by_nir_youth:
        youth = by_nir_youth
        if identity.ine_hash:
            if youth.ine_hash is None:
                youth.ine_hash, youth.ine, youth.learned = identity.ine_hash, identity.ine, True
            else:  # the NIR's youth has another INE: the INE decides, a new youth it is
                youth = MatchedYouth(None, identity.ine_hash, None, identity.nir_given, identity.ine)
    else:
        youth = MatchedYouth(None, identity.ine_hash, identity.nir_hash, identity.nir_given, identity.ine)
    return _noted(identity, youth, by_ine, by_nir)


def _noted(
    identity: Identity, youth: MatchedYouth, by_ine: dict[bytes, MatchedYouth], by_nir: dict[bytes, MatchedYouth],
) -> MatchedYouth:
    """``youth``, having learned that a NIR was given, entered in the dictionaries."""
    if identity.nir_given and not youth.nir_given:
        youth.nir_given, youth.learned = True, True
    if youth.ine_hash:
        by_ine[youth.ine_hash] = youth
    if youth.nir_hash:
        by_nir[youth.nir_hash] = youth
    return youth


def merge(a: MatchedYouth, b: MatchedYouth) -> MatchedYouth:
    """Keep the stored youth (the INE holder ``a`` when both are stored); absorb the other."""
    keep, drop = (a, b) if a.id is not None or b.id is None else (b, a)
    drop.merged_into = keep
    keep.absorbed.append(drop)
    keep.absorbed.extend(drop.absorbed)
    keep.refs.extend(drop.refs)
    for attribute in ("ine_hash", "ine", "nir_hash"):
        if getattr(keep, attribute) is None and getattr(drop, attribute) is not None:
            setattr(keep, attribute, getattr(drop, attribute))
            keep.learned = True
    if drop.nir_given and not keep.nir_given:
        keep.nir_given, keep.learned = True, True
    return keep


def as_wish_youth(identity: Identity, ine_hash: bytes | None, nir_hash: bytes | None) -> Identity | None:
    """The identity of a step linked to a wish whose youth has these keyed hashes, as that youth;
    None when the step names another youth (WISH_YOUTH_MISMATCH). An INE must be the youth's (a
    NIR's keyed hash decides only when the youth has no INE); without an INE the step takes the
    youth's keys (its NIR, when it has one, must not be another's)."""
    if identity.ine_hash is not None:
        if ine_hash is not None:
            return identity if identity.ine_hash == ine_hash else None
        return identity if identity.nir_hash is not None and identity.nir_hash == nir_hash else None
    if identity.nir_hash is not None and nir_hash is not None and identity.nir_hash != nir_hash:
        return None
    return Identity(None, ine_hash, identity.nir_hash if ine_hash is not None else nir_hash, identity.nir_given,
                    identity.ref_hash)
