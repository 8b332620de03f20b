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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

import asyncpg

from app.auth import Principal
from app.db import RequestSession
from app.domain.batch import BatchResult
from app.domain.dates import today as france_today
from app.domain.identifiers import (
    MAX_ID_LENGTH,
    Certification,
    Invalid,
    check_ine,
    check_learner_ref,
    check_siret,
    check_uai,
    is_normal_ine,
)
from app.domain.matching import Identity, as_wish_youth
from app.domain.step_fields import (
    PORTALS,
    Problem,
    contract_problem,
    effective_date_problem,
    employer_problem,
    training_problem,
    wish_link_problem,
)
from app.domain.timeline import Step, StepFact
from app.repositories.derivation import DerivationQueue
from app.repositories.feedback import FeedbackRepository
from app.repositories.steps import StepRepository, WrittenEvent
from app.repositories.transmission import Received, TransmissionRepository
from app.repositories.youths import YouthRepository
from app.security import IdentityVault
from app.services import derivation
from app.services.identity import Resolution, resolve_youths
from app.services.known_youths import KnownYouths
from app.services.records import (
    Reject,
    batch_id,
    certification_value,
    date_value,
    identity_fields,
    learn,
    memo,
    reported_id,
    residence_value,
    shape,
    string_value,
    uai_value,
    vendor_may_write,
)
from app.settings import Derivation, NirMatching, Settings

OPERATION = "recordSteps"
STEP_NAMES = tuple(Step.__members__)
STEP_SET = frozenset(STEP_NAMES)


class _Valid(NamedTuple):
    """A valid record, its values checked and normalised (built with ``_valid``: a tuple)."""

    index: int  # type: ignore[assignment]  # its index in the batch (shadows tuple.index, never called)
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
    training_start: date | None
    training_end: date | None
    residence: str | None  # department of residence
    responsible: str | None  # the organisme responsable the record names (checked against the registry)
    employer: str | None  # the employer's SIRET (contract steps)
    content_hash: bytes


# _valid(_Valid, (...)), _identity(Identity, (...)): a third of the NamedTuple constructor's cost
_valid = _identity = tuple.__new__

STEP_FIELDS = frozenset({
    "eventId", "uai", "ine", "nir", "certification", "step", "effectiveDate", "portal", "portalWishId",
    "contractStart", "contractEnd", "trainingStart", "trainingEnd", "residenceDepartment", "responsibleUai",
    "employerSiret", "learnerRef",
})


async def record_steps(
    db: RequestSession,
    vault: IdentityVault,
    settings: Settings,
    principal: Principal,
    records: Sequence[Mapping[str, Any]],
    *,
    today: date | None = None,
    known_youths: KnownYouths | None = None,
) -> BatchResult:
    """Validate and store a batch; ``records`` are StepInput dicts, raw JSON or coerced.
    ``known_youths``: the process's cache of youths known to exist (deferred derivation by INE)."""
    with derivation.activity.writing():
        return await _record_steps(db, vault, settings, principal, records, today=today, known_youths=known_youths)


def validate(
    records: Sequence[Mapping[str, Any]], vault: IdentityVault, *, nir_hmac: bool, today: date, fast: bool = True
) -> tuple[list[_Valid], BatchResult]:
    """Check every record on its own: the valid ones, each with its youth's keyed hashes and its
    content hash, and the result with the rejected ones.

    Each distinct raw value of a field is checked once per batch (:func:`memo`): a batch names
    few CFAs, certifications and dates, and a youth's steps often come together (its INE is then
    checked and hashed once). A record whose every value was seen valid before in the batch
    takes the fast path: dictionary look-ups and the checks that combine fields, inline; any
    other record (a new value, a NIR, anything unusual) goes through :meth:`_StepChecks.one`,
    which checks it field by field and says what is wrong first. Both give the same answer for
    every record (``fast=False`` takes the second path alone; a test compares them)."""
    checks = _StepChecks(vault, nir_hmac, today)
    result = BatchResult()
    valid: list[_Valid] = []
    seen: set[str] = set()
    one = checks.one
    sha256 = hashlib.sha256
    uais, ines, certifications, steps = checks.uais, checks.ines, checks.certifications, checks.steps
    learners = checks.learners_alone
    effective_dates, starts, ends = checks.effective_dates, checks.starts, checks.ends
    training_starts, training_ends, residences = checks.training_starts, checks.training_ends, checks.residences
    issuperset = STEP_FIELDS.issuperset

    for index, record in enumerate(records):
        if fast and type(record) is dict and issuperset(record):
            get = record.get
            raw_id, raw_uai, raw_ine, raw_certification, raw_step, raw_effective = (
                get("eventId"), get("uai"), get("ine"), get("certification"), get("step"), get("effectiveDate"))
            raw_learner = get("learnerRef")
            try:  # each value's outcome, checked now if it is the first of its kind
                uai = uais.get(raw_uai) or learn(uais, raw_uai, uai_value)
                if raw_learner is None:
                    youth = ines.get(raw_ine) or learn(ines, raw_ine, checks.ine_alone)
                elif raw_ine is None:  # a learner known by its CFA's reference alone
                    key = (raw_uai, raw_learner)
                    youth = learners.get(key) or learn(learners, key, checks.learner_alone)
                else:
                    youth = None  # both keys: the field-by-field checks
                certification = certifications.get(raw_certification) or learn(certifications, raw_certification, certification_value)
                step = steps.get(raw_step) or learn(steps, raw_step, _step)
                effective = effective_dates.get(raw_effective) or learn(effective_dates, raw_effective, checks.effective_date)
            except TypeError:  # an unhashable value
                uai = None
            if (
                type(raw_id) is str and type(uai) is str and type(youth) is tuple and type(certification) is Certification
                and type(step) is str and type(effective) is tuple and get("nir") is None and get("responsibleUai") is None
                and get("employerSiret") is None
            ):
                event_id = raw_id.strip()
                raw_portal, raw_wish_id, raw_start, raw_end = get("portal"), get("portalWishId"), get("contractStart"), get("contractEnd")
                ok = 0 < len(event_id) <= MAX_ID_LENGTH and event_id not in seen and "\x00" not in event_id
                if raw_portal is None and raw_wish_id is None:
                    portal = wish_id = None
                elif ok and type(raw_portal) is str and type(raw_wish_id) is str:
                    portal, wish_id = raw_portal.strip(), raw_wish_id.strip()
                    ok = portal in PORTALS and 0 < len(wish_id) <= MAX_ID_LENGTH and "\x00" not in wish_id
                else:
                    ok = False
                start = end = None
                start_iso = end_iso = ""
                if ok and (raw_start is not None or raw_end is not None):
                    try:
                        start_day = (starts.get(raw_start) or learn(starts, raw_start, _contract_start)
                                     if raw_start is not None else (None, ""))
                        end_day = ends.get(raw_end) or learn(ends, raw_end, _contract_end) if raw_end is not None else (None, "")
                    except TypeError:
                        start_day = None
                    ok = type(start_day) is tuple and type(end_day) is tuple
                    if ok:
                        # tuples: ``ok`` checked their types (a check mypy does not carry through a bool)
                        (start, start_iso), (end, end_iso) = start_day, end_day  # type: ignore[misc]
                        ok = contract_problem(step, effective[0], start, end) is None
                raw_training_start, raw_training_end, raw_residence = (
                    get("trainingStart"), get("trainingEnd"), get("residenceDepartment"))
                training_start = training_end = residence = None
                extra = ""
                if ok and (raw_training_start is not None or raw_training_end is not None or raw_residence is not None):
                    try:
                        first_day = (training_starts.get(raw_training_start) or learn(training_starts, raw_training_start,
                                     _training_start)) if raw_training_start is not None else (None, "")
                        last_day = (training_ends.get(raw_training_end) or learn(training_ends, raw_training_end,
                                    _training_end)) if raw_training_end is not None else (None, "")
                        lives = (residences.get(raw_residence) or learn(residences, raw_residence, residence_value)
                                 if raw_residence is not None else "")
                    except TypeError:
                        first_day = None
                    ok = type(first_day) is tuple and type(last_day) is tuple and type(lives) is str
                    if ok:
                        (training_start, first_iso), (training_end, last_iso) = first_day, last_day  # type: ignore[misc]
                        residence = lives or None
                        ok = training_problem(training_start, training_end) is None
                        extra = f"|{first_iso}|{last_iso}|{lives}"
                if ok:
                    seen.add(event_id)
                    identity, ine_hex, learner_hex = youth
                    content = (
                        f"{uai}|{ine_hex}||{certification.code}|{step}|{effective[1]}|{portal or ''}|{wish_id or ''}|"
                        f"{start_iso}|{end_iso}{extra}{learner_hex}"
                    )
                    valid.append(_valid(_Valid, (
                        index, event_id, uai, identity, certification.code, certification.kind, step, effective[0],
                        portal, wish_id, start, end, training_start, training_end, residence, None, None,
                        sha256(content.encode()).digest(),
                    )))
                    continue
        try:
            valid.append(one(index, record, seen))
        except Reject as problem:
            result.reject(index, reported_id(record, "eventId"), problem.field, problem.code, problem.message)
    return valid, result


class _StepChecks:
    """The checks of one batch's records, with what they learned of each distinct raw value (the
    outcome of a check: the checked value, or the rejection, see :func:`memo`)."""

    def __init__(self, vault: IdentityVault, nir_hmac: bool, today: date):
        self.vault, self.nir_hmac = vault, nir_hmac
        self.today = today
        self.uais: dict[Any, Any] = {}
        self.certifications: dict[Any, Any] = {}
        self.ines: dict[Any, Any] = {}  # raw INE of a record with no NIR -> (Identity, INE hash in hex)
        self.steps: dict[Any, Any] = {}
        self.effective_dates: dict[Any, Any] = {}  # -> (date, ISO text)
        self.starts: dict[Any, Any] = {}
        self.ends: dict[Any, Any] = {}
        self.training_starts: dict[Any, Any] = {}
        self.training_ends: dict[Any, Any] = {}
        self.residences: dict[Any, Any] = {}  # -> department code
        self.responsibles: dict[Any, Any] = {}  # -> UAI
        self.employers: dict[Any, Any] = {}  # -> SIRET
        self.learners: dict[Any, Any] = {}  # -> learnerRef
        self.learners_alone: dict[Any, Any] = {}  # (raw uai, raw learnerRef) of a record without INE -> as ines

    def one(self, index: int, record: Mapping[str, Any], seen: set[str]) -> _Valid:
        """The record checked field by field, in the order of the report's precedence (the first
        problem is the one reported); its eventId is added to ``seen`` once it is known good."""
        shape(record, STEP_FIELDS, "StepInput")
        get = record.get
        event_id = batch_id(record, "eventId", seen, "INVALID_EVENT_ID")
        uai = memo(self.uais, get("uai"), uai_value)
        linked = get("portal") is not None or get("portalWishId") is not None
        raw_learner = get("learnerRef")
        learner = memo(self.learners, raw_learner, _learner_ref) if raw_learner is not None else None
        if get("nir") is None and not linked and learner is None:
            identity, ine_hex, learner_hex = memo(self.ines, get("ine"), self.ine_alone)
            nir_hex = ""
        else:  # a NIR, a learner reference, or a link to a wish (whose youth a step without INE is about)
            ine, nir = identity_fields(record, self.nir_hmac, linked=linked, learner=learner is not None,
                                       nir_alone="IDENTITY_MISSING")
            ine_hash = self.vault.hash_ine(ine) if ine else None
            nir_hash = self.vault.hash_nir(nir) if nir and self.nir_hmac else None
            ref_hash = self.vault.hash_learner(uai, learner) if learner is not None else None
            identity = Identity(ine, ine_hash, nir_hash, nir is not None, ref_hash)
            ine_hex, nir_hex = ine_hash.hex() if ine_hash else "", nir_hash.hex() if nir_hash else ""
            learner_hex = f"|learner={ref_hash.hex()}" if ref_hash else ""
        certification = memo(self.certifications, get("certification"), certification_value)
        step = memo(self.steps, get("step"), _step)
        effective, effective_iso = memo(self.effective_dates, get("effectiveDate"), self.effective_date)
        raw_portal, raw_wish_id = get("portal"), get("portalWishId")
        if raw_portal is None and raw_wish_id is None:
            portal = wish_id = None
        else:
            portal, wish_id = string_value(raw_portal, "portal"), string_value(raw_wish_id, "portalWishId")
            _refuse(wish_link_problem(portal, wish_id))
        start, start_iso = memo(self.starts, get("contractStart"), _contract_start) or (None, "")
        end, end_iso = memo(self.ends, get("contractEnd"), _contract_end) or (None, "")
        _refuse(contract_problem(step, effective, start, end))
        training_start, first_iso = memo(self.training_starts, get("trainingStart"), _training_start) or (None, "")
        training_end, last_iso = memo(self.training_ends, get("trainingEnd"), _training_end) or (None, "")
        _refuse(training_problem(training_start, training_end))
        raw_residence = get("residenceDepartment")
        residence = memo(self.residences, raw_residence, residence_value) if raw_residence is not None else None
        raw_responsible = get("responsibleUai")
        responsible = None
        if raw_responsible is not None:  # checked against the registry with the CFA's rights
            responsible = memo(self.responsibles, raw_responsible, _responsible_uai)
            if responsible == uai:
                raise Reject("responsibleUai", "RESPONSIBLE_IS_SELF",
                             "responsibleUai names the organisme responsable of uai, another CFA: leave it out when uai is its own")
        raw_employer = get("employerSiret")
        employer = memo(self.employers, raw_employer, _employer_siret) if raw_employer is not None else None
        _refuse(employer_problem(step, employer))
        # The content hash tells an identical replay from a correction (the same since the first
        # version: stored events compare with it; the fields of contract version 2 are added only
        # when given, so that the hash of a record without them does not change).
        extra = (f"|{first_iso}|{last_iso}|{residence or ''}"
                 if training_start is not None or training_end is not None or residence is not None else "")
        content = (
            f"{uai}|{ine_hex}|{nir_hex}|{certification.code}|{step}|{effective_iso}|{portal or ''}|{wish_id or ''}|"
            f"{start_iso}|{end_iso}{extra}{f'|employer={employer}' if employer is not None else ''}{learner_hex}"
        )
        return _Valid(
            index, event_id, uai, identity, certification.code, certification.kind, step, effective, portal, wish_id,
            start, end, training_start, training_end, residence, responsible, employer,
            hashlib.sha256(content.encode()).digest(),
        )

    def learner_alone(self, key: tuple[Any, Any]) -> tuple[Identity, str, str]:
        """The youth of a record with a learner reference and no INE, NIR or wish link (the fast
        path's): its Identity, "" (no INE hash), and the reference's part of the content."""
        raw_uai, raw_learner = key
        uai = uai_value(raw_uai)
        learner = _learner_ref(raw_learner)
        if learner is None:
            raise Reject("ine", "IDENTITY_MISSING", "give the youth's ine, learnerRef or nir")
        ref_hash = self.vault.hash_learner(uai, learner)
        return _identity(Identity, (None, None, None, False, ref_hash)), "", f"|learner={ref_hash.hex()}"

    def ine_alone(self, raw: Any) -> tuple[Identity, str, str]:
        """The youth of a record with no NIR: its Identity, its INE hash in hex, and "" (no
        learner reference)."""
        if type(raw) is str and is_normal_ine(raw):  # as most vendors send it
            checked = raw
        else:
            ine = string_value(raw, "ine")
            if ine is None:
                raise Reject("ine", "IDENTITY_MISSING", "give the youth's ine, learnerRef or nir")
            normalised = check_ine(ine)
            if isinstance(normalised, Invalid):
                raise Reject("ine", normalised.code, normalised.message)
            checked = normalised
        ine_hash = self.vault.hash_ine(checked)
        return _identity(Identity, (checked, ine_hash, None, False, None)), ine_hash.hex(), ""

    def effective_date(self, raw: Any) -> tuple[date, str]:
        effective = date_value(raw, "effectiveDate", required=True)
        _refuse(effective_date_problem(effective, self.today))
        return effective, _iso(raw, effective)


def _refuse(problem: Problem | None) -> None:
    if problem is not None:
        raise Reject(*problem)


def _identifier(raw: Any, name: str, check: Callable[[str], str | Invalid]) -> str | None:
    """An optional identifier field ``name``: None when blank, else checked and normalised by
    ``check`` (app/domain/identifiers.py), its code and message on the field."""
    value = string_value(raw, name)
    if value is None:
        return None
    checked = check(value)
    if isinstance(checked, Invalid):
        raise Reject(name, checked.code, checked.message)
    return checked


def _responsible_uai(raw: Any) -> str | None:
    """``responsibleUai``: a UAI, checked and normalised (None when blank)."""
    return _identifier(raw, "responsibleUai", check_uai)


def _learner_ref(raw: Any) -> str | None:
    """``learnerRef``: the CFA software's id of the learner (None when blank); kept only as a keyed
    hash with the UAI."""
    return _identifier(raw, "learnerRef", check_learner_ref)


def _employer_siret(raw: Any) -> str | None:
    """``employerSiret``: a SIRET, checked (Luhn, La Poste's rule) and compacted (None when blank)."""
    return _identifier(raw, "employerSiret", check_siret)


def _contract_start(raw: Any) -> tuple[date, str] | None:
    day = date_value(raw, "contractStart")
    return None if day is None else (day, _iso(raw, day))


def _contract_end(raw: Any) -> tuple[date, str] | None:
    day = date_value(raw, "contractEnd")
    return None if day is None else (day, _iso(raw, day))


def _training_start(raw: Any) -> tuple[date, str] | None:
    day = date_value(raw, "trainingStart")
    return None if day is None else (day, _iso(raw, day))


def _training_end(raw: Any) -> tuple[date, str] | None:
    day = date_value(raw, "trainingEnd")
    return None if day is None else (day, _iso(raw, day))


def _iso(raw: Any, day: date) -> str:
    """The date's ISO text: the raw value itself when it is already written so (YYYY-MM-DD)."""
    if type(raw) is str and len(raw) == 10 and raw[4] == "-" and raw[7] == "-":
        return raw
    return day.isoformat()


def _step(raw: Any) -> str:
    step = string_value(raw, "step", required=True)
    if step not in STEP_SET:
        raise Reject("step", "INVALID_STEP", "step is one of " + ", ".join(STEP_NAMES))
    return step


@dataclass(slots=True)
class _Run:
    """One recordSteps batch being written: what each stage of the write needs."""

    db: RequestSession
    vault: IdentityVault
    settings: Settings
    principal: Principal
    result: BatchResult
    steps: StepRepository
    # Youths are locked unless deferred derivation matches by INE alone (see _record_steps);
    # then the process's cache of youths known to exist spares their look-up.
    lock_youths: bool
    known_youths: KnownYouths | None


async def _record_steps(
    db: RequestSession,
    vault: IdentityVault,
    settings: Settings,
    principal: Principal,
    records: Sequence[Mapping[str, Any]],
    *,
    today: date | None = None,
    known_youths: KnownYouths | None = None,
) -> BatchResult:
    nir_hmac = settings.nir_matching == NirMatching.HMAC
    day = today or france_today()
    valid, result = validate(records, vault, nir_hmac=nir_hmac, today=day)
    to_write: list[_Valid] = []
    # No youth of the batch is deleted meanwhile (an erasure, the retention purge wait for the
    # batches in flight). Deferred derivation matching by INE alone needs nothing more: youths are
    # never merged and the batch writes no derived row. Otherwise its youths stay locked.
    # A learner reference with an INE may merge two youths (or conflict): locked too.
    two_keys = any(v.identity.ref_hash is not None and v.identity.ine_hash is not None for v in valid)
    lock_youths = settings.derivation != Derivation.DEFERRED or nir_hmac or two_keys
    run = _Run(db, vault, settings, principal, result, StepRepository(db), lock_youths,
               None if lock_youths else known_youths)
    if valid:
        await YouthRepository(db).share_deletion_lock()
        valid = await vendor_may_write(db, principal.client_id, valid, result, ref="event_id")
    if valid and any(v.portal_wish_id is not None for v in valid):
        valid = await _check_links(db, valid, result, nir_hmac)
    if valid and two_keys:
        valid = await _check_learners(db, valid, result)
    if valid:
        # The events already stored, looked up in index order: consecutive probes then share the
        # index pages they read.
        known = {
            event.event_id: event
            for event in await run.steps.known_events(principal.client_id, sorted([v.event_id for v in valid]))
        }
        new = [v for v in valid if v.event_id not in known]
        to_write = new + [v for v in valid if v.event_id in known and known[v.event_id].content_hash != v.content_hash]
        result.unchanged = len(valid) - len(to_write)
        if to_write:
            # The versions being replaced: their youths are locked too (when youths are); their
            # paths change when the event they lose changed the status, and the wish an old
            # version was linked to may lose its outcome.
            replaced = [known[v.event_id] for v in to_write if v.event_id in known]
            replaced_youths = [event.youth_id for event in replaced]
            written = await _write(run, to_write, len(new), replaced_youths)
            # Inline: resolve_youths locked every youth found (and the replaced events' youths);
            # the ones it created are invisible to other transactions until this one commits,
            # and their whole history is in this batch.
            # Every step moves something derived (a first step, the risks; a residence, the
            # territory), and the replaced events' youths lose one.
            path_youths = set(written.path_youths).union(replaced_youths)
            links = written.links + [
                (event.portal, event.portal_wish_id) for event in replaced
                if event.portal is not None and event.portal_wish_id is not None
            ]
            if settings.derivation == Derivation.DEFERRED:
                # the deriver of the hub processes does the rest (app/services/derivation.py)
                queued = sorted(path_youths.union(written.youths))
                await DerivationQueue(db).add(queued, [True] * len(queued), links)
            else:
                # a youth whose derivation fails is set aside; the batch and the others go on
                await derivation.derive(db, settings, path_youths, written.youths + replaced_youths,
                                        histories=written.fresh, links=links)
    await TransmissionRepository(db).note(day, receipts(records, valid, to_write, result))
    await FeedbackRepository(db).add_rejections(principal.client_id, OPERATION, result.rejected)
    return result


def receipts(
    records: Sequence[Mapping[str, Any]], kept: Sequence[Any], stored: Sequence[Any], result: BatchResult,
) -> list[Received]:
    """What a batch brings each CFA's transmission stamps: the valid records it took (``kept``,
    stored or unchanged), the steps it stored, the records it rejected whose UAI is readable."""
    received: dict[str, list[int]] = {}
    for record in kept:
        received.setdefault(record.uai, [0, 0, 0])[0] += 1
    for record in stored:
        received.setdefault(record.uai, [0, 0, 0])[1] += 1
    for error in result.rejected:
        record = records[error.index] if 0 <= error.index < len(records) else None
        raw = record.get("uai") if isinstance(record, Mapping) else None
        try:
            uai = uai_value(raw)
        except (Reject, TypeError):
            continue
        received.setdefault(uai, [0, 0, 0])[2] += 1
    return [Received(uai, *counts) for uai, counts in received.items()]


async def _check_links(db: RequestSession, valid: list[_Valid], result: BatchResult, nir_hmac: bool) -> list[_Valid]:
    """A step linked to a wish (``portal`` + ``portalWishId``) is about the wish's youth
    (DOMAIN.md, rules 2027.1): with an identifier of another youth it is refused
    (``WISH_YOUTH_MISMATCH``); without an INE it takes the wish's youth. A step linked to a wish
    not received yet keeps its own youth (checked when the wish comes), and without an INE it is
    about nobody known: refused."""
    wishes = {
        (wish.portal, wish.portal_wish_id): wish
        for wish in await StepRepository(db).linked_wishes(
            sorted({(v.portal, v.portal_wish_id) for v in valid if v.portal and v.portal_wish_id}))
    }
    kept = []
    for record in valid:
        if record.portal is None or record.portal_wish_id is None:
            kept.append(record)
            continue
        wish = wishes.get((record.portal, record.portal_wish_id))
        identity = record.identity
        own = identity.ine_hash is not None or identity.nir_hash is not None or identity.ref_hash is not None
        # (a youth known by its NIR alone is matched only with NIR matching on)
        if wish is None or wish.youth_id is None or (wish.ine_hash is None and not (nir_hmac and wish.nir_hash)):
            if own:
                kept.append(record)
            elif identity.nir_given and not nir_hmac:
                result.reject(record.index, record.event_id, "ine", "IDENTITY_MISSING",
                              "no wish of this portal has this portalWishId yet, and this hub does not match youths by"
                              " NIR (HUB_NIR_MATCHING=off): send the INE")
            else:
                result.reject(record.index, record.event_id, "ine", "IDENTITY_MISSING",
                              "no wish of this portal has this portalWishId yet: send the youth's INE")
            continue
        joined = as_wish_youth(identity, wish.ine_hash, wish.nir_hash)
        if joined is None:
            result.reject(record.index, record.event_id, "portalWishId", "WISH_YOUTH_MISMATCH",
                          "this wish is another youth's: a step linked to a wish is about the wish's youth")
        else:
            kept.append(record if joined is identity else record._replace(identity=joined))
    result.rejected.sort(key=lambda error: error.index)
    return kept


async def _check_learners(db: RequestSession, valid: list[_Valid], result: BatchResult) -> list[_Valid]:
    """A learner reference goes with one INE: a record whose INE is not the one its reference's
    youth has (stored, or given by an earlier record of the batch) is refused on learnerRef
    (LEARNER_CONFLICT), never merging two persons; the others go on."""
    refs = sorted({v.identity.ref_hash for v in valid if v.identity.ref_hash is not None})
    ine_of: dict[bytes, bytes] = {ref: ine for ref, _, ine in await YouthRepository(db).learners(refs) if ine is not None}
    kept = []
    for record in valid:
        ref, ine = record.identity.ref_hash, record.identity.ine_hash
        if ref is not None and ine is not None:
            known = ine_of.setdefault(ref, ine)
            if known != ine:
                result.reject(record.index, record.event_id, "learnerRef", "LEARNER_CONFLICT",
                              "this learnerRef of this CFA is another youth's (it came with another INE): check the"
                              " learner's INE or reference; nothing was merged")
                continue
        kept.append(record)
    result.rejected.sort(key=lambda error: error.index)
    return kept


@dataclass(slots=True)
class _Written:
    path_youths: list[int]  # youths whose derived rows may have changed: a step, or a merge
    fresh: dict[int, list[StepFact]]  # whole histories of the youths this batch created (among path_youths)
    youths: list[int]  # stored youths that received steps (or steps moved by a merge): their wishes
    links: list[tuple[str, str]]  # (portal, portalWishId) the written steps name


async def _write(run: _Run, records: list[_Valid], new: int, replaced_youths: list[int]) -> _Written:
    """Write the records (the first ``new`` ones are events the vendor never sent, the others
    replace stored ones); say which paths and which wishes' outcomes they may change.

    Optimistically first, inside a savepoint: new youths by a plain insert and new events by
    COPY, the cheapest ways in, which fail if a concurrent batch created one of the youths or
    sent one of the events meanwhile; then (rarely) again from the savepoint with the inserts
    that take such conflicts in their stride. Behind PgBouncer the careful way only (asyncpg's
    COPY leaves a named prepared statement on the server connection)."""
    db = run.db
    if not run.settings.db_pgbouncer:
        await db.run("SAVEPOINT optimistic_write")
        try:
            resolution, records, written = await _store(run, records, new, replaced_youths, optimistic=True)
        except asyncpg.UniqueViolationError:
            await db.run("ROLLBACK TO SAVEPOINT optimistic_write")
        else:
            await db.run("RELEASE SAVEPOINT optimistic_write")
            # by COPY alone, the rows come in the records' order
            return _written(run, resolution, records, written, in_order=new == len(records))
    resolution, records, written = await _store(run, records, new, replaced_youths, optimistic=False)
    return _written(run, resolution, records, written, in_order=False)


async def _store(
    run: _Run, records: list[_Valid], new: int, replaced_youths: list[int], *, optimistic: bool
) -> tuple[Resolution, list[_Valid], list[WrittenEvent]]:
    """Youths matched (and created), events written: the resolution, the records in the order
    written and the rows written."""
    resolution = await resolve_youths(
        run.db, run.vault, [r.identity for r in records], replaced_youths if run.lock_youths else (),
        lock=run.lock_youths, optimistic=optimistic, known=run.known_youths,
    )
    steps, client_id = run.steps, run.principal.client_id
    certifications = {r.certification: r.certification_kind for r in records}
    await steps.add_unverified_certifications(list(certifications), list(certifications.values()))
    youth_ids = resolution.youth_ids
    if new > 1:
        # New events in youth order: the (youth, date) index then takes them leaf after leaf
        # instead of at random (a tenth less database work for the COPY, measured).
        order = sorted(range(new), key=youth_ids.__getitem__) + list(range(new, len(records)))
        records, youth_ids = [records[i] for i in order], [youth_ids[i] for i in order]
    (_, event_ids, uais, _, certifications_, _, steps_, effective_dates, portals, wish_ids, starts, ends,
     training_starts, training_ends, residences, _, employers, content_hashes) = zip(*records)
    columns = [
        event_ids, youth_ids, uais, certifications_, steps_, effective_dates, portals, wish_ids, starts, ends,
        training_starts, training_ends, residences, employers, content_hashes,
    ]
    # New events by COPY when optimistic (row ids from the sequence only for inline derivation,
    # which keeps fresh youths' histories), the upsert for the others.
    if optimistic and new:
        written = await steps.copy_new(
            client_id, [column[:new] for column in columns], ids=run.settings.derivation == Derivation.INLINE
        )
        if new < len(records):
            written += await steps.upsert(client_id, [column[new:] for column in columns])
    else:
        written = await steps.upsert(client_id, columns)
    return resolution, records, written


def _written(
    run: _Run, resolution: Resolution, records: list[_Valid], written: list[WrittenEvent], *, in_order: bool
) -> _Written:
    """What the rows written (``in_order``: one per record, in the records' order) change."""
    result = run.result
    result.accepted = len(written)
    result.unchanged += len(records) - len(written)  # identical replays sent concurrently
    created = resolution.created
    merged_into = {kept for _, kept in resolution.merged}
    changed: set[int] = set(merged_into)  # steps moved to them
    youths: set[int] = set(merged_into)
    links: list[tuple[str, str]] = []
    rows: Iterable[tuple[_Valid, WrittenEvent]]
    if in_order:
        rows = zip(records, written)
    else:
        by_event = {record.event_id: record for record in records}
        rows = ((by_event[row.event_id], row) for row in written)
    # Inline derivation reads the whole history of the youths this batch created from here.
    inline = run.settings.derivation == Derivation.INLINE
    fresh: dict[int, list[StepFact]] = {youth_id: [] for youth_id in created} if inline else {}
    for r, (row_id, _, youth_id) in rows:
        changed.add(youth_id)  # any step moves the risks (a first step: HANDLED_NOT_REGISTERED)
        if r.portal is not None and r.portal_wish_id is not None:
            links.append((r.portal, r.portal_wish_id))
        if youth_id not in created:
            youths.add(youth_id)  # a stored youth: it may have wishes
        elif fresh:  # (inline derivation: the rows' ids were taken, never None)
            fresh[youth_id].append(
                StepFact(r.step, r.effective_date, row_id or 0, r.uai, r.certification, r.contract_start,
                         r.contract_end, r.training_end, r.residence)
            )
    return _Written(
        list(changed), {youth_id: facts for youth_id, facts in fresh.items() if youth_id in changed}, list(youths), links
    )
