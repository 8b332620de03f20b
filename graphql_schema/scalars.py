"""``Date`` and ``DateTime`` as the contract states them: ISO 8601, years 1900 to 2100.

Strawberry's own scalars take any year Python's ``date`` takes: ``9999-12-31`` came in, and a
day after it overflowed in the status timeline. Out of range (app/domain/dates.py), an argument
or a variable is refused while it is coerced, before anything runs (``BAD_USER_INPUT``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from operator import methodcaller

import dateutil.parser
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.types.scalar import ScalarDefinition

from app.domain.dates import RANGE_TEXT, in_calendar


def _in_calendar(parse: Callable[[str], dt.date], type_name: str) -> Callable[[object], object]:
    def parse_value(value: object) -> object:
        if not isinstance(value, str):
            raise StrawberryInputCoercionError(f'Value cannot represent a {type_name}: "{value}". Expected a string.')
        try:
            parsed = parse(value)
        except (ValueError, OverflowError) as problem:
            raise StrawberryInputCoercionError(f'Value cannot represent a {type_name}: "{value}". {problem}') from None
        if not in_calendar(parsed):
            raise StrawberryInputCoercionError(f'Value cannot represent a {type_name}: "{value}". It is {RANGE_TEXT}.')
        return parsed

    return parse_value


def _scalar(name: str, description: str, parse: Callable[[str], dt.date], origin: type) -> ScalarDefinition:
    return ScalarDefinition(
        name=name, description=description, specified_by_url=None, serialize=methodcaller("isoformat"),
        parse_value=_in_calendar(parse, name), parse_literal=None, origin=origin,
    )


DATE = _scalar("Date", "An ISO 8601 calendar date, e.g. 2026-09-01; years 1900 to 2100.", dt.date.fromisoformat, dt.date)
DATE_TIME = _scalar("DateTime", "An ISO 8601 instant with its offset, e.g. 2026-09-01T08:30:00+02:00; years 1900 to 2100.",
                    dateutil.parser.isoparse, dt.datetime)
SCALARS: dict[object, ScalarDefinition] = {dt.date: DATE, dt.datetime: DATE_TIME}
