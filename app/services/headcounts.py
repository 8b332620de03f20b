"""Pilots' headcounts on dates, by region, department, CFA or certification, against capacities.

- Counts come from the change points of the paths (app/domain/timeline.py): on a date, a youth is
  in exactly one status at one CFA and certification, so it counts once per group.
- ``droppedOut`` counts the drop-outs (entries into the dropped-out status, reported or by the
  90/180-day rules) from 1 August of the school year of the date up to the date.
- ``capacity``: the effective capacities (revised, else the CFA's) of the offers open on the date
  (their session covers it, or has no dates), grouped by their CFA; ``vacancies``: capacity minus
  enrolled (registered + apprentices + contract broken), never below 0; ``overCapacity``: enrolled
  above capacity. Null capacity: no offer with a capacity in the row.
- Scope: a PILOT with departments sees only those (a regional pilot its region's); a national
  pilot and ADMIN everything. Filters narrow, never widen.
- Small counts: in CFA and CERTIFICATION rows seen by a PILOT, a count from 1 to 4 is suppressed:
  shown as 0, the row flagged ``suppressed`` with the fields in ``suppressedFields``. Capacities
  are the CFAs' published data and stay.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from app.auth import Principal
from app.db import RequestSession
from app.domain.intake import school_year
from app.errors import BadInput
from app.repositories.headcounts import HeadcountRepository
from app.services.disclosure import offers_enrolled, shown
from app.services.territory import Filter, labels, territory

MAX_POINTS = 60
COUNTS = ("registered", "apprentices", "contract_broken", "dropped_out")  # a row's counts of youths


@dataclass(slots=True)
class Row:
    key: str
    label: str
    registered: int = 0
    apprentices: int = 0
    contract_broken: int = 0
    dropped_out: int = 0
    capacity: int | None = None
    vacancies: int | None = None
    over_capacity: bool = False
    rule_version: str = ""
    suppressed: bool = False
    suppressed_fields: list[str] = field(default_factory=list)


def school_year_start(day: date) -> date:
    return school_year(day)[0]


def series_points(first: date, last: date, interval: str) -> list[date]:
    """The week ends (Sundays) or month ends in [first, last]."""
    if last < first:
        raise BadInput("to is before from", field="to", reason="INVALID_RANGE")
    points: list[date] = []
    if interval == "WEEK":
        day = first + timedelta(days=(6 - first.weekday()) % 7)
        while day <= last:
            points.append(day)
            day += timedelta(days=7)
            if len(points) > MAX_POINTS:
                break
    else:
        year, month = first.year, first.month
        while True:
            following = date(year + (month == 12), month % 12 + 1, 1)
            end = following - timedelta(days=1)
            if end > last:
                break
            if end >= first:
                points.append(end)
            year, month = following.year, following.month
            if len(points) > MAX_POINTS:
                break
    if len(points) > MAX_POINTS:
        raise BadInput(f"a series has at most {MAX_POINTS} points: shorten it or take months", field="to",
                       reason="TOO_MANY_POINTS")
    return points


async def series(
    db: RequestSession, principal: Principal, points: Sequence[date], group_by: str, wanted: Filter, rule_version: str,
    *, with_vacancies: bool = True, with_labels: bool = True,
) -> list[list[Row]]:
    """The rows of each point, in key order. Without ``with_vacancies`` (a query that does not
    ask for them), the offers' enrolled are not counted: vacancies and over capacity are left
    out of the rows (capacities stay); without ``with_labels``, each row's label is its key."""
    place = await territory(db, principal.scope.headcount_departments, wanted)
    if place.nowhere:
        return [[] for _ in points]
    departments, uais, certifications = place.departments, place.uais, place.certifications
    repository = HeadcountRepository(db)
    key = {"NATIONAL": "department", "REGION": "department", "DEPARTMENT": "department", "CFA": "uai",
           "CERTIFICATION": "certification"}[group_by]
    # each offer's vacancies from its enrolled as the reader sees them, summed per row in SQL:
    # never netting one offer's excess against another's places
    places = {(p.day, p.key): p for p in await repository.places(
        points, group_by=group_by, departments=departments, uais=uais, certifications=certifications,
        enrolled=offers_enrolled(principal.scope) if with_vacancies else None)}
    groups: set[str] = {row for _, row in places}  # every row with places
    # On each point: group -> (registered, apprentices, contract broken, drop-outs since 1 August)
    counts_of: dict[date, dict[str, tuple[int, int, int, int]]] = {point: {} for point in points}
    quick = None
    if key == "uai" and certifications is None:  # by CFA: the sums up to the cut and the days since
        quick = await repository.cfa_counts(points, departments=departments, uais=uais)
    if quick is not None:
        for point, uai, registered, apprentices, contract_broken, dropped_out in quick:
            counts_of[point][uai] = (registered, apprentices, contract_broken, dropped_out)
    else:
        to_group: Callable[[str], str] = lambda code: code  # noqa: E731
        if group_by in ("REGION", "NATIONAL"):
            region_of = await repository.regions_of_departments()
            to_group = region_of.__getitem__ if group_by == "REGION" else (lambda code: "FR")
        stock_of: dict[date, dict[tuple[str, str], int]] = {point: {} for point in points}
        dropped_of: dict[date, dict[str, int]] = {point: {} for point in points}
        _sum_by_cuts(await _sums_by_cut(repository, points, key, departments, uais, certifications), points, to_group,
                     groups, stock_of, dropped_of)
        for point in points:
            stock, dropped = stock_of[point], dropped_of[point]
            counts_of[point] = {group: (stock.get((group, "REGISTERED"), 0), stock.get((group, "APPRENTICE"), 0),
                                        stock.get((group, "CONTRACT_BROKEN"), 0), dropped.get(group, 0)) for group in groups}
    for of_point in counts_of.values():
        groups.update(of_point)
    if group_by == "NATIONAL":
        groups = {"FR"}
    names = await labels(db, group_by, sorted(groups)) if with_labels or group_by == "NATIONAL" else {}
    answer: list[list[Row]] = []
    nothing = (0, 0, 0, 0)
    for point in points:
        counts = counts_of[point]
        rows = []
        for group in sorted(groups):
            exact = counts.get(group, nothing)
            of_row = places.get((point, group))
            if exact == nothing and of_row is None and group_by != "NATIONAL":
                continue
            counted, suppressed = shown(principal.scope, dict(zip(COUNTS, exact)))
            row = Row(key=group, label=names.get(group, group), rule_version=rule_version,
                      registered=counted["registered"], apprentices=counted["apprentices"],
                      contract_broken=counted["contract_broken"], dropped_out=counted["dropped_out"],
                      suppressed=bool(suppressed), suppressed_fields=suppressed)
            if of_row is not None:
                row.capacity = of_row.capacity
                if with_vacancies:
                    row.vacancies, row.over_capacity = of_row.vacancies, of_row.over_capacity
            rows.append(row)
        answer.append(rows)
    return answer


async def _sums_by_cut(
    repository: HeadcountRepository, points: Sequence[date], key: str, departments: frozenset[str] | None,
    uais: Sequence[str] | None, certifications: Sequence[str] | None,
) -> tuple[list[date], list[Any]]:
    """The cuts (the points and the 31 July before each) and the change points' sums between them."""
    cuts = sorted(set(points) | {school_year_start(p) - timedelta(days=1) for p in points})
    return cuts, await repository.sums(cuts, key=key, departments=departments, uais=uais, certifications=certifications)


def _sum_by_cuts(
    by_cut: tuple[list[date], list[Any]], points: Sequence[date], to_group: Callable[[str], str], groups: set[str],
    stock_of: dict[date, dict[tuple[str, str], int]], dropped_of: dict[date, dict[str, int]],
) -> None:
    """Running sums over the cuts, read at each point: stock counts, and the drop-outs between
    the 31 July before it and the point."""
    cuts, sums = by_cut
    net: list[dict[tuple[str, str], int]] = [{} for _ in cuts]  # by bucket: (group, status) -> change
    entered: list[dict[str, int]] = [{} for _ in cuts]  # by bucket: group -> drop-outs
    for bucket, code, status, change, entries in sums:
        group = to_group(code)
        groups.add(group)
        net[bucket][(group, status)] = net[bucket].get((group, status), 0) + change
        if status == "DROPPED_OUT":
            entered[bucket][group] = entered[bucket].get(group, 0) + entries
    running: dict[tuple[str, str], int] = {}
    running_dropped: dict[str, int] = {}
    dropped_at: dict[date, dict[str, int]] = {}  # by cut: group -> drop-outs up to it
    for bucket, cut in enumerate(cuts):
        for group_status, change in net[bucket].items():
            running[group_status] = running.get(group_status, 0) + change
        for group, entries in entered[bucket].items():
            running_dropped[group] = running_dropped.get(group, 0) + entries
        if cut in stock_of:
            stock_of[cut] = dict(running)
        dropped_at[cut] = dict(running_dropped)
    for point in points:
        before = dropped_at[school_year_start(point) - timedelta(days=1)]
        dropped_of[point] = {group: n - before.get(group, 0) for group, n in dropped_at[point].items()}




