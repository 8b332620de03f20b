"""Training offers: the batch upsert, capacity revisions, lists with the youths enrolled today.

``enrolled`` is an offer's intake (app/domain/intake.py) read from the intakes' change points
(intake_change): the youths its session took in who are REGISTERED, APPRENTICE or
CONTRACT_BROKEN at its CFA and certification on the day, a small range sum per (uai,
certification) and entry day. It is exact here; what a reader sees of it is protected above
(app/services/disclosure.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from app.domain.disclosure import BASE
from app.domain.intake import EARLY_DAYS, school_year
from app.repositories import arrays
from app.repositories.base import Params, Repository, named


def window_sql(t: str, first: str, last: str) -> tuple[str, str, str]:
    """The window of entries offer ``t`` takes in and its rank (app/domain/intake.py, window):
    from 30 days before its start to its end, the school year [first, last] without dates."""
    undated = f"{t}.session_start IS NULL AND {t}.session_end IS NULL"
    return (
        f"CASE WHEN {undated} THEN {first} ELSE coalesce({t}.session_start - {EARLY_DAYS}, '-infinity'::date) END",
        f"CASE WHEN {undated} THEN {last} ELSE coalesce({t}.session_end, 'infinity'::date) END",
        f"CASE WHEN {undated} THEN {first} ELSE coalesce({t}.session_start, '-infinity'::date) END",
    )


def enrolled_sql(arg: Params, on: date) -> str:
    """Offer ``o``'s enrolled on ``on`` (see :func:`enrolled_at`)."""
    first, last = school_year(on)
    return enrolled_at(arg(on), f"{arg(first)}::date", f"{arg(last)}::date")


# the school year of a date column or parameter ``d``: from 1 August to 31 July
SCHOOL_YEAR_FIRST = "make_date(extract(year FROM {d} - interval '7 months')::int, 8, 1)"
SCHOOL_YEAR_LAST = "(make_date(extract(year FROM {d} - interval '7 months')::int + 1, 7, 31))"


def enrolled_at(day: str, first: str, last: str) -> str:
    """Offer ``o``'s enrolled on ``day`` (SQL expressions: the day, its school year's first and
    last days), exact (app/domain/intake.py): the youths of its intake filling a place, from the
    intakes' change points, the entries its window takes in and no later session's (then lower
    id) window takes too. The reader's protection is applied above (app/services/disclosure.py)."""
    o_from, o_to, o_rank = window_sql("o", first, last)
    b_from, b_to, b_rank = window_sql("b", first, last)
    return (
        "(SELECT coalesce(sum(k.youths), 0)::int FROM (SELECT i.entered_on, sum(i.youths) AS youths"
        " FROM intake_change i WHERE i.uai = o.uai AND i.certification_code = o.certification_code"
        f" AND i.day <= {day} GROUP BY i.entered_on) AS k"
        f" WHERE k.entered_on >= {o_from} AND k.entered_on <= {o_to}"
        " AND NOT EXISTS (SELECT FROM offer b WHERE b.certification_code = o.certification_code AND b.uai = o.uai"
        f" AND b.id <> o.id AND k.entered_on >= {b_from} AND k.entered_on <= {b_to}"
        f" AND ({b_rank}, -b.id) > ({o_rank}, -o.id)))"
    )


def intake_at_cut_sql(deltas: str, cut: str) -> str:
    """The statement adding ``deltas`` (a query of uai, certification_code, entered_on, month (the
    first day of the change points' month), youths) to the offers' intakes at the cut, each
    entry to the offer whose session takes it in (offers without dates: over the cut's school
    year): their sums (offer_intake_base) and their sums by month (offer_intake_month, the months
    before the cut's school year in its first). ``cut``: a FROM item ``k`` with the cut's
    ``year_cut``."""
    first, last = "(k.year_cut + 1)", "(k.year_cut + interval '1 year')::date"
    o_from, o_to, o_rank = window_sql("o", first, last)
    return (
        f"WITH taken AS (SELECT a.id, greatest(d.month, {first}) AS month, sum(d.youths) AS youths FROM ({deltas}) AS d"
        f" CROSS JOIN {cut} CROSS JOIN LATERAL (SELECT o.id FROM offer o WHERE o.certification_code = d.certification_code"
        f" AND o.uai = d.uai AND d.entered_on >= {o_from} AND d.entered_on <= {o_to} ORDER BY {o_rank} DESC, o.id"
        " LIMIT 1) AS a GROUP BY 1, 2),"
        " by_month AS (INSERT INTO offer_intake_month AS m (offer_id, month, youths) SELECT id, month, youths FROM taken"
        " ORDER BY 1, 2 ON CONFLICT (offer_id, month) DO UPDATE SET youths = m.youths + excluded.youths)"
        " INSERT INTO offer_intake_base AS b (offer_id, youths) SELECT id, sum(youths) FROM taken GROUP BY 1 ORDER BY 1"
        " ON CONFLICT (offer_id) DO UPDATE SET youths = b.youths + excluded.youths"
    )


def protected_sql(expression: str) -> str:
    """``expression`` as a protected count (app/domain/disclosure.py, protect)."""
    return f"(CASE WHEN ({expression}) < {BASE} THEN 0 ELSE (({expression}) + {BASE // 2}) / {BASE} * {BASE} END)"


COLUMNS = (
    "o.id, o.uai, o.offer_ref, o.title, o.siret, o.certification_code, o.department_code, o.session_start,"
    " o.session_end, o.capacity, o.revised_capacity, o.parcoursup_id, o.affelnet_id, o.updated_at"
)


@dataclass(frozen=True)
class OfferQuery:
    on: date
    departments: frozenset[str] | None = None  # where the training takes place; None: everywhere
    certification: str | None = None
    uai: str | None = None
    with_vacancies_only: bool = False

    protected: bool = True  # the reader sees enrolled and vacancies protected (app/domain/scope.py)

    def where(self, arg: Params, *, enrolled_needed: bool) -> tuple[str, str]:
        """(conditions on ``o``, the exact enrolled expression, when needed or filtered on)."""

        enrolled = ""
        if enrolled_needed or self.with_vacancies_only:
            enrolled = enrolled_sql(arg, self.on)
        conditions = ["true"]
        if self.departments is not None:
            conditions.append(f"o.department_code = ANY({arg(sorted(self.departments))}::text[])")
        if self.certification is not None:
            conditions.append(f"o.certification_code = {arg(self.certification)}")
        if self.uai is not None:
            conditions.append(f"o.uai = {arg(self.uai)}")
        if self.with_vacancies_only:  # on the vacancies as the reader sees them
            shown = protected_sql(enrolled) if self.protected else enrolled
            conditions.append(f"coalesce(o.revised_capacity, o.capacity) > {shown}")
        return " AND ".join(conditions), enrolled


class KnownOffer(NamedTuple):
    """A stored offer, as a new version of it is compared with it and replaces it."""

    uai: str
    offer_ref: str
    content_hash: bytes | None
    session_end: date | None
    certification_code: str


class OfferRepository(Repository):
    async def known(self, keys: Sequence[tuple[str, str]]) -> list[KnownOffer]:
        """These offers, by (uai, offer_ref), those that are stored."""
        return named(KnownOffer, await self.db.fetch(
            "SELECT o.uai, o.offer_ref, o.content_hash, o.session_end, o.certification_code"
            " FROM unnest($1::text[], $2::text[]) AS k(uai, ref) JOIN offer o ON o.uai = k.uai AND o.offer_ref = k.ref",
            [uai for uai, _ in keys], [ref for _, ref in keys],
        ))

    async def upsert(self, vendor_id: uuid.UUID, columns: Sequence[list[Any]]) -> list[Any]:
        """Insert new offers and replace changed ones on (uai, offer_ref); the revised capacity is
        the authorities', never touched here. Returns (id, uai, offer_ref) of the rows written.
        ``columns``: uai, offer_ref, title, siret, certification, department, session_start,
        session_end, capacity, parcoursup_id, affelnet_id, content_hash."""
        (uai, ref, title, siret, certification, department, start, end, capacity, parcoursup, affelnet, hashes) = columns
        return await self.db.fetch(
            "INSERT INTO offer (uai, offer_ref, title, siret, certification_code, department_code, session_start,"
            " session_end, capacity, parcoursup_id, affelnet_id, content_hash, vendor_client_id)"
            " SELECT *, $13 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],"
            " $7::text::date[], $8::text::date[], $9::text::int[], $10::text[], $11::text[], $12::bytea[])"
            " ON CONFLICT (uai, offer_ref) DO UPDATE SET title = excluded.title, siret = excluded.siret,"
            " certification_code = excluded.certification_code, department_code = excluded.department_code,"
            " session_start = excluded.session_start, session_end = excluded.session_end, capacity = excluded.capacity,"
            " parcoursup_id = excluded.parcoursup_id, affelnet_id = excluded.affelnet_id,"
            " content_hash = excluded.content_hash, vendor_client_id = excluded.vendor_client_id, updated_at = now()"
            " WHERE offer.content_hash IS DISTINCT FROM excluded.content_hash"
            " RETURNING id, uai, offer_ref",
            uai, ref, title, siret, certification, department, arrays.dates(start), arrays.dates(end),
            "{" + ",".join("NULL" if c is None else str(c) for c in capacity) + "}", parcoursup, affelnet, hashes,
            vendor_id,
        )

    async def youths_with_contracts_at(self, pairs: Sequence[tuple[str, str]]) -> list[int]:
        """The youths with a contract or a rupture at these CFAs and certifications that does not
        carry its own training end: its end and its completion depend on the offers' sessions."""
        rows = await self.db.fetch(
            "SELECT DISTINCT e.youth_id FROM unnest($1::text[], $2::text[]) AS p(uai, certification)"
            " JOIN step_event e ON e.uai = p.uai AND e.certification_code = p.certification"
            " AND e.training_end IS NULL AND e.step IN ('APPRENTICE', 'CONTRACT_BROKEN')",
            [p[0] for p in pairs], [p[1] for p in pairs],
        )
        return [row[0] for row in rows]

    async def rebuild_intakes_at_cut(self, pairs: Sequence[tuple[str, str]]) -> None:
        """The intakes at the cut of the offers of these CFAs and certifications, anew from their
        change points (their offers changed: the entries may belong to others now)."""
        if not pairs:
            return
        uais, certifications = [uai for uai, _ in pairs], [certification for _, certification in pairs]
        for table in ("offer_intake_base", "offer_intake_month"):
            await self.db.run(
                f"DELETE FROM {table} b USING offer o, unnest($1::text[], $2::text[]) AS p(uai, certification)"
                " WHERE o.id = b.offer_id AND o.uai = p.uai AND o.certification_code = p.certification",
                uais, certifications,
            )
        await self.db.run(
            intake_at_cut_sql(
                "SELECT i.uai, i.certification_code, i.entered_on, date_trunc('month', i.day)::date AS month,"
                " sum(i.youths) AS youths FROM unnest($1::text[], $2::text[]) AS p(uai, certification) JOIN intake_change i"
                " ON i.uai = p.uai AND i.certification_code = p.certification"
                " WHERE i.day <= (SELECT cut FROM status_cut WHERE id = 1 FOR SHARE) GROUP BY 1, 2, 3, 4",
                "(SELECT year_cut FROM status_cut WHERE id = 1) AS k",
            ),
            uais, certifications,
        )

    async def revise(self, offer_id: int, capacity: int | None) -> bool:
        rows = await self.db.fetch(
            "UPDATE offer SET revised_capacity = $2, updated_at = now() WHERE id = $1 RETURNING id", offer_id, capacity
        )
        return bool(rows)

    async def by_ids(self, ids: Sequence[int], on: date) -> list[Any]:
        """These offers, with their exact enrolled on ``on``."""
        arg = Params([arrays.ints(ids)])
        enrolled = enrolled_sql(arg, on)
        return await self.db.fetch(
            f"SELECT {COLUMNS}, {enrolled} AS enrolled FROM unnest($1::text::bigint[]) AS i(id) JOIN offer o ON o.id = i.id",
            *arg,
        )

    async def page(self, query: OfferQuery, after_id: int | None, limit: int) -> list[Any]:
        arg = Params()
        where, enrolled = query.where(arg, enrolled_needed=True)
        if after_id is not None:
            where += f" AND o.id > {arg(after_id)}"
        return await self.db.fetch(
            f"SELECT {COLUMNS}, {enrolled} AS enrolled FROM offer o WHERE {where} ORDER BY o.id LIMIT {arg(limit)}", *arg
        )

    async def count(self, query: OfferQuery) -> int:
        arg = Params()
        where, _ = query.where(arg, enrolled_needed=False)
        rows = await self.db.fetch(f"SELECT count(*) FROM offer o WHERE {where}", *arg)
        value: int = rows[0][0]
        return value
