"""Transmission coverage for pilots (``transmissionCoverage``): how much of a territory's CFAs send
their data. By the CFA's place (national, region, department, CFA): the CFAs known to the hub,
those that consented, those whose software sent a valid record in the 30 days up to the day
asked (the per-day stamps the ingestion keeps, app/repositories/transmission.py), and the
apprentices on that day in the transmitting CFAs (protected for a PILOT like every headcount).
CFAs are organisations, not persons: their counts stay exact."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter

from app.auth import Principal
from app.db import RequestSession
from app.domain.dates import today as france_today
from app.errors import BadInput
from app.repositories.headcounts import HeadcountRepository
from app.repositories.transmission import CfaCoverage, Transmission, TransmissionRepository
from app.services.disclosure import shown
from app.services.territory import Filter, labels, territory

GROUPS = ("NATIONAL", "REGION", "DEPARTMENT", "CFA")


@dataclass
class CoverageRow:
    key: str
    label: str
    cfas: int = 0
    consenting: int = 0
    transmitting: int = 0
    apprentices: int = 0
    suppressed: bool = False
    suppressed_fields: list[str] = field(default_factory=list)


def _group(group_by: str) -> Callable[[CfaCoverage], str]:
    """A CFA's row."""
    if group_by == "NATIONAL":
        return lambda cfa: "FR"
    return attrgetter({"REGION": "region_code", "DEPARTMENT": "department_code", "CFA": "uai"}[group_by])


async def coverage(db: RequestSession, principal: Principal, on: date, group_by: str, wanted: Filter) -> list[CoverageRow]:
    """The rows, in key order."""
    if group_by not in GROUPS:
        raise BadInput("groupBy: coverage is by place: NATIONAL, REGION, DEPARTMENT or CFA", field="groupBy",
                       reason="INVALID_GROUP")
    place = await territory(db, principal.scope.headcount_departments, wanted)
    cfas = [] if place.nowhere else await TransmissionRepository(db).coverage(
        on, departments=place.departments, uais=place.uais)
    transmitting = [c.uai for c in cfas if c.transmitting]
    apprentices: dict[str, int] = {}
    if transmitting:
        headcounts = HeadcountRepository(db)
        # by CFA: the sums up to the cut and the days since when it may, for the territory's CFAs
        # (most of them transmit: sending their UAIs cost more than the rows it saved), else the
        # whole history of the transmitting ones
        quick = None if place.certifications is not None else await headcounts.cfa_counts(
            [on], departments=place.departments, uais=place.uais, apprentices_only=True)
        if quick is not None:
            apprentices = {count.uai: count.apprentices for count in quick}
        else:
            for _, uai, status, net, _ in await headcounts.sums(
                    [on], key="uai", departments=None, uais=sorted(transmitting), certifications=place.certifications):
                if status == "APPRENTICE":
                    apprentices[uai] = apprentices.get(uai, 0) + net
    rows: dict[str, CoverageRow] = {}
    group = _group(group_by)
    for cfa in cfas:
        key = group(cfa)
        row = rows.get(key)
        if row is None:
            row = rows[key] = CoverageRow(key=key, label=key)
        row.cfas += 1
        row.consenting += cfa.consent_given
        row.transmitting += cfa.transmitting
        row.apprentices += apprentices.get(cfa.uai, 0) if cfa.transmitting else 0
    if group_by == "NATIONAL":
        rows.setdefault("FR", CoverageRow(key="FR", label="France"))
    names = await labels(db, group_by, list(rows))
    for key, row in rows.items():
        row.label = names.get(key, key)
    for row in rows.values():
        counts, suppressed = shown(principal.scope, {"apprentices": row.apprentices})
        row.apprentices, row.suppressed, row.suppressed_fields = counts["apprentices"], bool(suppressed), suppressed
    return [rows[key] for key in sorted(rows)]


async def transmissions(db: RequestSession, principal: Principal, uais: Sequence[str]) -> list[Transmission | None]:
    """Each CFA's transmission over the 30 days up to today, in key order; None where the caller
    may not read it (ADMIN: every CFA; PILOT: in its territory; VENDOR: the CFAs that authorised
    it; the others: none)."""
    found = {row.uai: row for row in await TransmissionRepository(db).of_cfas(
        uais, france_today(), principal.scope, principal.client_id)}
    return [found.get(uai) for uai in uais]
