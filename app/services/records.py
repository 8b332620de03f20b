"""Checks shared by the batch services (recordSteps, submitWishes): each takes a record as the
GraphQL variables give it (a dict keyed by the input type's field names: raw JSON, or values
coerced by graphql-core when written inline) and raises :class:`Reject` with the field, the
code and a message on the first problem."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from app.domain.identifiers import Invalid, check_ine, check_nir


class Reject(Exception):
    """One record's problem: raised inside the loop, turned into a RecordError."""

    def __init__(self, field: str | None, code: str, message: str):
        self.field, self.code, self.message = field, code, message


def string_field(record: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    """A text field, stripped; enum members (coerced GraphQL input) give their name."""
    raw = record.get(name)
    if type(raw) is str:  # the common case first
        value = raw.strip()
        if value:
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
    return value or None


def date_field(record: Mapping[str, Any], name: str, *, required: bool = False) -> date | None:
    """A date: ISO 8601 text (raw variables) or a date (coerced input)."""
    raw = record.get(name)
    if raw is None:
        if required:
            raise Reject(name, "MISSING_FIELD", f"{name} is required")
        return None
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    elif isinstance(raw, date):
        return raw
    raise Reject(name, "INVALID_DATE", f"{name} is an ISO 8601 date, e.g. 2026-09-01")


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
    return value


def identity_fields(record: Mapping[str, Any], nir_hmac: bool) -> tuple[str | None, str | None]:
    """The youth's normalised INE and NIR (either may be None, not both). Without NIR matching
    (``nir_hmac`` false) the INE is required: a NIR alone could not be matched."""
    raw_ine, raw_nir = string_field(record, "ine"), string_field(record, "nir")
    if raw_ine is None and raw_nir is None:
        raise Reject("ine", "IDENTITY_MISSING", "give the youth's ine, nir, or both")
    ine = nir = None
    if raw_ine is not None:
        ine = check_ine(raw_ine)
        if isinstance(ine, Invalid):
            raise Reject("ine", ine.code, ine.message)
    if raw_nir is not None:
        nir = check_nir(raw_nir)
        if isinstance(nir, Invalid):
            raise Reject("nir", nir.code, nir.message)
    if ine is None and not nir_hmac:
        raise Reject("ine", "INE_REQUIRED", "this hub does not match youths by NIR (HUB_NIR_MATCHING=off): send the INE")
    return ine, nir
