"""Youths seen by the roles allowed to: look-up by identifier (audited), history, situation,
erasure on request (RGPD)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import Row

from app.auth import Principal
from app.db import RequestSession
from app.domain.identifiers import Invalid, check_ine, check_learner_ref, check_nir
from app.domain.timeline import Segment, status_on, unpack
from app.errors import BadInput
from app.repositories.feedback import FeedbackRepository
from app.repositories.paths import PathRepository
from app.repositories.steps import StepRepository
from app.repositories.wishes import WishRepository
from app.repositories.youths import YouthRepository
from app.security import IdentityVault
from app.services import outcomes
from app.services.arguments import uai_argument
from app.services.paths import forget
from app.settings import NirMatching, Settings


class Keys(NamedTuple):
    """How a youth is looked up: keyed hashes of its CFA's learner reference, its INE, its NIR."""

    ref_hash: bytes | None
    ine_hash: bytes | None
    nir_hash: bytes | None


def _keys(
    vault: IdentityVault, settings: Settings, ine: str | None, nir: str | None, uai: str | None, learner_ref: str | None,
) -> Keys:
    """The keys given, checked: a learner reference goes with its CFA's UAI."""
    ref_hash = None
    if learner_ref is not None or uai is not None:
        if learner_ref is None or uai is None:
            missing = "learnerRef" if learner_ref is None else "uai"
            raise BadInput(f"{missing}: a learner reference is the CFA's UAI and its learnerRef together",
                           field=missing, reason="MISSING_FIELD")
        checked_ref = check_learner_ref(learner_ref)
        if isinstance(checked_ref, Invalid):
            raise BadInput(f"learnerRef: {checked_ref.message}", field="learnerRef", reason=checked_ref.code)
        ref_hash = vault.hash_learner(uai_argument(uai, "uai"), checked_ref)
        if not ine and not nir:
            return Keys(ref_hash, None, None)
    ine_hash, nir_hash = _hashes(vault, settings, ine, nir)
    return Keys(ref_hash, ine_hash, nir_hash)


def _hashes(vault: IdentityVault, settings: Settings, ine: str | None, nir: str | None) -> tuple[bytes | None, bytes | None]:
    if not ine and not nir:
        raise BadInput("ine/nir: give the youth's INE, NIR, or its CFA's uai and learnerRef", field="ine",
                       reason="IDENTITY_MISSING")
    ine_hash = nir_hash = None
    if ine:
        checked = check_ine(ine)
        if isinstance(checked, Invalid):
            raise BadInput(f"ine: {checked.message}", field="ine", reason=checked.code)
        ine_hash = vault.hash_ine(checked)
    if nir:
        checked_nir = check_nir(nir)
        if isinstance(checked_nir, Invalid):
            raise BadInput(f"nir: {checked_nir.message}", field="nir", reason=checked_nir.code)
        if settings.nir_matching == NirMatching.HMAC:
            nir_hash = vault.hash_nir(checked_nir)
    return ine_hash, nir_hash


async def find_youth(
    db: RequestSession, vault: IdentityVault, settings: Settings, principal: Principal,
    *, ine: str | None, nir: str | None, request_id: str | None, uai: str | None = None, learner_ref: str | None = None,
) -> int | None:
    """The youth's id, or None; a found youth is written to the audit log."""
    keys = _keys(vault, settings, ine, nir, uai, learner_ref)
    youth_id = await _youth_of(YouthRepository(db), keys)
    if youth_id is not None:
        await FeedbackRepository(db).audit(principal.client_id, "youth", [youth_id], [], request_id)
    return youth_id


async def erase_youth(
    db: RequestSession, vault: IdentityVault, settings: Settings, principal: Principal,
    *, ine: str | None, nir: str | None, request_id: str | None, uai: str | None = None, learner_ref: str | None = None,
) -> bool:
    """Remove the youth, its steps, path and learner references; its wishes stay for statistics,
    unlinked, their outcomes recomputed without the erased steps."""
    keys = _keys(vault, settings, ine, nir, uai, learner_ref)
    repository = YouthRepository(db)
    await repository.take_deletion_lock()  # batches in flight finish first
    youth_id = await _youth_of(repository, keys)
    if youth_id is None:
        return False
    # The outcomes its steps gave (its wishes, and wishes its steps were linked to) go with them.
    wish_ids = await WishRepository(db).ids_of_youth(youth_id)
    links = await StepRepository(db).links_of_youth(youth_id)
    await forget(db, [youth_id])
    await repository.erase(youth_id)
    await outcomes.refresh(db, wish_ids=wish_ids, links=links)
    await FeedbackRepository(db).audit(principal.client_id, "eraseYouth", [youth_id], [], request_id)
    return True


async def _youth_of(repository: YouthRepository, keys: Keys) -> int | None:
    """The youth of these keys: by its learner reference first, else its INE or NIR."""
    if keys.ref_hash is not None:
        found = await repository.learners([keys.ref_hash])
        if found:
            youth_id: int = found[0][1]
            return youth_id
    if keys.ine_hash is None and keys.nir_hash is None:
        return None
    return await repository.id_by_hashes(keys.ine_hash, keys.nir_hash)


async def ines(db: RequestSession, vault: IdentityVault, youth_ids: Sequence[int]) -> list[str | None]:
    rows = {row.id: row for row in await YouthRepository(db).by_ids(youth_ids)}
    out: list[str | None] = []
    for youth_id in youth_ids:
        row = rows.get(youth_id)
        out.append(vault.decrypt_ine(row.ine_encrypted) if row is not None and row.ine_encrypted else None)
    return out


async def histories(db: RequestSession, youth_ids: Sequence[int]) -> list[list[Row[Any]]]:
    by_youth: dict[int, list[Row[Any]]] = defaultdict(list)
    for row in await StepRepository(db).of_youths(youth_ids):
        by_youth[row.youth_id].append(row)
    return [by_youth.get(youth_id, []) for youth_id in youth_ids]


async def situations(db: RequestSession, keys: Sequence[tuple[int, date]]) -> list[tuple[Segment, str] | None]:
    """The path segment covering each (youth, day), with its rule version; one query."""
    rows = await PathRepository(db).of_youths(sorted({youth_id for youth_id, _ in keys}))
    stored = {
        row.youth_id: (unpack(row.starts, row.statuses, row.uais, row.certifications, row.causes), row.rule_version)
        for row in rows
    }
    out: list[tuple[Segment, str] | None] = []
    for youth_id, day in keys:
        segments, rule_version = stored.get(youth_id, ([], ""))
        segment = status_on(segments, day)
        out.append(None if segment is None else (segment, rule_version))
    return out


async def purge_candidates(db: RequestSession, cutoff: date, after_id: int, limit: int, *, lock: bool = False) -> list[int]:
    """Youths with no step effective and no wish submitted since ``cutoff``, in id order. With
    ``lock``, the youth deletion lock is taken first (held until the transaction ends): no batch
    gives them a step between this look and their purge."""
    repository = YouthRepository(db)
    if lock:
        await repository.take_deletion_lock()
    return await repository.purge_candidates(cutoff, after_id, limit)


async def purge(db: RequestSession, youth_ids: Sequence[int]) -> None:
    """Retention: these youths, their steps, paths and spans of risk go; their wishes stay,
    unlinked, with their outcomes. The headcounts' change points are kept: figures of past school
    years do not move when old data is purged (unlike an erasure on request, which takes the
    youth out of them too)."""
    await YouthRepository(db).purge(youth_ids)
