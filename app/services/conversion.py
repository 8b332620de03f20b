"""Wish conversion for pilots (``wishConversion``, ``/exports/conversion.csv``): what became of
the wishes, by the wished CFA's place (national, region, department, CFA, certification), per
portal and submission window. The counts are the wishes' stored outcomes (app/domain/outcome.py),
so they agree with what the portals read; a PILOT reads them protected (app/domain/disclosure.py),
in its territory by the wished CFA's department; the ADMIN exact."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from app.auth import Principal
from app.db import RequestSession
from app.errors import BadInput
from app.repositories.wishes import WishRepository
from app.services.disclosure import shown
from app.services.territory import Filter, labels, territory

COUNTS = ("wishes", "handled", "handled_by_wished_cfa", "registered", "apprentices", "apprentices_as_wished", "left")


@dataclass
class ConversionRow:
    key: str
    label: str
    wishes: int = 0
    handled: int = 0  # an outcome beyond NO_NEWS
    handled_by_wished_cfa: int = 0
    registered: int = 0
    apprentices: int = 0  # APPRENTICE, any match
    apprentices_as_wished: int = 0
    left: int = 0
    suppressed: bool = False
    suppressed_fields: list[str] = field(default_factory=list)


async def conversion(
    db: RequestSession, principal: Principal, group_by: str, wanted: Filter, *, portal: str | None = None,
    submitted_from: datetime | None = None, submitted_to: datetime | None = None,
) -> list[ConversionRow]:
    """The rows, in key order."""
    if submitted_from is not None and submitted_to is not None and submitted_from > submitted_to:
        raise BadInput("submittedFrom: after submittedTo", field="submittedFrom", reason="INVALID_RANGE")
    place = await territory(db, principal.scope.wish_departments, wanted)
    if place.nowhere:
        return []
    counted = await WishRepository(db).conversion(
        group_by, departments=place.departments, uais=place.uais, certifications=place.certifications, portal=portal,
        submitted_from=submitted_from, submitted_to=submitted_to,
    )
    names = await labels(db, group_by, [row.key for row in counted])
    rows = []
    for row in sorted(counted, key=lambda r: r.key):
        counts, suppressed = shown(principal.scope, {name: getattr(row, name) for name in COUNTS})
        rows.append(ConversionRow(key=row.key, label=names.get(row.key, row.key), **counts,
                                  suppressed=bool(suppressed), suppressed_fields=suppressed))
    if group_by == "NATIONAL" and not rows:
        rows.append(ConversionRow(key="FR", label="France"))
    return rows
