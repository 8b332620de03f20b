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
from app.domain.timeline import CONTRACT_STEPS, STATUS_STEPS, Step, StepFact
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
STEP_NAMES = tuple(Step.__members__)


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


STEP_FIELDS = frozenset({
    "eventId", "uai", "ine", "nir", "certification", "step", "effectiveDate", "portal", "portalWishId",
    "contractStart", "contractEnd",
})


class _Reject(Exception):
    """One record's problem: raised inside the loop, turned into a RecordError."""

    def __init__(self, field: str | None, code: str, message: str):
        self.field, self.code, self.message = field, code, message


def _string(record: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    """A text field, stripped; enum members (coerced GraphQL input) give their name."""
    raw = record.get(name)
    if type(raw) is str:  # the common case first
        value = raw.strip()
        if value:
            return value
        if required:
            raise _Reject(name, "MISSING_FIELD", f"{name} is required")
        return None
    if raw is None:
        if required:
            raise _Reject(name, "MISSING_FIELD", f"{name} is required")
        return None
    if type(raw) is not str:
        raw = getattr(raw, "value", None)
        if not isinstance(raw, str):
            raise _Reject(name, "INVALID_TYPE", f"{name} is a string")
    value = raw.strip()
    if not value and required:
        raise _Reject(name, "MISSING_FIELD", f"{name} is required")
    return value or None


def _date(record: Mapping[str, Any], name: str, *, required: bool = False) -> date | None:
    """A date: ISO 8601 text (raw variables) or a date (coerced input)."""
    raw = record.get(name)
    if raw is None:
        if required:
            raise _Reject(name, "MISSING_FIELD", f"{name} is required")
        return None
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    elif isinstance(raw, date):
        return raw
    raise _Reject(name, "INVALID_DATE", f"{name} is an ISO 8601 date, e.g. 2026-09-01")


async def record_steps(
    db: RequestSession,
    vault: IdentityVault,
    settings: Settings,
    principal: Principal,
    records: Sequence[Mapping[str, Any]],
    *,
    today: date | None = None,
) -> BatchResult:
    """Validate and store a batch; ``records`` are StepInput dicts, raw JSON or coerced."""
    result = BatchResult()
    today = today or date.today()
    latest = today + timedelta(days=1)
    nir_hmac = settings.nir_matching == NirMatching.HMAC
    valid: list[_Valid] = []
    seen: set[str] = set()
    # A batch names few CFAs and certifications: check each distinct value once.
    uai_checks: dict[str, str | Invalid] = {}
    certification_checks: dict[str, Any] = {}
    hash_ine = vault.hash_ine

    for index, record in enumerate(records):
        event_id = None
        try:
            if type(record) is not dict and not isinstance(record, Mapping):  # the ABC check is slow
                raise _Reject(None, "INVALID_TYPE", "a record is an object with StepInput's fields")
            if not STEP_FIELDS.issuperset(record):
                name = sorted(record.keys() - STEP_FIELDS)[0]
                raise _Reject(name, "UNKNOWN_FIELD", f"{name} is not a field of StepInput")
            event_id = _string(record, "eventId", required=True)
            if len(event_id) > MAX_ID_LENGTH:
                raise _Reject("eventId", "INVALID_EVENT_ID", f"eventId is 1 to {MAX_ID_LENGTH} characters")
            if event_id in seen:
                raise _Reject("eventId", "DUPLICATE_IN_BATCH", "this eventId appears earlier in the same batch")
            seen.add(event_id)
            raw_uai = _string(record, "uai", required=True)
            uai = uai_checks.get(raw_uai)
            if uai is None:
                uai = uai_checks[raw_uai] = check_uai(raw_uai)
            if isinstance(uai, Invalid):
                raise _Reject("uai", uai.code, uai.message)
            raw_ine, raw_nir = _string(record, "ine"), _string(record, "nir")
            if raw_ine is None and raw_nir is None:
                raise _Reject("ine", "IDENTITY_MISSING", "give the youth's ine, nir, or both")
            ine = nir = None
            if raw_ine is not None:
                ine = check_ine(raw_ine)
                if isinstance(ine, Invalid):
                    raise _Reject("ine", ine.code, ine.message)
            if raw_nir is not None:
                nir = check_nir(raw_nir)
                if isinstance(nir, Invalid):
                    raise _Reject("nir", nir.code, nir.message)
            if ine is None and not nir_hmac:
                raise _Reject("ine", "INE_REQUIRED", "this hub does not match youths by NIR (HUB_NIR_MATCHING=off): send the INE")
            raw_certification = _string(record, "certification", required=True)
            certification = certification_checks.get(raw_certification)
            if certification is None:
                certification = certification_checks[raw_certification] = check_certification(raw_certification)
            if isinstance(certification, Invalid):
                raise _Reject("certification", certification.code, certification.message)
            step = _string(record, "step", required=True)
            if step not in STEP_NAMES:
                raise _Reject("step", "INVALID_STEP", "step is one of " + ", ".join(STEP_NAMES))
            effective = _date(record, "effectiveDate", required=True)
            if effective > latest or effective < EARLIEST:
                raise _Reject("effectiveDate", "INVALID_DATE", "effectiveDate is from 2000-01-01 to tomorrow at the latest")
            portal, wish_id = _string(record, "portal"), _string(record, "portalWishId")
            if (portal is None) != (wish_id is None):
                raise _Reject("portal" if portal is None else "portalWishId", "INVALID_WISH_LINK", "portal and portalWishId go together")
            if portal is not None and portal not in PORTALS:
                raise _Reject("portal", "INVALID_WISH_LINK", "portal is PARCOURSUP or AFFELNET")
            if wish_id is not None and len(wish_id) > MAX_ID_LENGTH:
                raise _Reject("portalWishId", "INVALID_WISH_LINK", f"portalWishId is at most {MAX_ID_LENGTH} characters")
            start, end = _date(record, "contractStart"), _date(record, "contractEnd")
            if (start is not None or end is not None) and step not in CONTRACT_STEPS:
                raise _Reject(
                    "contractStart" if start is not None else "contractEnd", "INVALID_DATE",
                    "contract dates go only with APPRENTICE or CONTRACT_BROKEN",
                )
            if start is not None and end is not None and end < start:
                raise _Reject("contractEnd", "INVALID_DATE", "contractEnd is before contractStart")
            if step == Step.APPRENTICE and end is not None and end < effective:
                raise _Reject("contractEnd", "INVALID_DATE", "contractEnd is before the step's effectiveDate")
        except _Reject as problem:
            result.reject(index, event_id, problem.field, problem.code, problem.message)
            continue
        ine_hash = hash_ine(ine) if ine else None
        nir_hash = vault.hash_nir(nir) if nir and nir_hmac else None
        content = "|".join(
            (uai, ine_hash.hex() if ine_hash else "", nir_hash.hex() if nir_hash else "", certification.code, step,
             effective.isoformat(), portal or "", wish_id or "", start.isoformat() if start else "",
             end.isoformat() if end else "")
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
        # event_id -> (content_hash, youth_id, step) of this vendor's events already stored
        known = {row[0]: row[1:] for row in await steps.known_events(principal.client_id, [v.event_id for v in valid])}
        to_write = [v for v in valid if v.event_id not in known or known[v.event_id][0] != v.content_hash]
        result.unchanged = len(valid) - len(to_write)
        if to_write:
            replaced = [known[v.event_id] for v in to_write if v.event_id in known]
            # The youths of replaced events are locked too; their paths change when the event
            # they lose changed the status.
            replaced_youths = [youth_id for _, youth_id, step in replaced if step in STATUS_STEPS]
            changed, fresh = await _write(db, vault, steps, principal, to_write, [y for _, y, _ in replaced], result)
            # resolve_youths locked every youth found (and the replaced events' youths); the ones
            # it created are invisible to other transactions until this one commits, and their
            # whole history is in this batch.
            await recompute(db, settings, changed + replaced_youths, histories=fresh)
    await FeedbackRepository(db).add_rejections(principal.client_id, OPERATION, result.rejected)
    return result


async def _check_rights(steps: StepRepository, principal: Principal, valid: list[_Valid], result: BatchResult) -> list[_Valid]:
    rights = {row["uai"]: row for row in await steps.cfa_rights(sorted({v.uai for v in valid}), principal.client_id)}
    allowed = []
    for record in valid:
        right = rights.get(record.uai)
        if right is None:
            result.reject(record.index, record.event_id, "uai", "UNKNOWN_CFA", "no CFA is registered with this UAI")
        elif not right["consent_given"]:
            result.reject(record.index, record.event_id, "uai", "CONSENT_MISSING", "this CFA has not consented to transmit its data")
        elif not right["authorised"]:
            result.reject(
                record.index, record.event_id, "uai", "NOT_AUTHORIZED_FOR_CFA", "this CFA has not authorised this vendor"
            )
        else:
            allowed.append(record)
    result.rejected.sort(key=lambda error: error.index)
    return allowed


async def _write(
    db: RequestSession, vault: IdentityVault, steps: StepRepository, principal: Principal,
    records: list[_Valid], replaced_youths: list[int], result: BatchResult,
) -> tuple[list[int], dict[int, list[StepFact]]]:
    """Write the records; return the youths whose path may have changed (a status step written,
    or steps moved by a merge), and the full histories of those this batch created."""
    resolution = await resolve_youths(db, vault, [r.identity for r in records], replaced_youths)
    certifications = {r.certification: r.certification_kind for r in records}
    await steps.add_unverified_certifications(list(certifications), list(certifications.values()))
    columns = [
        [r.event_id for r in records], resolution.youth_ids, [r.uai for r in records], [r.certification for r in records],
        [r.step for r in records], [r.effective_date for r in records], [r.portal for r in records],
        [r.portal_wish_id for r in records], [r.contract_start for r in records], [r.contract_end for r in records],
        [r.content_hash for r in records],
    ]
    written = await steps.upsert(principal.client_id, columns)  # (id, event_id, youth_id)
    result.accepted = len(written)
    result.unchanged += len(records) - len(written)  # identical replays sent concurrently
    fresh: dict[int, list[StepFact]] = {youth_id: [] for youth_id in resolution.created}
    by_event = {record.event_id: record for record in records}
    changed: set[int] = {kept for _, kept in resolution.merged}  # steps moved to them
    for row_id, event_id, youth_id in written:
        r = by_event[event_id]
        if r.step in STATUS_STEPS:
            changed.add(youth_id)
        facts = fresh.get(youth_id)
        if facts is not None:
            facts.append(StepFact(r.step, r.effective_date, row_id, r.uai, r.certification, r.contract_start, r.contract_end))
    return list(changed), {youth_id: facts for youth_id, facts in fresh.items() if youth_id in changed}
