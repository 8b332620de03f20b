"""Arguments checked as DOMAIN.md says, or refused with BAD_USER_INPUT naming the argument."""

from __future__ import annotations

from collections.abc import Iterable

from app.domain.identifiers import Invalid, check_department_code, check_uai
from app.errors import BadInput


def department_argument(value: str, field: str) -> str:
    """A department code in its stored form ("75", "2A", "971")."""
    checked = check_department_code(value)
    if isinstance(checked, Invalid):
        raise BadInput(f"{field}: {checked.message}", field=field, reason=checked.code)
    return checked


def uai_argument(value: str, field: str) -> str:
    """A UAI, normalised (upper case, without spaces)."""
    checked = check_uai(value)
    if isinstance(checked, Invalid):
        raise BadInput(f"{field}: {checked.message}", field=field, reason=checked.code)
    return checked


def departments_argument(values: Iterable[str], field: str) -> set[str]:
    """Department codes in their stored form; the first invalid one is refused."""
    return {department_argument(value, field) for value in values}
