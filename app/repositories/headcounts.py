"""Headcounts from the change points: sums of ``entries - exits`` up to a date, by group.

Several dates are answered by one scan: each change point falls in the bucket of the first cut
on or after its day (``width_bucket``), the sums per bucket are added up in order by the caller.
Department, region and national rows read the department rollup; CFA and certification rows
(or any filter on CFAs or certifications) read the CFA level.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, timedelta
from typing import Any, NamedTuple

from app.domain.intake import school_year
from app.repositories.base import Params, Repository, named
from app.repositories.offers import (
    SCHOOL_YEAR_FIRST,
    SCHOOL_YEAR_LAST,
    enrolled_at,
    intake_at_cut_sql,
    protected_sql,
    window_sql,
)


class Places(NamedTuple):
    """The places of a row on a day: its open offers' effective capacities, their vacancies (each
    offer's capacity minus its enrolled as the reader sees them, never below 0: one offer's excess
    never nets against another's places) and whether some offer has more enrolled than places."""

    day: date
    key: str
    capacity: int
    vacancies: int
    over_capacity: bool


# an offer's row, by where its training takes place (``d``: the department of the offer's place)
PLACE_GROUPS = {"NATIONAL": "'FR'", "REGION": "d.region_code", "DEPARTMENT": "o.department_code", "CFA": "o.uai",
                "CERTIFICATION": "o.certification_code"}


class Cut(NamedTuple):
    cut: date  # cfa_status_base sums the change points up to this day
    year_cut: date  # and its year_entries the entries up to this one (the 31 July before the cut's school year)

    def serves(self, day: date) -> bool:
        """Whether a count on ``day`` can start from the sums at the cut: a day after it, in its
        school year (the abandons and the undated offers' windows count from the year's start)."""
        return day >= self.cut and school_year(day)[0] - timedelta(days=1) == self.year_cut

    def serves_month_end(self, day: date) -> bool:
        """Whether the offers' intakes on ``day`` are their months at the cut up to it: a month
        end of the cut's school year before the cut."""
        return (day < self.cut and (day + timedelta(days=1)).day == 1
                and school_year(day)[0] - timedelta(days=1) == self.year_cut)


class CfaCount(NamedTuple):
    day: date
    uai: str
    registered: int  # youths in each status on the day
    apprentices: int
    contract_broken: int
    dropped_out: int  # entries into DROPPED_OUT since the 31 July before the day (the abandons)


class HeadcountRepository(Repository):
    _cut: Cut | None = None

    async def cut(self, *, fresh: bool = False) -> Cut:
        """Where the sums at the cut stand; read once per repository (a request's reads agree)."""
        if self._cut is None or fresh:
            self._cut = named(Cut, await self.db.fetch("SELECT cut, year_cut FROM status_cut WHERE id = 1"))[0]
        return self._cut

    async def advance_cut(self, to: date) -> bool:
        """Move the CFAs' sums (``cfa_status_base``) on to ``to`` (never back); False when they
        are there already. Waits for the batches writing change points (they read the cut FOR
        SHARE), then adds what they wrote between the old cut and the new one."""
        # read first without a lock: the sweeper of every process calls this every few minutes,
        # and the lock would make the batches in flight (FOR SHARE) and the next ones wait
        if (await self.cut(fresh=True)).cut >= to:
            return False
        old = named(Cut, await self.db.fetch("SELECT cut, year_cut FROM status_cut WHERE id = 1 FOR UPDATE"))[0]
        if old.cut >= to:  # another process moved it meanwhile
            return False
        year_cut = school_year(to)[0] - timedelta(days=1)
        await self.db.run(
            "INSERT INTO cfa_status_base AS b (uai, status, net, entries, year_entries)"
            " SELECT uai, status, coalesce(sum(entries - exits) FILTER (WHERE day > $1 AND day <= $2), 0),"
            " coalesce(sum(entries) FILTER (WHERE day > $1 AND day <= $2), 0),"
            " coalesce(sum(entries) FILTER (WHERE day > $3 AND day <= $4), 0) FROM status_change"
            " WHERE (day > $1 AND day <= $2) OR (day > $3 AND day <= $4) GROUP BY 1, 2 ORDER BY 1, 2"
            " ON CONFLICT (uai, status) DO UPDATE SET net = b.net + excluded.net, entries = b.entries + excluded.entries,"
            " year_entries = b.year_entries + excluded.year_entries",
            old.cut, to, old.year_cut, year_cut,
        )
        # the offers' intakes at the cut: a new school year moves the undated offers' windows, so
        # every entry is taken in anew; otherwise the days between the two cuts are added
        month = "date_trunc('month', day)::date AS month"
        if year_cut != old.year_cut:
            await self.db.run("DELETE FROM offer_intake_base")
            await self.db.run("DELETE FROM offer_intake_month")
            await self.db.run(intake_at_cut_sql(
                f"SELECT uai, certification_code, entered_on, {month}, sum(youths) AS youths FROM intake_change"
                " WHERE day <= $1 GROUP BY 1, 2, 3, 4", "(SELECT $2::date AS year_cut) AS k"), to, year_cut)
        else:
            await self.db.run(intake_at_cut_sql(
                f"SELECT uai, certification_code, entered_on, {month}, sum(youths) AS youths FROM intake_change"
                " WHERE day > $1 AND day <= $2 GROUP BY 1, 2, 3, 4", "(SELECT $3::date AS year_cut) AS k"),
                old.cut, to, year_cut)
        await self.db.run("UPDATE status_cut SET cut = $1, year_cut = $2 WHERE id = 1", to, year_cut)
        self._cut = Cut(to, year_cut)
        return True

    async def cfa_counts(
        self, points: Sequence[date], *, departments: frozenset[str] | None, uais: Sequence[str] | None,
        apprentices_only: bool = False,
    ) -> list[CfaCount] | None:
        """Each CFA's youths by status on each point, and its abandons since the 31 July before,
        from its sums up to the cut and the change points of the days since, one row per CFA and
        point; None when a point is not after the cut or not in the cut's school year (then
        :meth:`sums` answers). ``apprentices_only`` (coverage): the other counts are left at 0,
        a fifth of the rows read."""
        cut = await self.cut()
        if not all(cut.serves(point) for point in points):
            return None
        args = Params([list(points)])
        # The filters apply to the summed rows (a few per CFA): joined into the sums, a list of
        # thousands of UAIs turned the day index's few rows into a probe per CFA (10 times slower).
        kept = ["true"]
        if departments is not None:
            kept.append(f"y.uai IN (SELECT c.uai FROM cfa c WHERE c.department_code = ANY({args(sorted(departments))}::text[]))")
        if uais is not None:
            kept.append(f"y.uai IN (SELECT unnest({args(sorted(uais))}::text[]))")
        only = " AND {t}.status = 'APPRENTICE'" if apprentices_only else ""
        since = "" if max(points) == cut.cut else (  # after the cut: the change points dated between
            " UNION ALL SELECT p.day, s.uai, s.status, s.entries - s.exits, s.entries FROM unnest($1::date[]) AS p(day)"
            f" JOIN status_change s ON s.day > {args(cut.cut)} AND s.day <= p.day{only.format(t='s')}")
        return named(CfaCount, await self.db.fetch(
            "SELECT y.* FROM (SELECT x.day, x.uai,"
            " coalesce(sum(x.youths) FILTER (WHERE x.status = 'REGISTERED'), 0)::int,"
            " coalesce(sum(x.youths) FILTER (WHERE x.status = 'APPRENTICE'), 0)::int,"
            " coalesce(sum(x.youths) FILTER (WHERE x.status = 'CONTRACT_BROKEN'), 0)::int,"
            " coalesce(sum(x.dropped) FILTER (WHERE x.status = 'DROPPED_OUT'), 0)::int"
            " FROM (SELECT p.day, b.uai, b.status, b.net AS youths, b.entries - b.year_entries"
            " AS dropped FROM unnest($1::date[]) AS p(day) CROSS JOIN cfa_status_base b"
            f" WHERE true{only.format(t='b')}{since}) AS x GROUP BY 1, 2) AS y"
            f" WHERE {' AND '.join(kept)}",
            *args,
        ))

    async def sums(
        self, cuts: Sequence[date], *, key: str, departments: frozenset[str] | None,
        uais: Sequence[str] | None, certifications: Sequence[str] | None,
    ) -> list[Any]:
        """(bucket, group key, status, net, entries) for the change points up to the last cut;
        ``key``: "department", "uai" or "certification"."""
        thresholds = [cut + timedelta(days=1) for cut in cuts]
        args = Params([thresholds, cuts[-1]])
        if key == "department" and uais is None and certifications is None:
            filters: list[tuple[str, Collection[str]]] = [] if departments is None else [("{t}.department_code", departments)]
            return await self._months_and_days(
                "department_status_change", "department_status_month", "department_code", "", args, cuts, filters
            )
        if key == "uai" and certifications is None:
            filters = [(column, values) for column, values in (("c.department_code", departments), ("{t}.uai", uais))
                       if values is not None]
            return await self._months_and_days(
                "status_change", "cfa_status_month", "uai", " JOIN cfa c ON c.uai = {t}.uai", args, cuts, filters
            )
        conditions = ["s.day <= $2"]
        column = {"department": "c.department_code", "uai": "s.uai", "certification": "s.certification_code"}[key]
        _narrow(args, conditions, "s", departments, uais, certifications)
        return await self.db.fetch(
            f"SELECT width_bucket(s.day, $1::date[]) AS bucket, {column}, s.status, sum(s.entries - s.exits)::int,"
            " sum(s.entries)::int FROM status_change s JOIN cfa c ON c.uai = s.uai"
            f" WHERE {' AND '.join(conditions)} GROUP BY 1, 2, 3",
            *args,
        )

    async def _months_and_days(
        self, daily: str, monthly: str, key: str, join: str, args: Params, cuts: Sequence[date],
        filters: Sequence[tuple[str, Any]],
    ) -> list[Any]:
        """The sums of :meth:`sums` from a monthly rollup for whole months (bucketed by their last
        day) and from the daily rows for the months a cut falls inside (not on their last day):
        a national count on a date reads the months before it and the days of its own month."""
        args.append(list(cuts))
        daily_conditions = ["s.day <= $2"]
        monthly_conditions = ["(m.month + interval '1 month')::date <= $2::date + 1",
                              "m.month <> ALL(ARRAY(SELECT month FROM split))"]
        for column, values in filters:
            placeholder = args(sorted(values))
            daily_conditions.append(f"{column.format(t='s')} = ANY({placeholder}::text[])")
            monthly_conditions.append(f"{column.format(t='m')} = ANY({placeholder}::text[])")
        return await self.db.fetch(
            "WITH split AS (SELECT DISTINCT date_trunc('month', c)::date AS month FROM unnest($3::date[]) AS c"
            " WHERE c <> (date_trunc('month', c) + interval '1 month - 1 day')::date)"
            f" SELECT width_bucket(s.day, $1::date[]) AS bucket, s.{key}, s.status, sum(s.entries - s.exits)::int,"
            f" sum(s.entries)::int FROM split JOIN {daily} s ON s.day >= split.month"
            f" AND s.day < split.month + interval '1 month'{join.format(t='s')}"
            f" WHERE {' AND '.join(daily_conditions)} GROUP BY 1, 2, 3"
            " UNION ALL SELECT width_bucket((m.month + interval '1 month - 1 day')::date, $1::date[]),"
            f" m.{key}, m.status, sum(m.entries - m.exits)::int, sum(m.entries)::int FROM {monthly} m{join.format(t='m')}"
            f" WHERE {' AND '.join(monthly_conditions)} GROUP BY 1, 2, 3",
            *args,
        )

    async def places(
        self, points: Sequence[date], *, group_by: str, departments: frozenset[str] | None, uais: Sequence[str] | None,
        certifications: Sequence[str] | None, enrolled: str | None,
    ) -> list[Places]:
        """The places of each row (``PLACE_GROUPS``) on each point: the offers with a capacity whose
        session covers the point (no dates: every day), summed per row. ``departments``: where the
        training takes place (the offer's own department; a site's may differ from its CFA's).
        ``enrolled``: "exact" or "protected" (app/domain/disclosure.py, as the reader's scope says),
        the enrolled each offer's vacancies and excess come from; None: capacities alone.

        An offer's enrolled on the cut: its intake at the cut; on a later day of the cut's school
        year: that and the entries of the days since; on a month end of the cut's school year
        before the cut: its intake's months up to it; else from its whole history."""
        cut = await self.cut()
        args = Params([list(points)])
        conditions = [
            "coalesce(o.revised_capacity, o.capacity) IS NOT NULL",
            "(o.session_start IS NULL OR o.session_start <= p.day)", "(o.session_end IS NULL OR o.session_end >= p.day)",
        ]
        for values, column in ((departments, "o.department_code"), (uais, "o.uai"), (certifications, "o.certification_code")):
            if values is not None:
                conditions.append(f"{column} = ANY({args(sorted(values))}::text[])")
        group = PLACE_GROUPS[group_by]
        place = " JOIN department d ON d.code = o.department_code" if group_by == "REGION" else ""
        ctes: list[str] = []
        joined = ""
        earlier = [point for point in points if point < cut.cut]
        if enrolled is None:
            count = "0"
        elif not all(cut.serves(point) or cut.serves_month_end(point) for point in points):
            count = enrolled_at("p.day", SCHOOL_YEAR_FIRST.format(d="p.day"), SCHOOL_YEAR_LAST.format(d="p.day"))
        else:
            from_cut = "coalesce(b.youths, 0)"  # on the cut
            joined = " LEFT JOIN offer_intake_base b ON b.offer_id = o.id"
            if max(points) > cut.cut:  # later days: the entries of the days since, each to the offer taking it in
                since = args(cut.cut)
                first, last = school_year(cut.cut + timedelta(days=1))
                o_from, o_to, o_rank = window_sql("o", f"{args(first)}::date", f"{args(last)}::date")
                ctes.append(
                    f"daily AS (SELECT p.day AS point, i.uai, i.certification_code, i.entered_on, sum(i.youths) AS youths"
                    f" FROM unnest($1::date[]) AS p(day) JOIN intake_change i ON i.day > {since} AND i.day <= p.day"
                    " GROUP BY 1, 2, 3, 4)")
                ctes.append(
                    "taken AS (SELECT d.point, a.id, sum(d.youths) AS youths FROM daily d CROSS JOIN LATERAL (SELECT o.id"
                    " FROM offer o WHERE o.certification_code = d.certification_code AND o.uai = d.uai"
                    f" AND d.entered_on >= {o_from} AND d.entered_on <= {o_to} ORDER BY {o_rank} DESC, o.id LIMIT 1) AS a"
                    " GROUP BY 1, 2)")
                from_cut = "(coalesce(b.youths, 0) + coalesce(t.youths, 0))"
                joined += " LEFT JOIN taken t ON t.point = p.day AND t.id = o.id"
            count = f"{from_cut}::int"
            if earlier:  # month ends before the cut: the intakes' months up to each
                ctes.append(
                    f"months AS (SELECT p.day, m.offer_id, sum(m.youths) AS youths FROM unnest({args(earlier)}::date[])"
                    " AS p(day) JOIN offer_intake_month m ON m.month <= p.day GROUP BY 1, 2)")
                joined += " LEFT JOIN months e ON e.day = p.day AND e.offer_id = o.id"
                count = f"(CASE WHEN p.day < {args(cut.cut)} THEN coalesce(e.youths, 0) ELSE {from_cut} END)::int"
        before = f"WITH {', '.join(ctes)} " if ctes else ""
        shown = protected_sql("x.enrolled") if enrolled == "protected" else "x.enrolled"
        return named(Places, await self.db.fetch(
            f"{before}SELECT x.day, x.key, sum(x.capacity)::int, sum(greatest(x.capacity - {shown}, 0))::int,"
            f" coalesce(bool_or({shown} > x.capacity), false) FROM (SELECT p.day, {group} AS key,"
            f" coalesce(o.revised_capacity, o.capacity) AS capacity, {count} AS enrolled"
            f" FROM unnest($1::date[]) AS p(day) JOIN offer o ON true{place}{joined}"
            f" WHERE {' AND '.join(conditions)}) AS x GROUP BY 1, 2",
            *args,
        ))

    async def labels(self, key: str, codes: Sequence[str]) -> dict[str, str]:
        table = {
            "department": "SELECT code, name FROM department WHERE code = ANY($1::text[])",
            "region": "SELECT code, name FROM region WHERE code = ANY($1::text[])",
            "uai": "SELECT uai, name FROM cfa WHERE uai = ANY($1::text[])",
            "certification": "SELECT code, title FROM certification WHERE code = ANY($1::text[])",
        }[key]
        return {row[0]: row[1] for row in await self.db.fetch(table, list(codes))}

    async def regions_of_departments(self) -> dict[str, str]:
        return {row[0]: row[1] for row in await self.db.fetch("SELECT code, region_code FROM department")}


def _narrow(
    args: Params, conditions: list[str], table: str, departments: frozenset[str] | None,
    uais: Sequence[str] | None, certifications: Sequence[str] | None,
) -> None:
    """The scope and filter conditions on ``table`` (its uai, certification_code) and ``c`` (its CFA)."""
    for values, column in ((departments, "c.department_code"), (uais, f"{table}.uai"),
                           (certifications, f"{table}.certification_code")):
        if values is not None:
            conditions.append(f"{column} = ANY({args(sorted(values))}::text[])")
