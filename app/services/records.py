"""Checks shared by the batch services (recordSteps, submitWishes): each takes a record as the
GraphQL variables give it (a dict keyed by the input type's field names: raw JSON, or values
coerced by graphql-core when written inline) and raises :class:`Reject` with the field, the
code and a message on the first problem."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, Literal, NamedTuple, overload

from app.db import RequestSession
from app.domain.batch import BatchResult
from app.domain.dates import RANGE_TEXT, in_calendar
from app.domain.identifiers import (
    MAX_ID_LENGTH,
    Certification,
    Invalid,
    check_certification,
    check_department_code,
    check_ine,
    check_nir,
    check_uai,
)


class Reject(Exception):
    """One record's problem: raised inside the loop, turned into a RecordError."""

    def __init__(self, field: str | None, code: str, message: str):
        self.field, self.code, self.message = field, code, message


class Failure(NamedTuple):
    """A remembered rejection (see :func:`memo`)."""

    field: str | None
    code: str
    message: str


_MISSING = object()


def memo(cache: dict[Any, Any], raw: Any, check: Callable[[Any], Any]) -> Any:
    """``check(raw)``, computed once per distinct raw value of a batch (``cache`` is the batch's
    for this check): a batch names few CFAs, certifications and dates, and a youth's steps come
    together. A rejection is remembered too and raised again each time."""
    result = outcome(cache, raw, check)
    if type(result) is Failure:
        raise Reject(*result)
    return result


def outcome(cache: dict[Any, Any], raw: Any, check: Callable[[Any], Any]) -> Any:
    """What :func:`memo` gives, a rejection returned as a :class:`Failure` instead of raised."""
    try:
        result = cache.get(raw, _MISSING)
    except TypeError:  # an unhashable value (a list, an object): checked, not remembered
        return _checked(raw, check)
    if result is _MISSING:
        result = cache[raw] = _checked(raw, check)
    return result


def learn(cache: dict[Any, Any], raw: Any, check: Callable[[Any], Any]) -> Any:
    """What :func:`outcome` gives for a raw value known to be missing from ``cache`` (hashable):
    checked, remembered."""
    result = cache[raw] = _checked(raw, check)
    return result


def _checked(raw: Any, check: Callable[[Any], Any]) -> Any:
    try:
        return check(raw)
    except Reject as problem:
        return Failure(problem.field, problem.code, problem.message)


@overload
def string_field(record: Mapping[str, Any], name: str, *, required: Literal[True]) -> str: ...
@overload
def string_field(record: Mapping[str, Any], name: str, *, required: bool = False) -> str | None: ...
def string_field(record: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    """A text field, stripped; enum members (coerced GraphQL input) give their name."""
    return string_value(record.get(name), name, required=required)


@overload
def string_value(raw: Any, name: str, *, required: Literal[True]) -> str: ...
@overload
def string_value(raw: Any, name: str, *, required: bool = False) -> str | None: ...
def string_value(raw: Any, name: str, *, required: bool = False) -> str | None:
    """The value of a text field ``name``, stripped (see :func:`string_field`)."""
    if type(raw) is str:  # the common case first
        value = raw.strip()
        if value:
            if "\x00" in value:  # PostgreSQL text cannot hold it
                raise Reject(name, "INVALID_CHARACTER", f"{name} contains a NUL character")
            return value
        if required:
            raise Reject(name, "MISSING_FIELD", f"{name} is required")
        return None
    if raw is None:
        if required:
            raise Reject(name, "MISSING_FIELD", f"{name} is required")
        return None
    if type(raw) is not str:
        raw = getattr(raw, "value", None)
        if not isinstance(raw, str):
            raise Reject(name, "INVALID_TYPE", f"{name} is a string")
    value = raw.strip()
    if not value and required:
        raise Reject(name, "MISSING_FIELD", f"{name} is required")
    if "\x00" in value:
        raise Reject(name, "INVALID_CHARACTER", f"{name} contains a NUL character")
    return value or None


@overload
def date_field(record: Mapping[str, Any], name: str, *, required: Literal[True]) -> date: ...
@overload
def date_field(record: Mapping[str, Any], name: str, *, required: bool = False) -> date | None: ...
def date_field(record: Mapping[str, Any], name: str, *, required: bool = False) -> date | None:
    """A date: ISO 8601 text (raw variables) or a date (coerced input)."""
    return date_value(record.get(name), name, required=required)


@overload
def date_value(raw: Any, name: str, *, required: Literal[True]) -> date: ...
@overload
def date_value(raw: Any, name: str, *, required: bool = False) -> date | None: ...
def date_value(raw: Any, name: str, *, required: bool = False) -> date | None:
    """The value of a date field ``name`` (see :func:`date_field`)."""
    if raw is None:
        if required:
            raise Reject(name, "MISSING_FIELD", f"{name} is required")
        return None
    day = None
    if isinstance(raw, str):
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            pass
    elif isinstance(raw, date):
        day = raw
    if day is None:
        raise Reject(name, "INVALID_DATE", f"{name} is an ISO 8601 date, e.g. 2026-09-01")
    if not in_calendar(day):
        raise Reject(name, "INVALID_DATE", f"{name} is {RANGE_TEXT}")
    return day


@overload
def datetime_field(record: Mapping[str, Any], name: str, *, required: Literal[True]) -> datetime: ...
@overload
def datetime_field(record: Mapping[str, Any], name: str, *, required: bool = False) -> datetime | None: ...
def datetime_field(record: Mapping[str, Any], name: str, *, required: bool = False) -> datetime | None:
    """An instant with its offset: ISO 8601 text (e.g. 2026-06-02T08:30:00+02:00, or Z)."""
    raw = record.get(name)
    if raw is None:
        if required:
            raise Reject(name, "MISSING_FIELD", f"{name} is required")
        return None
    value = None
    if isinstance(raw, str):
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            pass
    elif isinstance(raw, datetime):
        value = raw
    if value is None or value.tzinfo is None:
        raise Reject(name, "INVALID_DATE", f"{name} is an ISO 8601 instant with its offset, e.g. 2026-06-02T08:30:00+02:00")
    if not in_calendar(value):
        raise Reject(name, "INVALID_DATE", f"{name} is {RANGE_TEXT}")
    return value


def identity_fields(
    record: Mapping[str, Any], nir_hmac: bool, *, linked: bool = False, learner: bool = False,
    nir_alone: str = "INE_REQUIRED",
) -> tuple[str | None, str | None]:
    """The youth's normalised INE and NIR (either may be None, not both). Without NIR matching
    (``nir_hmac`` false) a NIR alone could not be matched: refused with the code ``nir_alone``.
    A step ``linked`` to a wish may have neither: it is about the wish's youth (checked once the
    wish is known); so may a step with a ``learner`` reference, which finds its youth."""
    raw_ine, raw_nir = string_field(record, "ine"), string_field(record, "nir")
    if raw_ine is None and raw_nir is None:
        if linked or learner:
            return None, None
        raise Reject("ine", "IDENTITY_MISSING", "give the youth's ine, nir, or both")
    ine = nir = None
    if raw_ine is not None:
        checked_ine = check_ine(raw_ine)
        if isinstance(checked_ine, Invalid):
            raise Reject("ine", checked_ine.code, checked_ine.message)
        ine = checked_ine
    if raw_nir is not None:
        checked_nir = check_nir(raw_nir)
        if isinstance(checked_nir, Invalid):
            raise Reject("nir", checked_nir.code, checked_nir.message)
        nir = checked_nir
    if ine is None and not nir_hmac and not linked and not learner:
        raise Reject("ine", nir_alone, "this hub does not match youths by NIR (HUB_NIR_MATCHING=off): send the INE")
    return ine, nir



def shape(record: Any, fields: frozenset[str], type_name: str) -> None:
    """A record is an object with only the input type's fields."""
    if type(record) is not dict and not isinstance(record, Mapping):  # the ABC check is slow: dicts first
        raise Reject(None, "INVALID_TYPE", f"a record is an object with {type_name}'s fields")
    if not fields.issuperset(record):
        name = sorted(record.keys() - fields)[0]
        raise Reject(name, "UNKNOWN_FIELD", f"{name} is not a field of {type_name}")


def reported_id(record: Any, name: str) -> str | None:
    """The record's own id for its report, read before anything is checked (None if unusable)."""
    value = record.get(name) if type(record) is dict else None
    return value.replace("\x00", "")[:MAX_ID_LENGTH] if type(value) is str else None


def batch_id(record: Mapping[str, Any], name: str, seen: set[str], invalid_code: str) -> str:
    """The record's id in the batch: required, at most 100 characters, once per batch."""
    value = string_field(record, name, required=True)
    if len(value) > MAX_ID_LENGTH:
        raise Reject(name, invalid_code, f"{name} is 1 to {MAX_ID_LENGTH} characters")
    if value in seen:
        raise Reject(name, "DUPLICATE_IN_BATCH", f"this {name} appears earlier in the same batch")
    seen.add(value)
    return value


def uai_value(raw: Any) -> str:
    """The ``uai`` field's value, checked and normalised."""
    checked = check_uai(string_value(raw, "uai", required=True))
    if isinstance(checked, Invalid):
        raise Reject("uai", checked.code, checked.message)
    return checked


def residence_value(raw: Any) -> str:
    """``residenceDepartment``: a department code, normalised ("1" gives "01")."""
    checked = check_department_code(string_value(raw, "residenceDepartment", required=True))
    if isinstance(checked, Invalid):
        raise Reject("residenceDepartment", checked.code, checked.message)
    return checked


def certification_value(raw: Any) -> Certification:
    """The ``certification`` field's value, checked and normalised."""
    checked = check_certification(string_value(raw, "certification", required=True))
    if isinstance(checked, Invalid):
        raise Reject("certification", checked.code, checked.message)
    return checked


class BatchChecks:
    """Checks a batch asks again and again: it names few CFAs and certifications, so each distinct
    value is checked once (:func:`memo`)."""

    def __init__(self) -> None:
        self._uais: dict[Any, Any] = {}
        self._certifications: dict[Any, Any] = {}

    def uai(self, record: Mapping[str, Any]) -> str:
        uai: str = memo(self._uais, record.get("uai"), uai_value)
        return uai

    def certification(self, record: Mapping[str, Any]) -> Certification:
        certification: Certification = memo(self._certifications, record.get("certification"), certification_value)
        return certification


async def vendor_may_write(
    db: RequestSession, vendor_id: uuid.UUID, records: list[Any], result: BatchResult, *, ref: str
) -> list[Any]:
    """The records whose CFA (``record.uai``) is registered, consented (by itself, or by its
    responsible) and authorised this vendor; the others are rejected on ``uai`` (UNKNOWN_CFA,
    CONSENT_MISSING, NOT_AUTHORIZED_FOR_CFA) with ``getattr(record, ref)`` as their reference. A
    record naming an organisme responsable (``record.responsible``, steps) must name the one of
    the registry: else it is rejected on ``responsibleUai`` (UNKNOWN_CFA when no CFA has that
    UAI, RESPONSIBLE_MISMATCH). Rejections stay in input order."""
    from app.repositories.steps import StepRepository

    named = {responsible for r in records if (responsible := getattr(r, "responsible", None)) is not None}
    rights = {row["uai"]: row for row in await StepRepository(db).cfa_rights(sorted({r.uai for r in records} | named), vendor_id)}
    allowed = []
    for record in records:
        right = rights.get(record.uai)
        responsible = getattr(record, "responsible", None)
        if right is None:
            result.reject(record.index, getattr(record, ref), "uai", "UNKNOWN_CFA", "no CFA is registered with this UAI")
        elif not right["consent_given"]:
            result.reject(record.index, getattr(record, ref), "uai", "CONSENT_MISSING",
                          "this CFA has not consented to transmit its data")
        elif not right["authorised"]:
            result.reject(record.index, getattr(record, ref), "uai", "NOT_AUTHORIZED_FOR_CFA",
                          "this CFA has not authorised this vendor")
        elif responsible is not None and responsible not in rights:
            result.reject(record.index, getattr(record, ref), "responsibleUai", "UNKNOWN_CFA",
                          "no CFA is registered with this UAI")
        elif responsible is not None and responsible != right["responsible_uai"]:
            registered = right["responsible_uai"] or "none (it is its own)"
            result.reject(record.index, getattr(record, ref), "responsibleUai", "RESPONSIBLE_MISMATCH",
                          f"the registry gives {record.uai} the responsible {registered}")
        else:
            allowed.append(record)
    result.rejected.sort(key=lambda error: error.index)
    return allowed
