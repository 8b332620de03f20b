"""Portals' wishes: submitWishes, and the reads of what became of them.

submitWishes works like recordSteps (app/services/ingest.py): the records as the variables give
them, checked one by one in a loop; the valid ones written with a constant number of set-based
statements; the invalid ones reported (index, portalWishId, field, code) and kept for
``myRejections``. A wish is upserted on (portal, portalWishId): an identical resend is
``unchanged``, a different one replaces it. A wish may name a CFA that has not consented (the
portal's own data): it is stored, and stays NO_NEWS until that CFA's data flows.

Reads are the caller's portal's wishes only (PILOT: the summary over its territory); every read
that exposes wishes writes the audit log (client, operation, wish ids and youth ids) in the
request's transaction: if the audit cannot be written, nothing is answered.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from app import tenancy
from app.auth import Principal
from app.db import RequestSession
from app.domain.batch import BatchResult, RecordError
from app.domain.identifiers import stored_id
from app.domain.matching import Identity
from app.domain.outcome import Stage
from app.errors import BadInput
from app.repositories.feedback import FeedbackRepository
from app.repositories.steps import StepRepository
from app.repositories.wishes import OutcomeCount, WishQuery, WishRepository
from app.security import IdentityVault
from app.services import outcomes
from app.services.arguments import uai_argument
from app.services.disclosure import shown_count
from app.services.identity import resolve_youths
from app.services.pagination import Page, page_of, position
from app.services.paths import recompute
from app.services.records import (
    BatchChecks,
    Reject,
    batch_id,
    datetime_field,
    identity_fields,
    reported_id,
    residence_value,
    shape,
    string_field,
)
from app.settings import NirMatching, Settings

OPERATION = "submitWishes"
STEPS_OPERATION = "recordSteps"
# Clocks differ: a wish dated a few minutes ahead of the hub's clock is not in the future.
CLOCK_SKEW = timedelta(minutes=5)
WISH_FIELDS = frozenset({"portalWishId", "ine", "nir", "uai", "certification", "offerId", "submittedAt", "residenceDepartment"})
CURSOR = "wish"


@dataclass(slots=True)
class _Valid:
    index: int
    wish_id: str
    uai: str
    identity: Identity
    certification: str
    certification_kind: str
    offer_id: int | None
    submitted_at: datetime
    residence: str | None
    content_hash: bytes


async def submit_wishes(
    db: RequestSession,
    vault: IdentityVault,
    settings: Settings,
    principal: Principal,
    records: Sequence[Mapping[str, Any]],
    *,
    now: datetime | None = None,
) -> BatchResult:
    """Validate and store a batch of WishInput records under the caller's portal."""
    if principal.portal is None:
        raise BadInput("this PORTAL client has no portal: ask the operator to recreate it", reason="NO_PORTAL")
    portal = principal.portal.value
    result = BatchResult()
    received = now or datetime.now(UTC)
    latest, earliest = received + CLOCK_SKEW, received - timedelta(days=settings.wish_max_age_days)
    nir_hmac = settings.nir_matching == NirMatching.HMAC
    valid: list[_Valid] = []
    seen: set[str] = set()
    checks = BatchChecks()
    for index, record in enumerate(records):
        wish_id = reported_id(record, "portalWishId")
        try:
            shape(record, WISH_FIELDS, "WishInput")
            wish_id = batch_id(record, "portalWishId", seen, "INVALID_WISH_ID")
            uai = checks.uai(record)
            ine, nir = identity_fields(record, nir_hmac)
            certification = checks.certification(record)
            offer_id = None
            raw_offer = string_field(record, "offerId")
            if raw_offer is not None:
                offer_id = stored_id(raw_offer)
                if offer_id is None:
                    raise Reject("offerId", "UNKNOWN_OFFER", "offerId is the id of an offer of the wished CFA")
            submitted = datetime_field(record, "submittedAt", required=True)
            if submitted > latest or submitted < earliest:
                raise Reject("submittedAt", "INVALID_DATE", f"submittedAt is at most {settings.wish_max_age_days} days"
                             " before now, and not in the future")
            residence = string_field(record, "residenceDepartment")
            if residence is not None:
                residence = residence_value(residence)
        except Reject as problem:
            result.reject(index, wish_id, problem.field, problem.code, problem.message)
            continue
        ine_hash = vault.hash_ine(ine) if ine else None
        nir_hash = vault.hash_nir(nir) if nir and nir_hmac else None
        content = "|".join((
            uai, ine_hash.hex() if ine_hash else "", nir_hash.hex() if nir_hash else "", certification.code,
            str(offer_id or ""), submitted.astimezone(UTC).isoformat(),
        )) + (f"|{residence}" if residence is not None else "")  # unchanged for a wish without it
        valid.append(_Valid(
            index, wish_id, uai, Identity(ine, ine_hash, nir_hash, nir is not None), certification.code,
            certification.kind.value, offer_id, submitted, residence, hashlib.sha256(content.encode()).digest(),
        ))

    if valid:
        valid = await _check_targets(db, valid, result)
    if valid:
        repository = WishRepository(db)
        known = {wish.portal_wish_id: wish for wish in await repository.known(portal, [v.wish_id for v in valid])}
        to_write = [v for v in valid if v.wish_id not in known or known[v.wish_id].content_hash != v.content_hash]
        result.unchanged = len(valid) - len(to_write)
        if to_write:
            # the youths the replaced wishes belonged to lose a wish: locked and recomputed too
            replaced = [
                youth_id for v in to_write if v.wish_id in known and (youth_id := known[v.wish_id].youth_id) is not None
            ]
            resolution = await resolve_youths(db, vault, [v.identity for v in to_write], replaced)
            certifications = {v.certification: v.certification_kind for v in to_write}
            await StepRepository(db).add_unverified_certifications(list(certifications), list(certifications.values()))
            written = await repository.upsert(portal, [
                [v.wish_id for v in to_write], resolution.youth_ids, [v.uai for v in to_write],
                [v.certification for v in to_write], [v.offer_id for v in to_write], [v.submitted_at for v in to_write],
                [v.residence for v in to_write], [v.content_hash for v in to_write],
            ])
            result.accepted = len(written)
            result.unchanged += len(to_write) - len(written)  # identical resends sent concurrently
            merged_into = [kept for _, kept in resolution.merged]
            # The youths' spans of risk (a wish unhandled for 30 days; the territory) and, when
            # a wish's INE and NIR proved two youths the same, their paths: steps moved.
            written_ids = {wish.portal_wish_id for wish in written}
            wishers = [y for v, y in zip(to_write, resolution.youth_ids) if v.wish_id in written_ids]
            await recompute(db, settings, [*merged_into, *replaced, *wishers])
            await outcomes.refresh(db, settings, wish_ids=[wish.id for wish in written], youth_ids=merged_into)
            await _report_mismatched_links(db, [wish.id for wish in written])
    await FeedbackRepository(db).add_rejections(principal.client_id, OPERATION, result.rejected)
    return result


async def _report_mismatched_links(db: RequestSession, wish_ids: list[int]) -> None:
    """Steps linked to these wishes before they came, that turn out to be another youth's: left
    out of the wish (its outcome counts its youth's steps only) and reported to their vendors in
    ``myRejections`` (index -1: found after their batch, when the wish came)."""
    rows = await WishRepository(db).mismatched_links(wish_ids)
    feedback = FeedbackRepository(db)
    for client_id in sorted({row.vendor_client_id for row in rows}):
        await feedback.add_rejections(client_id, STEPS_OPERATION, [
            RecordError(-1, row.event_id, "portalWishId", "WISH_YOUTH_MISMATCH",
                        "the wish this step names came later and is another youth's: the step is kept for its own youth,"
                        " left out of the wish")
            for row in rows if row.vendor_client_id == client_id
        ])


async def _check_targets(db: RequestSession, valid: list[_Valid], result: BatchResult) -> list[_Valid]:
    """The wished CFA must be registered (consent is not needed); a named offer must be one of
    that CFA's."""
    known_cfas = {row["uai"] for row in await StepRepository(db).cfa_rights(sorted({v.uai for v in valid}), None)}
    offer_ids = sorted({v.offer_id for v in valid if v.offer_id is not None})
    offers = await WishRepository(db).cfas_of_offers(offer_ids) if offer_ids else {}
    kept = []
    for record in valid:
        if record.uai not in known_cfas:
            result.reject(record.index, record.wish_id, "uai", "UNKNOWN_CFA", "no CFA is registered with this UAI")
        elif record.offer_id is not None and offers.get(record.offer_id) != record.uai:
            result.reject(record.index, record.wish_id, "offerId", "UNKNOWN_OFFER", "no offer with this id at the wished CFA")
        else:
            kept.append(record)
    result.rejected.sort(key=lambda error: error.index)
    return kept


# Reads ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WishFilterValues:
    """WishFilter as the API layer hands it over."""

    submitted_from: datetime | None = None
    submitted_to: datetime | None = None
    uai: str | None = None
    stage: str | None = None
    outcome_changed_since: datetime | None = None


def query_for(principal: Principal, values: WishFilterValues | None, *, field: str = "filter") -> WishQuery:
    """The wishes a principal may read, narrowed by a filter (``field``: the filter's name in the
    request, for errors): a PORTAL its portal's; a PILOT the
    wishes at CFAs of its departments (all of them when national); an ADMIN every wish."""
    values = values or WishFilterValues()
    uai = None
    if values.uai is not None:
        uai = uai_argument(values.uai, f"{field}.uai" if field else "uai")
    return WishQuery.readable_by(
        principal.scope, submitted_from=values.submitted_from, submitted_to=values.submitted_to,
        uai=uai, stage=values.stage, changed_since=values.outcome_changed_since,
    )


async def page(
    db: RequestSession, principal: Principal, values: WishFilterValues | None, first: int, after: str | None,
    request_id: str | None, *, with_total: bool = True,
) -> Page:
    """A page of the caller's wishes in id order (stable while outcomes change), with the
    total (None unless ``with_total``); audited."""
    after_id = position(CURSOR, after, int)
    query = query_for(principal, values)
    repository = WishRepository(db)
    async with _walled(db, query):
        rows = await repository.page(query, after_id, first + 1)
        total = await repository.count(query) if with_total else None
    page = page_of(rows, first, CURSOR, lambda row: (row["id"],), total)
    await audit(db, principal, "wishes", page.rows, request_id)
    return page


async def chunks(
    db: RequestSession, principal: Principal, query: WishQuery, operation: str, request_id: str | None, size: int,
) -> AsyncIterator[list[Any]]:
    """Every wish of ``query`` in id order, ``size`` at a time (an export): each chunk audited
    and committed before it is handed on."""
    repository = WishRepository(db)
    after = None
    while True:
        async with _walled(db, query):
            rows = await repository.page(query, after, size)
        if not rows:
            return
        await audit(db, principal, operation, rows, request_id)
        await db.commit()
        yield rows
        if len(rows) < size:
            return
        after = rows[-1]["id"]


def _walled(db: RequestSession, query: WishQuery) -> AbstractAsyncContextManager[None]:
    """The database's per-portal wall around a read of a portal's wishes."""
    return tenancy.as_portal(db, query.portal) if query.portal is not None else contextlib.nullcontext()


async def one(db: RequestSession, principal: Principal, portal_wish_id: str, request_id: str | None) -> Any | None:
    """One of the caller's wishes; None for an unknown id and for another portal's alike."""
    query = query_for(principal, None)
    if query.portal is None:
        return None
    async with tenancy.as_portal(db, query.portal):
        row = await WishRepository(db).by_portal_id(query.portal, portal_wish_id.strip())
    if row is not None:
        await audit(db, principal, "wish", [row], request_id)
    return row


async def summary(db: RequestSession, principal: Principal, values: WishFilterValues | None) -> list[OutcomeCount]:
    """How many wishes are at each outcome, in stage then match order; no person in it, not audited.
    A portal reads its own wishes' counts exact; a pilot reads them protected (a multiple of 5, 1 to
    4 shown as 0), whatever the filter or the time window."""
    query = query_for(principal, values)
    async with tenancy.as_portal(db, query.portal) if query.portal is not None else contextlib.nullcontext():
        rows = await WishRepository(db).summary(query)
    scope = principal.scope
    return sorted((row._replace(wishes=shown_count(scope, row.wishes)) for row in rows), key=_summary_order)


_STAGE_ORDER: dict[str, int] = {stage: i for i, stage in enumerate(Stage)}  # the contract's order
_MATCH_ORDER = {None: 0, "AS_WISHED": 1, "OTHER_TRAINING": 2, "OTHER_CFA": 3}


def _summary_order(row: OutcomeCount) -> tuple[int, int]:
    return (_STAGE_ORDER[row.stage], _MATCH_ORDER[row.match])


async def audit(db: RequestSession, principal: Principal, operation: str, rows: Sequence[Any], request_id: str | None) -> None:
    """Who read which wishes (and so which youths' outcomes), now."""
    if not rows:
        return
    await FeedbackRepository(db).audit(
        principal.client_id, operation, sorted({row["youth_id"] for row in rows if row["youth_id"] is not None}),
        [row["id"] for row in rows], request_id,
    )


async def histories(db: RequestSession, wish_ids: Sequence[int]) -> list[list[Any]]:
    """For each wish, the steps its outcome counts, oldest first (one query for all)."""
    by_wish: dict[int, list[Any]] = {}
    for row in await WishRepository(db).histories(wish_ids):
        by_wish.setdefault(row["wish_id"], []).append(row)
    return [by_wish.get(wish_id, []) for wish_id in wish_ids]
