"""Training offers: the batch upsert, capacity revisions, lists with the youths enrolled today.

``enrolled`` is read from the headcount change points (status_change): the youths whose path is
REGISTERED, APPRENTICE or CONTRACT_BROKEN on that CFA and certification on the day, a small
range sum per (uai, certification).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from app.domain import timeline
from app.repositories import arrays
from app.repositories.base import Params, Repository, named

ENROLLED = (
    "(SELECT coalesce(sum(c.entries - c.exits), 0)::int FROM status_change c WHERE c.uai = o.uai"
    " AND c.certification_code = o.certification_code"
    f" AND c.status = ANY('{{{','.join(timeline.ENROLLED)}}}') AND c.day <= {{day}})"
)
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

    def where(self, arg: Params, *, enrolled_needed: bool) -> tuple[str, str]:
        """(conditions on ``o``, the enrolled expression, when needed or filtered on)."""

        enrolled = ""
        if enrolled_needed or self.with_vacancies_only:
            enrolled = ENROLLED.replace("{day}", arg(self.on))
        conditions = ["true"]
        if self.departments is not None:
            conditions.append(f"o.department_code = ANY({arg(sorted(self.departments))}::text[])")
        if self.certification is not None:
            conditions.append(f"o.certification_code = {arg(self.certification)}")
        if self.uai is not None:
            conditions.append(f"o.uai = {arg(self.uai)}")
        if self.with_vacancies_only:
            conditions.append(f"coalesce(o.revised_capacity, o.capacity) > {enrolled}")
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

    async def revise(self, offer_id: int, capacity: int | None) -> bool:
        rows = await self.db.fetch(
            "UPDATE offer SET revised_capacity = $2, updated_at = now() WHERE id = $1 RETURNING id", offer_id, capacity
        )
        return bool(rows)

    async def by_ids(self, ids: Sequence[int], on: date) -> list[Any]:
        enrolled = ENROLLED.replace("{day}", "$2")
        return await self.db.fetch(
            f"SELECT {COLUMNS}, {enrolled} AS enrolled FROM unnest($1::text::bigint[]) AS i(id) JOIN offer o ON o.id = i.id",
            arrays.ints(ids), on,
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
