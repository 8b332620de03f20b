"""Wishes: the batch write path, the outcome inputs and updates, and the portals' reads.

Batch statements run on the driver with arrays joined by ``unnest`` (see steps.py). A wish's
submission day is its instant in Europe/Paris: the portals and the CFAs count days in France.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from app.domain.outcome import Match, Outcome, Stage, Target
from app.domain.scope import Scope
from app.repositories import arrays
from app.repositories.base import Params, Repository, named

SUBMITTED_ON = "(w.submitted_at AT TIME ZONE 'Europe/Paris')::date"
WISH_COLUMNS = (
    "w.id, w.portal, w.portal_wish_id, w.submitted_at, w.uai, w.certification_code, w.offer_id, w.youth_id,"
    " w.outcome_stage, w.outcome_match, w.outcome_since, w.outcome_uai, w.outcome_certification, w.outcome_changed_at,"
    " w.outcome_handled_by_wished_cfa"
)


@dataclass(frozen=True)
class WishQuery:
    """Which wishes a read covers: a portal's own (``portal``), or those wished at CFAs of some
    departments (``departments``; None: everywhere), narrowed by WishFilter's fields."""

    portal: str | None = None
    departments: frozenset[str] | None = None
    submitted_from: datetime | None = None
    submitted_to: datetime | None = None
    uai: str | None = None
    stage: str | None = None
    changed_since: datetime | None = None

    @classmethod
    def readable_by(cls, scope: Scope, **filters: Any) -> WishQuery:
        """The wishes ``scope`` may read (a portal's own, the wishes to CFAs of a pilot's
        territory, every one for the ADMIN), narrowed by WishFilter's fields."""
        portal = scope.wishes_of_portal
        return cls(portal=portal.value if portal is not None else None, departments=scope.wish_departments, **filters)

    def where(self, arg: Params) -> str:
        """SQL conditions on ``w`` (and ``c``, the wished CFA, when departments are given)."""
        conditions = []
        if self.portal is not None:
            conditions.append(f"w.portal = {arg(self.portal)}")
        if self.departments is not None:
            conditions.append(
                f"w.uai IN (SELECT c.uai FROM cfa c WHERE c.department_code = ANY({arg(sorted(self.departments))}::text[]))"
            )
        if self.submitted_from is not None:
            conditions.append(f"w.submitted_at >= {arg(self.submitted_from)}")
        if self.submitted_to is not None:
            conditions.append(f"w.submitted_at < {arg(self.submitted_to)}")
        if self.uai is not None:
            conditions.append(f"w.uai = {arg(self.uai)}")
        if self.stage is not None:
            conditions.append(f"w.outcome_stage = {arg(self.stage)}")
        if self.changed_since is not None:
            conditions.append(f"w.outcome_changed_at > {arg(self.changed_since)}")
        return " AND ".join(conditions) or "true"


class StoredWish(NamedTuple):
    """A stored wish, as a new version of it is compared with it and replaces it."""

    portal_wish_id: str
    content_hash: bytes | None
    id: int
    youth_id: int | None  # None once the youth is erased


class WishOfYouth(NamedTuple):
    youth_id: int
    submitted_on: date  # the submission day in France
    uai: str
    consented: bool  # whether the wished CFA consented
    residence_department: str | None


class WrittenWish(NamedTuple):
    id: int
    portal_wish_id: str


class MismatchedLink(NamedTuple):
    """A step linked to a wish that is another youth's: its vendor and its eventId."""

    vendor_client_id: uuid.UUID
    event_id: str


class OutcomeCount(NamedTuple):
    stage: str
    match: str | None
    wishes: int


class OutcomeTarget(NamedTuple):
    """A wish whose outcome is being recomputed: what it targets and the outcome stored."""

    id: int
    youth_id: int | None
    portal: str
    portal_wish_id: str
    target: Target
    stored: Outcome


class OutcomeStepRow(NamedTuple):
    """A step of a wish's youth, as its outcome reads it."""

    youth_id: int
    step: str
    effective_date: date
    id: int
    uai: str
    certification_code: str
    portal: str | None
    portal_wish_id: str | None
    contract_start: date | None
    contract_end: date | None
    training_end: date | None


class ConversionCounts(NamedTuple):
    key: str
    wishes: int
    handled: int
    handled_by_wished_cfa: int
    registered: int
    apprentices: int
    apprentices_as_wished: int
    left: int


CONVERSION_KEY = {  # the row of a wish: by the wished CFA's place
    "NATIONAL": "'FR'", "REGION": "d.region_code", "DEPARTMENT": "c.department_code", "CFA": "w.uai",
    "CERTIFICATION": "w.certification_code",
}


class WishRepository(Repository):
    async def known(self, portal: str, wish_ids: Sequence[str]) -> list[StoredWish]:
        """This portal's wishes among these ids."""
        return named(StoredWish, await self.db.fetch(
            "SELECT w.portal_wish_id, w.content_hash, w.id, w.youth_id FROM unnest($2::text[]) AS i(wish_id)"
            " JOIN wish w ON w.portal = $1 AND w.portal_wish_id = i.wish_id",
            portal, list(wish_ids),
        ))

    async def of_youths(self, youth_ids: Sequence[int]) -> list[WishOfYouth]:
        """These youths' wishes, as their spans of risk read them."""
        return named(WishOfYouth, await self.db.fetch(
            f"SELECT w.youth_id, {SUBMITTED_ON}, w.uai, c.consent_given, w.residence_department"
            " FROM unnest($1::text::bigint[]) AS i(id) JOIN wish w ON w.youth_id = i.id JOIN cfa c ON c.uai = w.uai",
            arrays.ints(youth_ids),
        ))

    async def ids_of_youth(self, youth_id: int) -> list[int]:
        return [row[0] for row in await self.db.fetch("SELECT id FROM wish WHERE youth_id = $1", youth_id)]

    async def cfas_of_offers(self, offer_ids: Sequence[int]) -> dict[int, str]:
        """The UAI of each of these offers that exists, by offer id."""
        rows = await self.db.fetch(
            "SELECT o.id, o.uai FROM unnest($1::text::bigint[]) AS i(id) JOIN offer o ON o.id = i.id",
            arrays.ints(offer_ids),
        )
        return {row["id"]: row["uai"] for row in rows}

    async def upsert(self, portal: str, columns: Sequence[list[Any]]) -> list[WrittenWish]:
        """Insert new wishes and replace changed ones (same portal and portalWishId); return the
        rows written. ``columns``: portal_wish_id, youth_id, uai, certification, offer_id,
        submitted_at, residence_department, content_hash. A new wish starts as NO_NEWS, changed
        now (it appears in the portal's next synchronisation)."""
        wish_ids, youth_ids, uais, certifications, offer_ids, submitted, residences, hashes = columns
        return named(WrittenWish, await self.db.fetch(
            "INSERT INTO wish (portal, portal_wish_id, youth_id, uai, certification_code, offer_id, submitted_at,"
            " residence_department, content_hash, outcome_changed_at) SELECT $1, *, clock_timestamp() FROM unnest($2::text[],"
            " $3::text::bigint[], $4::text[], $5::text[], $6::text::bigint[], $7::timestamptz[], $8::text[], $9::bytea[])"
            " ON CONFLICT (portal, portal_wish_id) DO UPDATE SET youth_id = excluded.youth_id, uai = excluded.uai,"
            " certification_code = excluded.certification_code, offer_id = excluded.offer_id,"
            " submitted_at = excluded.submitted_at, residence_department = excluded.residence_department,"
            " content_hash = excluded.content_hash, updated_at = now()"
            " WHERE wish.content_hash IS DISTINCT FROM excluded.content_hash"
            " RETURNING id, portal_wish_id",
            portal, wish_ids, "{" + ",".join("NULL" if y is None else str(y) for y in youth_ids) + "}", uais,
            certifications, "{" + ",".join("NULL" if o is None else str(o) for o in offer_ids) + "}", submitted,
            residences, hashes,
        ))

    async def outcome_targets(
        self, youth_ids: Sequence[int], links: Sequence[tuple[str, str]], wish_ids: Sequence[int]
    ) -> list[OutcomeTarget]:
        """The wishes whose outcome may change: of these youths, linked by these (portal,
        portalWishId), or these ids; locked in id order, so that a concurrent batch writing the
        same wishes' steps waits and then sees them.

        Every wish is reached by an index probe from the arrays (LATERAL ... OFFSET 0 / LIMIT 1
        keep the planner from turning the join around), whatever the statistics say: a table
        vacuumed while nearly empty reads as empty to the planner, which then scanned every wish
        once per element of the arrays (tests/test_plans.py)."""
        rows = await self.db.fetch(
            f"SELECT w.id, w.youth_id, w.portal, w.portal_wish_id, w.uai, w.certification_code, {SUBMITTED_ON},"
            " w.outcome_stage, w.outcome_match, w.outcome_since, w.outcome_uai, w.outcome_certification,"
            " w.outcome_handled_by_wished_cfa, w.outcome_next_on"
            " FROM (SELECT DISTINCT t.id FROM ("
            " SELECT k.id FROM unnest($1::text::bigint[]) AS y(id)"
            " CROSS JOIN LATERAL (SELECT k.id FROM wish k WHERE k.youth_id = y.id OFFSET 0) AS k"
            " UNION ALL SELECT k.id FROM unnest($2::text[], $3::text[]) AS l(portal, wish_id)"
            " CROSS JOIN LATERAL (SELECT k.id FROM wish k WHERE k.portal = l.portal AND k.portal_wish_id = l.wish_id"
            " LIMIT 1) AS k"
            " UNION ALL SELECT unnest($4::text::bigint[])) AS t(id) ORDER BY t.id) AS t"
            " CROSS JOIN LATERAL (SELECT * FROM wish w WHERE w.id = t.id LIMIT 1 FOR UPDATE) AS w ORDER BY w.id",
            arrays.ints(youth_ids), [p for p, _ in links], [w for _, w in links], arrays.ints(wish_ids),
        )
        new = tuple.__new__
        return [
            OutcomeTarget(row[0], row[1], row[2], row[3], new(Target, row[4:7]), new(Outcome, row[7:14])) for row in rows
        ]

    async def outcome_steps(self, youth_ids: Sequence[int]) -> list[OutcomeStepRow]:
        """The steps of these youths."""
        return named(OutcomeStepRow, await self.db.fetch(
            "SELECT s.youth_id, s.step, s.effective_date, s.id, s.uai, s.certification_code, s.portal, s.portal_wish_id,"
            " s.contract_start, s.contract_end, s.training_end"
            " FROM unnest($1::text::bigint[]) AS y(id) JOIN step_event s ON s.youth_id = y.id",
            arrays.ints(youth_ids),
        ))

    async def due_for_sweep(self, today: date, limit: int) -> list[int]:
        """Wishes whose outcome a rule changes by ``today``, that no other transaction holds."""
        rows = await self.db.fetch(
            "SELECT id FROM wish WHERE outcome_next_on <= $1 ORDER BY outcome_next_on, id LIMIT $2 FOR UPDATE SKIP LOCKED",
            today, limit,
        )
        return [row[0] for row in rows]

    async def mismatched_links(self, wish_ids: Sequence[int]) -> list[MismatchedLink]:
        """Steps linked to these wishes that are another youth's (they arrived before the wish),
        by vendor and eventId."""
        return named(MismatchedLink, await self.db.fetch(
            "SELECT e.vendor_client_id, e.event_id FROM unnest($1::text::bigint[]) AS i(id) JOIN wish w ON w.id = i.id"
            " JOIN step_event e ON e.portal = w.portal AND e.portal_wish_id = w.portal_wish_id"
            " WHERE e.youth_id IS DISTINCT FROM w.youth_id ORDER BY 1, 2",
            arrays.ints(wish_ids),
        ))

    async def set_outcomes(self, ids: Sequence[int], outcomes: Sequence[Outcome], seen: Sequence[bool]) -> None:
        """Write the outcomes of the wishes with these ids; ``seen``: whether the portal's view of
        each changed, which stamps it with the statement's clock time (not the transaction's
        start: a portal's next synchronisation compares with it)."""
        await self.db.run(
            "UPDATE wish SET outcome_stage = o.stage, outcome_match = o.match, outcome_since = o.since,"
            " outcome_uai = o.uai, outcome_certification = o.certification, outcome_handled_by_wished_cfa = o.handled,"
            " outcome_next_on = o.next_on,"
            " outcome_changed_at = CASE WHEN o.seen THEN clock_timestamp() ELSE wish.outcome_changed_at END"
            " FROM unnest($1::text::bigint[], $2::text[], $3::text[], $4::text::date[], $5::text[], $6::text[],"
            " $7::text::boolean[], $8::text::date[], $9::text::boolean[])"
            " AS o(id, stage, match, since, uai, certification, handled, next_on, seen) WHERE wish.id = o.id",
            arrays.ints(ids), [o.stage for o in outcomes], [o.match for o in outcomes],
            arrays.dates(o.since for o in outcomes), [o.uai for o in outcomes], [o.certification for o in outcomes],
            arrays.bools(o.handled_by_wished_cfa for o in outcomes), arrays.dates(o.next_on for o in outcomes),
            arrays.bools(seen),
        )

    async def page(self, query: WishQuery, after_id: int | None, limit: int) -> list[Any]:
        arg = Params()
        where = query.where(arg)
        if after_id is not None:
            where += f" AND w.id > {arg(after_id)}"
        return await self.db.fetch(f"SELECT {WISH_COLUMNS} FROM wish w WHERE {where} ORDER BY w.id LIMIT {arg(limit)}", *arg)

    async def count(self, query: WishQuery) -> int:
        arg = Params()
        rows = await self.db.fetch(f"SELECT count(*) FROM wish w WHERE {query.where(arg)}", *arg)
        value: int = rows[0][0]
        return value

    async def by_portal_id(self, portal: str, portal_wish_id: str) -> Any | None:
        rows = await self.db.fetch(
            f"SELECT {WISH_COLUMNS} FROM wish w WHERE w.portal = $1 AND w.portal_wish_id = $2", portal, portal_wish_id
        )
        return rows[0] if rows else None

    async def summary(self, query: WishQuery) -> list[OutcomeCount]:
        """How many wishes of the query are at each outcome (stage and match)."""
        arg = Params()
        return named(OutcomeCount, await self.db.fetch(
            f"SELECT w.outcome_stage, w.outcome_match, count(*) FROM wish w WHERE {query.where(arg)}"
            " GROUP BY w.outcome_stage, w.outcome_match",
            *arg,
        ))

    async def histories(self, wish_ids: Sequence[int]) -> list[Any]:
        """For each wish, the steps its outcome counts: its youth's steps since the submission day
        (never earlier: a wish opens no window on the youth's past). Rows: wish_id, then the
        step's fields, in path order."""
        return await self.db.fetch(
            "SELECT w.id AS wish_id, e.id, e.step, e.effective_date, e.received_at, e.uai, e.certification_code,"
            " e.contract_start, e.contract_end, e.portal, e.portal_wish_id"
            " FROM unnest($1::text::bigint[]) AS i(id) JOIN wish w ON w.id = i.id"
            f" JOIN step_event e ON e.youth_id = w.youth_id AND e.effective_date >= {SUBMITTED_ON}"
            " ORDER BY w.id, e.effective_date, e.id",
            arrays.ints(wish_ids),
        )

    async def conversion(
        self, group_by: str, *, departments: frozenset[str] | None, uais: Sequence[str] | None,
        certifications: Sequence[str] | None, portal: str | None, submitted_from: datetime | None,
        submitted_to: datetime | None,
    ) -> list[ConversionCounts]:
        """The wishes' stored outcomes counted by the wished CFA's place (``group_by``: NATIONAL,
        REGION, DEPARTMENT, CFA or CERTIFICATION); ``departments``: the wished CFAs'."""
        arg = Params()
        conditions = ["true"]
        if departments is not None:
            conditions.append(f"w.uai IN (SELECT c.uai FROM cfa c WHERE c.department_code = ANY({arg(sorted(departments))}::text[]))")
        for values, column in ((uais, "w.uai"), (certifications, "w.certification_code")):
            if values is not None:
                conditions.append(f"{column} = ANY({arg(sorted(values))}::text[])")
        if portal is not None:
            conditions.append(f"w.portal = {arg(portal)}")
        if submitted_from is not None:
            conditions.append(f"w.submitted_at >= {arg(submitted_from)}")
        if submitted_to is not None:
            conditions.append(f"w.submitted_at < {arg(submitted_to)}")
        # Counted by CFA (and certification) from the index alone, then summed by place: the
        # join to the CFAs and departments meets a few thousand rows, not every wish.
        by = ", w.certification_code" if group_by == "CERTIFICATION" else ""
        counts = ("wishes", "handled", "handled_by_wished", "registered", "apprentices", "as_wished", "left_")
        return named(ConversionCounts, await self.db.fetch(
            f"WITH w AS (SELECT w.uai{by}, count(*) AS wishes,"
            f" count(*) FILTER (WHERE w.outcome_stage <> '{Stage.NO_NEWS}') AS handled,"
            " count(*) FILTER (WHERE w.outcome_handled_by_wished_cfa) AS handled_by_wished,"
            f" count(*) FILTER (WHERE w.outcome_stage = '{Stage.REGISTERED}') AS registered,"
            f" count(*) FILTER (WHERE w.outcome_stage = '{Stage.APPRENTICE}') AS apprentices,"
            f" count(*) FILTER (WHERE w.outcome_stage = '{Stage.APPRENTICE}' AND w.outcome_match = '{Match.AS_WISHED}')"
            f" AS as_wished, count(*) FILTER (WHERE w.outcome_stage = '{Stage.LEFT}') AS left_"
            f" FROM wish w WHERE {' AND '.join(conditions)} GROUP BY w.uai{by})"
            f" SELECT {CONVERSION_KEY[group_by]}, {', '.join(f'sum(w.{name})::int' for name in counts)}"
            " FROM w JOIN cfa c ON c.uai = w.uai JOIN department d ON d.code = c.department_code GROUP BY 1",
            *arg,
        ))
