"""Training offers (version 2): upsertOffers and the CSV import of a CFA's catalogue, capacity
revisions, and the lists with the youths enrolled today.

upsertOffers works like recordSteps: records as the variables give them, checked one by one; the
CFA must have consented and authorised the vendor (UNKNOWN_CFA, CONSENT_MISSING,
NOT_AUTHORIZED_FOR_CFA); upsert on (uai, offerRef), ``unchanged`` for an identical resend. The
CSV import turns each line into the same record and reports each problem with its line and column.

An offer's session end is the training end of its youths' contracts (the completion rule of the
path timeline): when it changes, the paths of the youths with a contract at that CFA and
certification are recomputed in the same transaction.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.auth import Principal
from app.db import RequestSession
from app.domain.batch import BatchResult
from app.domain.dates import today as france_today
from app.domain.identifiers import Invalid, check_certification, check_department_code, check_siret, stored_id
from app.domain.scope import Scope
from app.errors import BadInput
from app.repositories.feedback import FeedbackRepository
from app.repositories.offers import OfferQuery, OfferRepository
from app.repositories.reference import ReferenceRepository
from app.repositories.steps import StepRepository
from app.repositories.transmission import Received, TransmissionRepository
from app.services.arguments import departments_argument, uai_argument
from app.services.disclosure import shown_offer
from app.services.pagination import Page, page_of, position
from app.services.records import Reject, date_field, reported_id, shape, string_field, uai_value, vendor_may_write
from app.settings import Settings

OPERATION = "upsertOffers"
MAX_REF_LENGTH = 100
MAX_CAPACITY = 100_000
OFFER_FIELDS = frozenset({
    "offerRef", "uai", "certification", "departmentCode", "sessionStart", "sessionEnd", "capacity", "parcoursupId",
    "affelnetId", "title", "siret",
})
_PARCOURSUP = re.compile(r"^\d{1,12}$")
_AFFELNET = re.compile(r"^[0-9A-Z]{2,3}/[0-9A-Z]{1,30}$")
CURSOR = "offer"


@dataclass(slots=True)
class _Valid:
    index: int
    ref: str
    uai: str
    title: str | None
    siret: str | None
    certification: str
    certification_kind: str
    department: str
    start: date | None
    end: date | None
    capacity: int | None
    parcoursup: str | None
    affelnet: str | None
    content_hash: bytes


def _capacity(record: Mapping[str, Any]) -> int | None:
    raw = record.get("capacity")
    if raw is None:
        return None
    if type(raw) is not int:  # bool is not a capacity
        raise Reject("capacity", "INVALID_CAPACITY", f"capacity is a whole number from 0 to {MAX_CAPACITY:,}")
    if not 0 <= raw <= MAX_CAPACITY:
        raise Reject("capacity", "INVALID_CAPACITY", f"capacity is a whole number from 0 to {MAX_CAPACITY:,}")
    return raw


async def upsert_offers(
    db: RequestSession, settings: Settings, principal: Principal, records: Sequence[Mapping[str, Any]]
) -> BatchResult:
    """Validate and store a batch of OfferInput records for the CFAs this vendor may write for."""
    result = BatchResult()
    valid: list[_Valid] = []
    seen: set[tuple[str, str]] = set()
    departments = {row.code for row in await ReferenceRepository(db).all_departments()}
    for index, record in enumerate(records):
        ref = reported_id(record, "offerRef")
        try:
            shape(record, OFFER_FIELDS, "OfferInput")
            ref = string_field(record, "offerRef", required=True)
            if len(ref) > MAX_REF_LENGTH:
                raise Reject("offerRef", "INVALID_OFFER_REF", f"offerRef is 1 to {MAX_REF_LENGTH} characters")
            uai = uai_value(record.get("uai"))
            if (uai, ref) in seen:
                raise Reject("offerRef", "DUPLICATE_IN_BATCH", "this offerRef of this CFA appears earlier in the same batch")
            seen.add((uai, ref))
            certification = check_certification(string_field(record, "certification", required=True))
            if isinstance(certification, Invalid):
                raise Reject("certification", certification.code, certification.message)
            department = check_department_code(string_field(record, "departmentCode", required=True))
            if isinstance(department, Invalid):
                raise Reject("departmentCode", department.code, department.message)
            if department not in departments:
                raise Reject("departmentCode", "UNKNOWN_DEPARTMENT", "no department has this code")
            start, end = date_field(record, "sessionStart"), date_field(record, "sessionEnd")
            if start is not None and end is not None and end < start:
                raise Reject("sessionEnd", "INVALID_DATE", "sessionEnd is before sessionStart")
            capacity = _capacity(record)
            parcoursup = string_field(record, "parcoursupId")
            if parcoursup is not None and not _PARCOURSUP.match(parcoursup):
                raise Reject("parcoursupId", "INVALID_PARCOURSUP_ID", "a Parcoursup formation id is a number (g_ta_cod)")
            affelnet = string_field(record, "affelnetId")
            if affelnet is not None:
                affelnet = affelnet.upper()
                if not _AFFELNET.match(affelnet):
                    raise Reject("affelnetId", "INVALID_AFFELNET_ID", 'an Affelnet offer is "<académie>/<code>"')
            title = string_field(record, "title")
            if title is not None and len(title) > 300:
                raise Reject("title", "INVALID_TITLE", "title is at most 300 characters")
            siret = string_field(record, "siret")
            if siret is not None:
                checked_siret = check_siret(siret)
                if isinstance(checked_siret, Invalid):
                    raise Reject("siret", checked_siret.code, checked_siret.message)
                siret = checked_siret
        except Reject as problem:
            result.reject(index, ref, problem.field, problem.code, problem.message)
            continue
        content = "|".join(str(v or "") for v in (
            title, siret, certification.code, department, start, end, capacity, parcoursup, affelnet,
        ))
        valid.append(_Valid(
            index, ref, uai, title, siret, certification.code, certification.kind.value, department, start, end, capacity,
            parcoursup, affelnet, hashlib.sha256(content.encode()).digest(),
        ))

    steps = StepRepository(db)
    if valid:
        valid = await vendor_may_write(db, principal.client_id, valid, result, ref="ref")
    if valid:
        repository = OfferRepository(db)
        known = {(offer.uai, offer.offer_ref): offer for offer in await repository.known([(v.uai, v.ref) for v in valid])}
        to_write = [v for v in valid if (v.uai, v.ref) not in known or known[(v.uai, v.ref)].content_hash != v.content_hash]
        result.unchanged = len(valid) - len(to_write)
        if to_write:
            certifications = {v.certification: v.certification_kind for v in to_write}
            await steps.add_unverified_certifications(list(certifications), list(certifications.values()))
            written = await repository.upsert(principal.client_id, [
                [v.uai for v in to_write], [v.ref for v in to_write], [v.title for v in to_write], [v.siret for v in to_write],
                [v.certification for v in to_write], [v.department for v in to_write], [v.start for v in to_write],
                [v.end for v in to_write], [v.capacity for v in to_write], [v.parcoursup for v in to_write],
                [v.affelnet for v in to_write], [v.content_hash for v in to_write],
            ])
            result.accepted = len(written)
            result.unchanged += len(to_write) - len(written)
            # Session ends that changed move the training end of the contracts there.
            moved = set()
            for v in to_write:
                before = known.get((v.uai, v.ref))
                if before is None:
                    if v.end is not None:
                        moved.add((v.uai, v.certification))
                elif before.session_end != v.end or before.certification_code != v.certification:
                    moved.update({(v.uai, v.certification), (v.uai, before.certification_code)})
            if moved:
                await _recompute_contracts_at(db, settings, sorted(moved))
            # the entries of these CFAs and certifications may belong to other offers now
            changed_pairs = {(v.uai, v.certification) for v in to_write} | {
                (v.uai, known[(v.uai, v.ref)].certification_code) for v in to_write if (v.uai, v.ref) in known}
            await repository.rebuild_intakes_at_cut(sorted(changed_pairs))
    # offers count as received in the CFAs' transmission stamps (not as steps)
    await TransmissionRepository(db).note(
        france_today(), [Received(uai, count, 0, 0) for uai, count in Counter(v.uai for v in valid).items()])
    await FeedbackRepository(db).add_rejections(principal.client_id, OPERATION, result.rejected)
    return result


async def _recompute_contracts_at(db: RequestSession, settings: Settings, pairs: Sequence[tuple[str, str]]) -> None:
    """The paths, spans of risk and wishes' outcomes of the youths whose contracts end with these
    sessions."""
    from app.services.derivation import rederive

    await rederive(db, settings, await OfferRepository(db).youths_with_contracts_at(pairs), with_outcomes=True)


async def revise_capacity(db: RequestSession, scope: Scope, offer_id: str, capacity: int | None) -> Any:
    if capacity is not None and not 0 <= capacity <= MAX_CAPACITY:
        raise BadInput(f"capacity: a whole number from 0 to {MAX_CAPACITY:,}, or null", field="capacity", reason="INVALID_CAPACITY")
    known = stored_id(offer_id)
    if known is None or not await OfferRepository(db).revise(known, capacity):
        raise BadInput("offerId: no offer has this id", field="offerId", reason="UNKNOWN_OFFER")
    return (await by_ids(db, scope, [known]))[0]


# Reads ------------------------------------------------------------------------------------------


async def by_ids(db: RequestSession, scope: Scope, ids: Sequence[int], *, on: date | None = None) -> list[Any | None]:
    """The offers with these ids (None where unknown), each with ``enrolled`` and ``vacancies``
    today as ``scope`` reads them, in key order."""
    rows = {row["id"]: shown_offer(scope, row) for row in await OfferRepository(db).by_ids(ids, on or france_today())}
    return [rows.get(offer_id) for offer_id in ids]


async def page(
    db: RequestSession, principal: Principal, *, regions: Sequence[str] | None, departments: Sequence[str] | None,
    certification: str | None, uai: str | None, with_vacancies_only: bool, first: int, after: str | None,
) -> Page:
    """Offers in id order; filters by the place of the training (regions, departments), the
    certification and the CFA; ``with_vacancies_only`` keeps those with places left today."""
    wanted: set[str] | None = None
    reference = ReferenceRepository(db)
    if departments is not None:
        wanted = departments_argument(departments, "filter.departments")
    if regions is not None:
        in_regions = set(await reference.department_codes_of_regions([r.strip() for r in regions]))
        wanted = in_regions if wanted is None else wanted & in_regions
    code = None
    if certification is not None:
        checked_certification = check_certification(certification)
        if isinstance(checked_certification, Invalid):
            raise BadInput(f"filter.certification: {checked_certification.message}", field="filter.certification",
                           reason=checked_certification.code)
        code = checked_certification.code
    normalised_uai = None
    if uai is not None:
        normalised_uai = uai_argument(uai, "filter.uai")
    after_id = position(CURSOR, after, int)
    query = OfferQuery(
        on=france_today(), departments=frozenset(wanted) if wanted is not None else None, certification=code,
        uai=normalised_uai, with_vacancies_only=with_vacancies_only, protected=principal.scope.protected_offer_counts,
    )
    repository = OfferRepository(db)
    rows = [shown_offer(principal.scope, row) for row in await repository.page(query, after_id, first + 1)]
    return page_of(rows, first, CURSOR, lambda row: (row["id"],), await repository.count(query))

