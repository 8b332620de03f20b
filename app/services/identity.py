"""Youth matching for a batch: find youths by keyed hashes, create the new ones, merge the
youths that one record proves to be the same person, learn identifiers youths lacked.

A youth is found by the keyed hash of its INE, else (with ``HUB_NIR_MATCHING=hmac``) by the keyed
hash of its NIR. When one record brings an INE and a NIR that point to two different youths,
they are merged into one (the one already stored, preferring the holder of the INE) and nothing
is lost: steps and wishes move to the kept youth. Two different INEs are never merged. The
rules themselves are pure, in app/domain/matching.py; this module reads and writes the youths.

Every statement here is set-based: a batch costs the same few statements whatever its size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, cast

from app.db import RequestSession
from app.domain.matching import Identity, MatchedYouth, match
from app.repositories.youths import LearnersMoved, YouthRepository
from app.security import IdentityVault
from app.services.known_youths import KnownYouths
from app.services.paths import forget


class _ByIne(Protocol):
    """An identity known by its INE (what :func:`_resolve_by_ine` is given)."""

    @property
    def ine(self) -> str: ...
    @property
    def ine_hash(self) -> bytes: ...
    @property
    def nir_given(self) -> bool: ...


@dataclass(frozen=True)
class Resolution:
    youth_ids: list[int]  # one per identity given, in order
    merged: list[tuple[int, int]]  # (dropped, kept)
    created: frozenset[int]  # ids of the youths this batch created


async def resolve_youths(
    db: RequestSession, vault: IdentityVault, identities: Sequence[Identity], also_lock: Sequence[int] = (),
    *, lock: bool = True, optimistic: bool = False, known: KnownYouths | None = None,
) -> Resolution:
    """Match every identity to a youth id. The youths found (and ``also_lock``) stay locked until
    the transaction ends, unless ``lock`` is false: then the caller holds the deletion lock
    shared (YouthRepository.share_deletion_lock) and no identity has a NIR hash. ``optimistic``:
    youths known by their INE alone are created by a plain insert, which raises
    UniqueViolationError when a concurrent transaction created one of them meanwhile (the
    caller, inside a savepoint, rolls back to it and resolves them again without). ``known``:
    the process's cache of youths known to exist, used when ``lock`` is false."""
    repository = YouthRepository(db)
    ine_hashes = {i.ine_hash for i in identities if i.ine_hash}
    nir_hashes = {i.nir_hash for i in identities if i.nir_hash}
    ref_hashes = sorted({i.ref_hash for i in identities if i.ref_hash})
    if not nir_hashes and all((i.ine_hash is None) != (i.ref_hash is None) for i in identities):
        # One key each, an INE or a learner reference, and no NIR to match by (the default,
        # HUB_NIR_MATCHING=off): no merge can happen.
        return await _resolve_single_keys(repository, vault, identities, ine_hashes, ref_hashes, also_lock, lock,
                                          optimistic, known)
    if not lock:
        raise ValueError("youths matched by NIR or learner reference are locked (they may be merged)")
    learner_of = {ref_hash: youth_id for ref_hash, youth_id, _ in await repository.learners(ref_hashes)}
    by_ine: dict[bytes, MatchedYouth] = {}
    by_nir: dict[bytes, MatchedYouth] = {}
    by_id: dict[int, MatchedYouth] = {}
    learners = set(learner_of.values())
    for youth_id, ine_hash, nir_hash, nir_given in await repository.find(
            sorted(ine_hashes), sorted(nir_hashes), sorted(set(also_lock) | learners)):
        if ((ine_hash is None or ine_hash not in ine_hashes) and (nir_hash is None or nir_hash not in nir_hashes)
                and youth_id not in learners):
            continue  # locked only
        youth = by_id[youth_id] = MatchedYouth(youth_id, ine_hash, nir_hash, nir_given)
        if ine_hash:
            by_ine[ine_hash] = youth
        if nir_hash:
            by_nir[nir_hash] = youth
    if not learners <= by_id.keys():  # merged away by a concurrent batch since the look-up
        raise LearnersMoved("a learner's youth was merged by a concurrent batch")
    by_ref = {ref_hash: by_id[youth_id] for ref_hash, youth_id in learner_of.items()}

    handles = [match(identity, by_ine, by_nir, by_ref if ref_hashes else None) for identity in identities]

    roots = list({id(h.root()): h.root() for h in handles}.values())
    # Merges of stored youths: dropped ones give their steps and wishes to the kept one.
    merged = [(d.id, y.id) for y in roots if y.id is not None for d in y.absorbed if d.id is not None]
    if merged:
        await forget(db, [d for d, _ in merged])
        await repository.merge([d for d, _ in merged], [k for _, k in merged])

    learned = [(y.id, y) for y in roots if y.learned and y.id is not None]  # stored youths only
    keyless = [y for y in roots if y.id is None and y.ine_hash is None and y.nir_hash is None]  # learners alone
    for youth, youth_id in zip(keyless, await repository.insert_keyless([y.nir_given for y in keyless])):
        youth.id = youth_id
    new = [y for y in roots if y.id is None]
    created: set[int] = {y.id for y in keyless if y.id is not None}
    if new:
        rows = await repository.insert_new(
            [(y.ine_hash, vault.encrypt_ine(y.ine) if y.ine else None, y.nir_hash, y.nir_given) for y in new]
        )
        by_hash = {(ine_hash, nir_hash): youth_id for youth_id, ine_hash, nir_hash in rows}
        for youth in new:
            youth.id = by_hash.get((youth.ine_hash, youth.nir_hash))
        created |= {y.id for y in new if y.id is not None}
        missing = [y for y in new if y.id is None]
        if missing:  # created meanwhile by a concurrent batch: take theirs
            found = await repository.find(
                [y.ine_hash for y in missing if y.ine_hash], [y.nir_hash for y in missing if y.nir_hash]
            )
            for youth in missing:
                for other in found:
                    if (youth.ine_hash and other.ine_hash == youth.ine_hash) or (
                            youth.nir_hash and other.nir_hash == youth.nir_hash):
                        youth.id = other.id
                        break
    if learned:
        await repository.learn_identifiers(
            [(youth_id, y.ine_hash, vault.encrypt_ine(y.ine) if y.ine else None, y.nir_hash, y.nir_given)
             for youth_id, y in learned]
        )
    await repository.link_learners([(ref_hash, _stored_id(y)) for y in roots for ref_hash in y.refs])
    return Resolution(
        youth_ids=[_stored_id(h.root()) for h in handles],
        merged=merged,
        created=frozenset(created),
    )


async def _resolve_single_keys(
    repository: YouthRepository, vault: IdentityVault, identities: Sequence[Identity], ine_hashes: set[bytes],
    ref_hashes: list[bytes], also_lock: Sequence[int], lock: bool, optimistic: bool, known: KnownYouths | None,
) -> Resolution:
    """Matching when each identity has one key, its INE or its learner reference: the learners
    found, the new ones created without INE and linked; the INEs as :func:`_resolve_by_ine` does.
    Merges need two keys on one record: none here. A youth known by a reference alone has that
    one reference; its row is locked (shared when youths are not), so that a batch merging it
    waits; a youth merged away since the look-up, or a learner another batch created meanwhile
    (YouthRepository.link_learners), runs the batch again (LearnersMoved)."""
    youth_of_ref: dict[bytes, int] = {}
    created: set[int] = set()
    if ref_hashes:
        given = {i.ref_hash for i in identities if i.ref_hash is not None and i.nir_given}
        learned = []
        for ref_hash, youth_id, _, nir_given in await repository.learners(ref_hashes, with_nir_given=True):
            youth_of_ref[ref_hash] = youth_id
            if ref_hash in given and not nir_given:
                learned.append(youth_id)
        found = sorted(set(youth_of_ref.values()))
        if await repository.lock(found, shared=not lock) != len(found):
            raise LearnersMoved("a learner's youth was merged by a concurrent batch")
        missing = [ref_hash for ref_hash in ref_hashes if ref_hash not in youth_of_ref]
        ids = await repository.insert_keyless([ref_hash in given for ref_hash in missing])
        await repository.link_learners(list(zip(missing, ids)))
        youth_of_ref.update(zip(missing, ids))
        created.update(ids)
        if learned:
            await repository.mark_nir_given(learned)
    by_ine = cast(Sequence[_ByIne], [i for i in identities if i.ine_hash is not None])
    if by_ine or also_lock:
        resolved = await _resolve_by_ine(repository, vault, by_ine, ine_hashes, also_lock, lock, optimistic, known)
    else:
        resolved = Resolution(youth_ids=[], merged=[], created=frozenset())
    of_ine = iter(resolved.youth_ids)
    return Resolution(
        youth_ids=[youth_of_ref[i.ref_hash] if i.ref_hash is not None else next(of_ine) for i in identities],
        merged=[], created=frozenset(created | resolved.created),
    )


async def _resolve_by_ine(
    repository: YouthRepository, vault: IdentityVault, identities: Sequence[_ByIne], ine_hashes: set[bytes],
    also_lock: Sequence[int], lock: bool, optimistic: bool, known: KnownYouths | None,
) -> Resolution:
    """Matching when every identity has an INE hash and none a NIR hash: a dictionary look-up per
    record, the new INEs created, the fact that a NIR was given learned."""
    youth_of: dict[bytes, int] = {}
    nir_given_of: dict[bytes, bool] = {}
    given = {i.ine_hash for i in identities if i.nir_given}

    async def find(hashes: list[bytes], also: Sequence[int] = ()) -> None:
        """Fill youth_of and nir_given_of for the youths with these hashes (and lock ``also``)."""
        if lock:
            for youth in await repository.find(hashes, [], also):
                if youth.ine_hash in ine_hashes:
                    youth_of[youth.ine_hash] = youth.id
                    nir_given_of[youth.ine_hash] = youth.nir_given
            return
        cached: dict[bytes, int] = {}
        wanted = hashes
        if known is not None:  # the youths whose nir_given may have to be learned are read
            cached, hashes = known.known(h for h in wanted if h not in given)
            if given:
                hashes = sorted(hashes + [h for h in wanted if h in given])
        deletions, ids, nir_given_flags = await repository.find_by_ine(hashes)
        if known is not None:
            if not known.still_valid(deletions) and cached:  # youths were deleted since: all looked up
                hashes, cached = wanted, {}
                deletions, ids, nir_given_flags = await repository.find_by_ine(hashes)
            known.remember(hashes, ids)
        youth_of.update(cached)
        youth_of.update((h, youth_id) for h, youth_id in zip(hashes, ids) if youth_id is not None)
        nir_given_of.update((h, flag) for h, flag in zip(hashes, nir_given_flags) if flag is not None)

    await find(sorted(ine_hashes), also_lock)
    learned = [youth_of[h] for h in given if h in youth_of and not nir_given_of[h]]
    created: frozenset[int] = frozenset()
    new = {i.ine_hash: i.ine for i in identities if i.ine_hash not in youth_of}
    if new:
        encrypt = vault.encrypt_ine
        ids, hashes = await repository.insert_by_ine(
            list(new), [encrypt(ine) for ine in new.values()], [h in given for h in new], skip_taken=not optimistic
        )
        created = frozenset(ids)
        youth_of.update(zip(hashes, ids))
        missing = [h for h in new if h not in youth_of]
        if missing:  # created meanwhile by a concurrent batch: take theirs
            await find(missing)
            learned += [youth_of[h] for h in missing if h in given and not nir_given_of[h]]
    if learned:
        await repository.mark_nir_given(learned)
    return Resolution(youth_ids=[youth_of[i.ine_hash] for i in identities], merged=[], created=created)


def _stored_id(youth: MatchedYouth) -> int:
    """The id of a youth found or created by now."""
    if youth.id is None:
        raise RuntimeError("a matched youth was neither found nor created")
    return youth.id
