"""Youths' derived paths (one row per youth): rewritten for the youths a batch touched."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, text

from app.repositories import arrays
from app.repositories.base import Repository
from app.repositories.offers import intake_at_cut_sql


class PathRepository(Repository):
    async def write(self, paths: Sequence[list[Any]], empty_youth_ids: Sequence[int], rule_version: str) -> list[Any]:
        """Store one path per youth and return the paths they replace. ``paths`` holds the
        columns youth_id, starts, statuses, uais, certifications, causes; each but the first
        holds, per youth, the PostgreSQL array literal of its segments (e.g.
        ``{2026-09-01,2026-12-01}``): one row per youth, with no grouping or sorting in the
        database. Youths in ``empty_youth_ids`` have no status step any more and lose their path.
        Old paths: (youth_id, starts, statuses, uais, certifications)."""
        old: list[Any] = []
        if paths[0]:
            # the statement's snapshot gives the rows as they were before its own upsert
            old = await self.db.fetch(
                "WITH old AS (SELECT o.youth_id, o.starts, o.statuses, o.uais, o.certifications"
                " FROM unnest($1::text::bigint[]) AS i(youth_id) JOIN youth_path o ON o.youth_id = i.youth_id),"
                " written AS (INSERT INTO youth_path AS p (youth_id, starts, statuses, uais, certifications, causes,"
                " rule_version)"
                " SELECT youth_id, starts::date[], statuses::text[], uais::text[], certifications::text[],"
                " causes::text[], $7 FROM unnest($1::text::bigint[], $2::text[], $3::text[], $4::text[], $5::text[],"
                " $6::text[]) AS p(youth_id, starts, statuses, uais, certifications, causes)"
                " ON CONFLICT (youth_id) DO UPDATE SET starts = excluded.starts, statuses = excluded.statuses,"
                " uais = excluded.uais, certifications = excluded.certifications, causes = excluded.causes,"
                " rule_version = excluded.rule_version, computed_at = now()"
                # a path computed again as it was is left alone: no new row version, no WAL
                " WHERE (p.starts, p.statuses, p.uais, p.certifications, p.causes, p.rule_version) IS DISTINCT FROM"
                " (excluded.starts, excluded.statuses, excluded.uais, excluded.certifications, excluded.causes,"
                " excluded.rule_version))"
                " SELECT * FROM old",
                arrays.ints(paths[0]), *paths[1:], rule_version,
            )
        if empty_youth_ids:
            old += await self.delete(empty_youth_ids)
        return old

    async def add_changes(self, changes: Sequence[tuple[str, str, str, Any, int, int]]) -> None:
        """Add (uai, certification, status, day, entries, exits) to the change points, in key
        order (concurrent batches lock shared rows in the same order)."""
        if not changes:
            return
        rows = sorted(changes)
        # One statement for the five levels: the CFA's rows, its sums up to the cut, the same by
        # CFA and month, by the CFA's department, and by department and month (each in key order).
        await self.db.run(
            "WITH c AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text::date[], $5::text::int[],"
            " $6::text::int[]) AS c(uai, certification_code, status, day, entries, exits)),"
            " by_cfa AS (INSERT INTO status_change AS s (uai, certification_code, status, day, entries, exits)"
            " SELECT * FROM c ON CONFLICT (uai, certification_code, status, day) DO UPDATE"
            " SET entries = s.entries + excluded.entries, exits = s.exits + excluded.exits),"
            # the CFA's sums up to the cut, for the days the cut covers (a late report); the cut's
            # row is read FOR SHARE: the sweeper moving it waits for this transaction (and then
            # sums what it wrote), a batch after the move reads the new cut
            " cut AS (SELECT cut, year_cut FROM status_cut WHERE id = 1 FOR SHARE),"
            " by_base AS (INSERT INTO cfa_status_base AS b (uai, status, net, entries, year_entries)"
            " SELECT c.uai, c.status, sum(c.entries - c.exits), sum(c.entries),"
            " coalesce(sum(c.entries) FILTER (WHERE c.day <= cut.year_cut), 0) FROM c, cut WHERE c.day <= cut.cut"
            " GROUP BY 1, 2 ORDER BY 1, 2 ON CONFLICT (uai, status) DO UPDATE SET net = b.net + excluded.net,"
            " entries = b.entries + excluded.entries, year_entries = b.year_entries + excluded.year_entries),"
            " by_cfa_month AS (INSERT INTO cfa_status_month AS k (uai, status, month, entries, exits)"
            " SELECT uai, status, date_trunc('month', day)::date, sum(entries), sum(exits) FROM c GROUP BY 1, 2, 3"
            " ORDER BY 1, 2, 3 ON CONFLICT (uai, status, month) DO UPDATE"
            " SET entries = k.entries + excluded.entries, exits = k.exits + excluded.exits),"
            " by_department AS (SELECT f.department_code, c.status, c.day, sum(c.entries) AS entries, sum(c.exits) AS exits"
            " FROM c JOIN cfa f ON f.uai = c.uai GROUP BY 1, 2, 3),"
            " by_day AS (INSERT INTO department_status_change AS d (department_code, status, day, entries, exits)"
            " SELECT * FROM by_department ORDER BY 1, 2, 3 ON CONFLICT (department_code, status, day) DO UPDATE"
            " SET entries = d.entries + excluded.entries, exits = d.exits + excluded.exits)"
            " INSERT INTO department_status_month AS m (department_code, status, month, entries, exits)"
            " SELECT department_code, status, date_trunc('month', day)::date, sum(entries), sum(exits) FROM by_department"
            " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 ON CONFLICT (department_code, status, month) DO UPDATE"
            " SET entries = m.entries + excluded.entries, exits = m.exits + excluded.exits",
            [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], arrays.dates(r[3] for r in rows),
            arrays.ints(r[4] for r in rows), arrays.ints(r[5] for r in rows),
        )

    async def add_intake(self, changes: Sequence[tuple[str, str, Any, Any, int]]) -> None:
        """Add (uai, certification, entered_on, day, youths) to the intakes' change points, in key
        order (concurrent batches lock shared rows in the same order)."""
        if not changes:
            return
        rows = sorted(changes)
        columns = (
            [r[0] for r in rows], [r[1] for r in rows], arrays.dates(r[2] for r in rows), arrays.dates(r[3] for r in rows),
            arrays.ints(r[4] for r in rows),
        )
        await self.db.run(
            "INSERT INTO intake_change AS k (uai, certification_code, entered_on, day, youths)"
            " SELECT * FROM unnest($1::text[], $2::text[], $3::text::date[], $4::text::date[], $5::text::int[])"
            " ON CONFLICT (uai, certification_code, entered_on, day) DO UPDATE SET youths = k.youths + excluded.youths",
            *columns,
        )
        # the days the cut covers (a late report) move the offers' intakes at the cut too; the
        # cut is read FOR SHARE, as for the CFAs' sums
        await self.db.run(
            intake_at_cut_sql(
                "SELECT r.uai, r.certification_code, r.entered_on, date_trunc('month', r.day)::date AS month, r.youths"
                " FROM unnest($1::text[], $2::text[],"
                " $3::text::date[], $4::text::date[], $5::text::int[]) AS r(uai, certification_code, entered_on, day, youths)"
                " WHERE r.day <= (SELECT cut FROM status_cut WHERE id = 1 FOR SHARE)",
                "(SELECT year_cut FROM status_cut WHERE id = 1) AS k",
            ),
            *columns,
        )

    async def write_risks(self, youth_ids: Sequence[int], spans: Sequence[tuple[int, Any]], rule_version: str) -> None:
        """Replace the spans of risk of these youths by ``spans`` ((youth_id, RiskSpan) pairs);
        the department is the residence, else the department of the span's CFA. The last statement of a youth's recomputation: by
        the same statement, a youth set aside after a failed derivation is taken off (its
        derivation succeeded now)."""
        await self.db.run(
            "WITH recovered AS (DELETE FROM derivation_failure f USING unnest($1::text::bigint[]) AS i(youth_id)"
            " WHERE f.youth_id = i.youth_id)"
            " DELETE FROM youth_risk r USING unnest($1::text::bigint[]) AS i(youth_id) WHERE r.youth_id = i.youth_id",
            arrays.ints(youth_ids),
        )
        if not spans:
            return
        await self.db.run(
            "INSERT INTO youth_risk (youth_id, valid_from, valid_to, reasons, since, uai, department_code, rule_version)"
            " SELECT s.youth_id, s.valid_from, s.valid_to, s.reasons::varchar(24)[], s.since, s.uai,"
            " coalesce(s.residence, c.department_code), $8"
            " FROM unnest($1::text::bigint[], $2::text::date[], $3::text::date[], $4::text[], $5::text::date[], $6::text[],"
            " $7::text[]) AS s(youth_id, valid_from, valid_to, reasons, since, uai, residence) JOIN cfa c ON c.uai = s.uai",
            arrays.ints(y for y, _ in spans), arrays.dates(span.start for _, span in spans),
            arrays.dates(span.end for _, span in spans), ["{" + ",".join(span.reasons) + "}" for _, span in spans],
            arrays.dates(span.since for _, span in spans), [span.uai for _, span in spans],
            [span.department for _, span in spans], rule_version,
        )

    async def delete(self, youth_ids: Sequence[int]) -> list[Any]:
        """Remove these youths' paths; return them (youth_id, starts, statuses, uais, certifications)."""
        return await self.db.fetch(
            "DELETE FROM youth_path p USING unnest($1::text::bigint[]) AS i(youth_id) WHERE p.youth_id = i.youth_id"
            " RETURNING p.youth_id, p.starts, p.statuses, p.uais, p.certifications",
            arrays.ints(youth_ids),
        )

    async def delete_risks(self, youth_ids: Sequence[int]) -> None:
        await self.db.run(
            "DELETE FROM youth_risk r USING unnest($1::text::bigint[]) AS i(youth_id) WHERE r.youth_id = i.youth_id",
            arrays.ints(youth_ids),
        )

    async def of_youths(self, youth_ids: Sequence[int]) -> list[Row[Any]]:
        statement = text(
            "SELECT p.youth_id, p.starts, p.statuses, p.uais, p.certifications, p.causes, p.rule_version"
            " FROM unnest(CAST(:ids AS bigint[])) AS i(youth_id) JOIN youth_path p ON p.youth_id = i.youth_id"
        )
        return list((await self.db.execute(statement, {"ids": list(youth_ids)})).all())
