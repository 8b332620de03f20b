"""Who a record is about, decided from keyed hashes alone (pure: app/services/identity.py reads
and writes the youths). A youth is found by the hash of its INE, else by the hash of its NIR;
when one record's INE and NIR point to two different youths they are merged into one (the one
already stored, preferring the holder of the INE), and two different INEs are never merged: the
INE decides (DOMAIN.md, identifiers).
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

    def root(self) -> MatchedYouth:
        youth = self
        while youth.merged_into is not None:
            youth = youth.merged_into
        return youth


def match(identity: Identity, by_ine: dict[bytes, MatchedYouth], by_nir: dict[bytes, MatchedYouth]) -> MatchedYouth:
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
    return Identity(None, ine_hash, identity.nir_hash if ine_hash is not None else nir_hash, identity.nir_given)
