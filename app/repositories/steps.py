"""Step events: the batch write path (set-based) and reads of paths.

The batch statements run on the driver (``RequestSession.fetch``/``run``): thousands of array
elements and result rows per call, which need no ORM processing. Arrays are joined with
``unnest`` rather than compared with ``= ANY(...)``: a cached generic plan for ``ANY`` over a
parameter array may scan the whole table and compare every row with every element, while the
join stays an index look-up per element whatever the plan.

Look-ups by a unique key go through ``LATERAL (... LIMIT 1)``, which the planner cannot turn
into a join: an index probe per element whatever the statistics say. With a plain join, the
first executions on a connection (custom plans) hashed every event of the vendor when the
statistics lagged a growing table: 33 ms for 2,000 ids instead of 2.5 ms (measured).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from itertools import repeat
from typing import Any, NamedTuple

from sqlalchemy import Row, text

from app.domain.timeline import Fact
from app.repositories import arrays
from app.repositories.base import Repository, named
from app.repositories.cfas import deciding_uai_sql

COPY_COLUMNS = (
    "id", "vendor_client_id", "event_id", "youth_id", "uai", "certification_code", "step", "effective_date", "portal",
    "portal_wish_id", "contract_start", "contract_end", "training_start", "training_end", "residence_department",
    "employer_siret", "content_hash",
)


class KnownEvent(NamedTuple):
    """A stored event of the vendor, as a new version of it is compared with it and replaces it."""

    event_id: str
    content_hash: bytes
    youth_id: int
    step: str
    portal: str | None
    portal_wish_id: str | None


class WrittenEvent(NamedTuple):
    id: int | None  # None when written by COPY without taking ids from the sequence
    event_id: str
    youth_id: int


class LinkedWish(NamedTuple):
    """A wish a step names, with its youth's keyed hashes."""

    portal: str
    portal_wish_id: str
    youth_id: int | None  # None once the youth is erased
    ine_hash: bytes | None
    nir_hash: bytes | None


class OfferSession(NamedTuple):
    uai: str
    certification_code: str
    session_start: date | None
    session_end: date


class StepRepository(Repository):
    async def cfa_rights(self, uais: Sequence[str], vendor_id: uuid.UUID | None) -> list[Any]:
        """For each known UAI: its consent, whether this vendor is authorised for it (by the CFA,
        or by its responsible for a formateur that made no decision), and its responsible."""
        return await self.db.fetch(
            "SELECT c.uai, c.consent_given, (v.client_id IS NOT NULL) AS authorised, c.responsible_uai"
            " FROM unnest($1::text::text[]) AS u(uai) JOIN cfa c ON c.uai = u.uai"
            f" LEFT JOIN cfa_vendor v ON v.uai = {deciding_uai_sql('c')} AND v.client_id = $2",
            arrays.codes(uais), vendor_id,
        )

    async def known_events(self, vendor_id: uuid.UUID, event_ids: Sequence[str]) -> list[KnownEvent]:
        """This vendor's events among these ids."""
        return named(KnownEvent, await self.db.fetch(
            "SELECT i.event_id, e.content_hash, e.youth_id, e.step, e.portal, e.portal_wish_id"
            " FROM unnest($2::text::text[]) AS i(event_id) CROSS JOIN LATERAL (SELECT e.content_hash, e.youth_id,"
            " e.step, e.portal, e.portal_wish_id FROM step_event e WHERE e.vendor_client_id = $1"
            " AND e.event_id = i.event_id LIMIT 1) AS e",
            vendor_id, arrays.texts(event_ids),
        ))

    async def add_unverified_certifications(self, codes: Sequence[str], kinds: Sequence[str]) -> None:
        """Valid codes not in the referential yet are kept, unverified, titled by their code."""
        await self.db.run(
            "INSERT INTO certification (code, kind, title, verified)"
            " SELECT code, kind, code, false FROM unnest($1::text[], $2::text[]) AS c(code, kind)"
            " WHERE NOT EXISTS (SELECT FROM certification k WHERE k.code = c.code)"
            " ON CONFLICT (code) DO NOTHING",
            list(codes), list(kinds),
        )

    async def upsert(self, vendor_id: uuid.UUID, columns: Sequence[Sequence[Any]]) -> list[WrittenEvent]:
        """Insert new events and replace changed ones (same vendor and eventId); return the rows
        written. Identical content is left alone. ``columns``:
        event_id, youth_id, uai, certification, step, effective_date, portal, portal_wish_id,
        contract_start, contract_end, training_start, training_end, residence_department,
        employer_siret, content_hash."""
        return named(WrittenEvent, await self.db.fetch(
            "INSERT INTO step_event (vendor_client_id, event_id, youth_id, uai, certification_code, step,"
            " effective_date, portal, portal_wish_id, contract_start, contract_end, training_start, training_end,"
            " residence_department, employer_siret, content_hash)"
            " SELECT $1, * FROM unnest($2::text::text[], $3::text::bigint[], $4::text::text[], $5::text::text[],"
            " $6::text::text[], $7::text::date[], $8::text::text[], $9::text::text[], $10::text::date[], $11::text::date[],"
            " $12::text::date[], $13::text::date[], $14::text::text[], $15::text::text[], $16::text::bytea[])"
            " ON CONFLICT (vendor_client_id, event_id) DO UPDATE SET youth_id = excluded.youth_id,"
            " uai = excluded.uai, certification_code = excluded.certification_code, step = excluded.step,"
            " effective_date = excluded.effective_date, portal = excluded.portal,"
            " portal_wish_id = excluded.portal_wish_id, contract_start = excluded.contract_start,"
            " contract_end = excluded.contract_end, training_start = excluded.training_start,"
            " training_end = excluded.training_end, residence_department = excluded.residence_department,"
            " employer_siret = excluded.employer_siret, content_hash = excluded.content_hash, received_at = now()"
            " WHERE step_event.content_hash <> excluded.content_hash"
            " RETURNING id, event_id, youth_id",
            vendor_id, arrays.texts(columns[0]), arrays.ints(columns[1]), arrays.codes(columns[2]), arrays.codes(columns[3]),
            arrays.codes(columns[4]), arrays.dates(columns[5]), arrays.codes(columns[6]), arrays.texts(columns[7]),
            arrays.dates(columns[8]), arrays.dates(columns[9]), arrays.dates(columns[10]), arrays.dates(columns[11]),
            arrays.codes(columns[12]), arrays.codes(columns[13]), arrays.byteas(columns[14]),
        ))

    async def copy_new(
        self, vendor_id: uuid.UUID, columns: Sequence[Sequence[Any]], *, ids: bool = True
    ) -> list[WrittenEvent]:
        """Insert events this vendor never sent (same ``columns`` as :meth:`upsert`) by COPY, the
        fastest path into the table; return the rows, in order (ids None unless ``ids``: taken
        from the sequence first). Raises UniqueViolationError if one of them
        arrived meanwhile from a concurrent batch of the same vendor: the caller, who wrote
        inside a savepoint, rolls back to it and upserts them."""
        names: tuple[str, ...]
        if ids:
            rows = await self.db.fetch("SELECT nextval('step_event_id_seq') FROM generate_series(1, $1)", len(columns[0]))
            row_ids: list[Any] = [row[0] for row in rows]
            records, names = list(zip(row_ids, repeat(vendor_id), *columns)), COPY_COLUMNS
        else:
            row_ids = [None] * len(columns[0])
            records, names = list(zip(repeat(vendor_id), *columns)), COPY_COLUMNS[1:]
        await self.db.copy("step_event", records, names)
        return named(WrittenEvent, zip(row_ids, columns[0], columns[1]))

    async def of_youths(self, youth_ids: Sequence[int]) -> list[Row[Any]]:
        statement = text(
            "SELECT e.id, e.youth_id, e.step, e.effective_date, e.received_at, e.uai, e.certification_code,"
            " e.contract_start, e.contract_end, e.portal, e.portal_wish_id"
            " FROM unnest(CAST(:ids AS bigint[])) AS i(youth_id) JOIN step_event e ON e.youth_id = i.youth_id"
            " ORDER BY e.youth_id, e.effective_date, e.id"
        )
        return list((await self.db.execute(statement, {"ids": list(youth_ids)})).all())

    async def linked_wishes(self, links: Sequence[tuple[str, str]]) -> list[LinkedWish]:
        """The wishes these (portal, portalWishId) name."""
        return named(LinkedWish, await self.db.fetch(
            "SELECT w.portal, w.portal_wish_id, w.youth_id, y.ine_hash, y.nir_hash"
            " FROM unnest($1::text[], $2::text[]) AS l(portal, portal_wish_id)"
            " JOIN wish w ON w.portal = l.portal AND w.portal_wish_id = l.portal_wish_id"
            " LEFT JOIN youth y ON y.id = w.youth_id",
            [portal for portal, _ in links], [wish_id for _, wish_id in links],
        ))

    async def histories(self, youth_ids: Sequence[int]) -> dict[int, list[Fact]]:
        """Every step of these youths (those with steps), as StepFact's fields (step, effective
        date, id, uai, certification, contract start and end, training end, residence): the
        timeline's input. Plain rows cost the database less than aggregating them per youth;
        unordered: the timeline puts them in path order."""
        rows = await self.db.fetch(
            "SELECT e.youth_id, e.step, e.effective_date, e.id, e.uai, e.certification_code, e.contract_start,"
            " e.contract_end, e.training_end, e.residence_department"
            " FROM unnest($1::text::bigint[]) AS i(youth_id) JOIN step_event e ON e.youth_id = i.youth_id",
            arrays.ints(youth_ids),
        )
        facts_of: dict[int, list[Fact]] = {}
        for row in rows:
            facts = facts_of.get(row[0])
            if facts is None:
                facts_of[row[0]] = facts = []
            facts.append(row[1:])
        return facts_of

    async def links_of_youth(self, youth_id: int) -> list[tuple[str, str]]:
        """The (portal, portalWishId) this youth's steps name."""
        rows = await self.db.fetch(
            "SELECT DISTINCT portal, portal_wish_id FROM step_event WHERE youth_id = $1 AND portal_wish_id IS NOT NULL",
            youth_id,
        )
        return [(row[0], row[1]) for row in rows]

    async def sessions(self, uais: Sequence[str]) -> list[OfferSession]:
        """The sessions of the offers of these CFAs that have an end."""
        return named(OfferSession, await self.db.fetch(
            "SELECT o.uai, o.certification_code, o.session_start, o.session_end"
            " FROM unnest($1::text[]) AS u(uai) JOIN offer o ON o.uai = u.uai WHERE o.session_end IS NOT NULL",
            list(uais),
        ))
