"""recordSteps: vendors push youths' steps for the CFAs that consented and authorised them.

Each record is validated on its own, in one tight loop over the records as the GraphQL
variables give them (dicts keyed by the StepInput field names: no per-record typed conversion).
Valid records are written with a constant number of set-based statements; invalid ones are
reported (index, eventId, field, code) and kept for ``myRejections``. Nothing of a rejected
record is stored: no youth is created for it.

Idempotency: the same eventId from the same vendor with the same content is ``unchanged``; with
other content it replaces the stored event (a correction) and the paths are recomputed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from app.auth import Principal
from app.db import RequestSession
from app.domain.batch import BatchResult
from app.domain.identifiers import Invalid, check_certification, check_ine, check_nir, check_uai
from app.domain.timeline import CONTRACT_STEPS, Step
from app.repositories.feedback import FeedbackRepository
from app.repositories.steps import StepRepository
from app.security import IdentityVault
from app.services.identity import Identity, resolve_youths
from app.services.paths import recompute
from app.settings import NirMatching, Settings

OPERATION = "recordSteps"
EARLIEST = date(2000, 1, 1)
MAX_ID_LENGTH = 100
PORTALS = frozenset({"PARCOURSUP", "AFFELNET"})


@dataclass(slots=True)
class _Valid:
    index: int
    event_id: str
    uai: str
    identity: Identity
    certification: str
    certification_kind: str
    step: str
    effective_date: date
    portal: str | None
    portal_wish_id: str | None
    contract_start: date | None
    contract_end: date | None
    content_hash: bytes


def _value(raw: Any) -> Any:
    """Enum members (from GraphQL) or plain strings (from files) alike."""
    return getattr(raw, "value", raw)


def _text(raw: Any) -> str | None:
    if raw is None:
        return None
    value = str(raw).strip()
    return value or None


async def record_steps(
    db: RequestSession,
    vault: IdentityVault,
    settings: Settings,
    principal: Principal,
    records: Sequence[Mapping[str, Any]],
    *,
    today: date | None = None,
) -> BatchResult:
    result = BatchResult()
    today = today or date.today()
    latest = today + timedelta(days=1)
    nir_hmac = settings.nir_matching == NirMatching.HMAC
    valid: list[_Valid] = []
    seen: set[str] = set()

    for index, record in enumerate(records):
        event_id = _text(record.get("eventId"))
        reject = result.reject
        if event_id is None or len(event_id) > MAX_ID_LENGTH:
            reject(index, event_id, "eventId", "INVALID_EVENT_ID", f"eventId is 1 to {MAX_ID_LENGTH} characters")
            continue
        if event_id in seen:
            reject(index, event_id, "eventId", "DUPLICATE_IN_BATCH", "this eventId appears earlier in the same batch")
            continue
        seen.add(event_id)
        uai = check_uai(record.get("uai") or "")
        if isinstance(uai, Invalid):
            reject(index, event_id, "uai", uai.code, uai.message)
            continue
        raw_ine, raw_nir = _text(record.get("ine")), _text(record.get("nir"))
        if raw_ine is None and raw_nir is None:
            reject(index, event_id, "ine", "IDENTITY_MISSING", "give the youth's ine, nir, or both")
            continue
        ine = nir = None
        if raw_ine is not None:
            ine = check_ine(raw_ine)
            if isinstance(ine, Invalid):
                reject(index, event_id, "ine", ine.code, ine.message)
                continue
        if raw_nir is not None:
            nir = check_nir(raw_nir)
            if isinstance(nir, Invalid):
                reject(index, event_id, "nir", nir.code, nir.message)
                continue
        if ine is None and not nir_hmac:
            reject(
                index, event_id, "ine", "INE_REQUIRED",
                "this hub does not match youths by NIR (HUB_NIR_MATCHING=off): send the INE",
            )
            continue
        certification = check_certification(record.get("certification") or "")
        if isinstance(certification, Invalid):
            reject(index, event_id, "certification", certification.code, certification.message)
            continue
        step = _value(record.get("step"))
        if step not in Step.__members__:
            reject(index, event_id, "step", "INVALID_STEP", "step is one of " + ", ".join(Step.__members__))
            continue
        effective = record.get("effectiveDate")
        if not isinstance(effective, date) or effective > latest or effective < EARLIEST:
            reject(
                index, event_id, "effectiveDate", "INVALID_DATE",
                "effectiveDate must be a date from 2000-01-01 to tomorrow at the latest",
            )
            continue
        portal, wish_id = _value(record.get("portal")), _text(record.get("portalWishId"))
        if (portal is None) != (wish_id is None) or (portal is not None and portal not in PORTALS):
            field_name = "portal" if portal is None else "portalWishId"
            reject(index, event_id, field_name, "INVALID_WISH_LINK", "portal and portalWishId go together")
            continue
        if wish_id is not None and len(wish_id) > MAX_ID_LENGTH:
            reject(index, event_id, "portalWishId", "INVALID_WISH_LINK", f"portalWishId is at most {MAX_ID_LENGTH} characters")
            continue
        start, end = record.get("contractStart"), record.get("contractEnd")
        if (start is not None or end is not None) and step not in CONTRACT_STEPS:
            field_name = "contractStart" if start is not None else "contractEnd"
            reject(index, event_id, field_name, "INVALID_DATE", "contract dates go only with APPRENTICE or CONTRACT_BROKEN")
            continue
        if start is not None and end is not None and end < start:
            reject(index, event_id, "contractEnd", "INVALID_DATE", "contractEnd is before contractStart")
            continue
        if step == Step.APPRENTICE and end is not None and end < effective:
            reject(index, event_id, "contractEnd", "INVALID_DATE", "contractEnd is before the step's effectiveDate")
            continue
        ine_hash = vault.hash_ine(ine) if ine else None
        nir_hash = vault.hash_nir(nir) if nir and nir_hmac else None
        content = "|".join(
            (uai, (ine_hash or b"").hex(), (nir_hash or b"").hex(), certification.code, step, effective.isoformat(),
             portal or "", wish_id or "", start.isoformat() if start else "", end.isoformat() if end else "")
        )
        valid.append(_Valid(
            index, event_id, uai, Identity(ine, ine_hash, nir_hash, nir is not None), certification.code,
            certification.kind.value, step, effective, portal, wish_id, start, end,
            hashlib.sha256(content.encode()).digest(),
        ))

    steps = StepRepository(db)
    if valid:
        valid = await _check_rights(steps, principal, valid, result)
    if valid:
        known = {row.event_id: row for row in await steps.known_events(principal.client_id, [v.event_id for v in valid])}
        to_write = [v for v in valid if v.event_id not in known or known[v.event_id].content_hash != v.content_hash]
        result.unchanged = len(valid) - len(to_write)
        if to_write:
            written_youths = await _write(db, vault, steps, principal, to_write, result)
            replaced_youths = [known[v.event_id].youth_id for v in to_write if v.event_id in known]
            await recompute(db, settings, written_youths + replaced_youths)
    await FeedbackRepository(db).add_rejections(principal.client_id, OPERATION, result.rejected)
    return result


async def _check_rights(steps: StepRepository, principal: Principal, valid: list[_Valid], result: BatchResult) -> list[_Valid]:
    rights = {row.uai: row for row in await steps.cfa_rights(sorted({v.uai for v in valid}), principal.client_id)}
    allowed = []
    for record in valid:
        right = rights.get(record.uai)
        if right is None:
            result.reject(record.index, record.event_id, "uai", "UNKNOWN_CFA", "no CFA is registered with this UAI")
        elif not right.consent_given:
            result.reject(record.index, record.event_id, "uai", "CONSENT_MISSING", "this CFA has not consented to transmit its data")
        elif not right.authorised:
            result.reject(
                record.index, record.event_id, "uai", "NOT_AUTHORIZED_FOR_CFA", "this CFA has not authorised this vendor"
            )
        else:
            allowed.append(record)
    result.rejected.sort(key=lambda error: error.index)
    return allowed


async def _write(
    db: RequestSession, vault: IdentityVault, steps: StepRepository, principal: Principal, records: list[_Valid], result: BatchResult
) -> list[int]:
    resolution = await resolve_youths(db, vault, [r.identity for r in records])
    certifications = {r.certification: r.certification_kind for r in records}
    await steps.add_unverified_certifications(list(certifications), list(certifications.values()))
    columns = {
        "event_id": [r.event_id for r in records],
        "youth_id": resolution.youth_ids,
        "uai": [r.uai for r in records],
        "certification": [r.certification for r in records],
        "step": [r.step for r in records],
        "effective_date": [r.effective_date for r in records],
        "portal": [r.portal for r in records],
        "portal_wish_id": [r.portal_wish_id for r in records],
        "contract_start": [r.contract_start for r in records],
        "contract_end": [r.contract_end for r in records],
        "content_hash": [r.content_hash for r in records],
    }
    written = await steps.upsert(principal.client_id, columns)
    result.accepted = len(written)
    result.unchanged += len(records) - len(written)  # identical replays sent concurrently
    return written + [kept for _, kept in resolution.merged]
