"""Step events: the batch write path (set-based) and reads of paths."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, text

from app.repositories.base import Repository


class StepRepository(Repository):
    async def cfa_rights(self, uais: Sequence[str], vendor_id: uuid.UUID) -> list[Row[Any]]:
        """For each known UAI: its consent, and whether this vendor is authorised for it."""
        statement = text(
            "SELECT c.uai, c.consent_given, (v.client_id IS NOT NULL) AS authorised"
            " FROM cfa c LEFT JOIN cfa_vendor v ON v.uai = c.uai AND v.client_id = :vendor"
            " WHERE c.uai = ANY(CAST(:uais AS text[]))"
        )
        return list((await self.db.execute(statement, {"uais": list(uais), "vendor": vendor_id})).all())

    async def known_events(self, vendor_id: uuid.UUID, event_ids: Sequence[str]) -> list[Row[Any]]:
        statement = text(
            "SELECT event_id, content_hash, youth_id FROM step_event"
            " WHERE vendor_client_id = :vendor AND event_id = ANY(CAST(:ids AS text[]))"
        )
        return list((await self.db.execute(statement, {"vendor": vendor_id, "ids": list(event_ids)})).all())

    async def add_unverified_certifications(self, codes: Sequence[str], kinds: Sequence[str]) -> None:
        """Valid codes not in the referential yet are kept, unverified, titled by their code."""
        await self.db.execute(
            text(
                "INSERT INTO certification (code, kind, title, verified)"
                " SELECT code, kind, code, false FROM unnest(CAST(:codes AS text[]), CAST(:kinds AS text[])) AS c(code, kind)"
                " ON CONFLICT (code) DO NOTHING"
            ),
            {"codes": list(codes), "kinds": list(kinds)},
        )

    async def upsert(self, vendor_id: uuid.UUID, columns: dict[str, list[Any]]) -> list[Row[Any]]:
        """Insert new events and replace changed ones (same vendor and eventId); return (id,
        event_id, youth_id) of the rows written. Identical content is left alone."""
        statement = text(
            "INSERT INTO step_event (vendor_client_id, event_id, youth_id, uai, certification_code, step,"
            " effective_date, portal, portal_wish_id, contract_start, contract_end, content_hash)"
            " SELECT :vendor, * FROM unnest(CAST(:event_id AS text[]), CAST(:youth_id AS bigint[]),"
            " CAST(:uai AS text[]), CAST(:certification AS text[]), CAST(:step AS text[]),"
            " CAST(:effective_date AS date[]), CAST(:portal AS text[]), CAST(:portal_wish_id AS text[]),"
            " CAST(:contract_start AS date[]), CAST(:contract_end AS date[]), CAST(:content_hash AS bytea[]))"
            " ON CONFLICT (vendor_client_id, event_id) DO UPDATE SET youth_id = excluded.youth_id,"
            " uai = excluded.uai, certification_code = excluded.certification_code, step = excluded.step,"
            " effective_date = excluded.effective_date, portal = excluded.portal,"
            " portal_wish_id = excluded.portal_wish_id, contract_start = excluded.contract_start,"
            " contract_end = excluded.contract_end, content_hash = excluded.content_hash, received_at = now()"
            " WHERE step_event.content_hash <> excluded.content_hash"
            " RETURNING id, event_id, youth_id"
        )
        return list((await self.db.execute(statement, {"vendor": vendor_id, **columns})).all())

    async def of_youths(self, youth_ids: Sequence[int]) -> list[Row[Any]]:
        statement = text(
            "SELECT id, youth_id, step, effective_date, received_at, uai, certification_code,"
            " contract_start, contract_end, portal, portal_wish_id"
            " FROM step_event WHERE youth_id = ANY(CAST(:ids AS bigint[]))"
            " ORDER BY youth_id, effective_date, id"
        )
        return list((await self.db.execute(statement, {"ids": list(youth_ids)})).all())

    async def histories(self, youth_ids: Sequence[int]) -> list[Row[Any]]:
        """Each youth's steps in path order (effective date, then arrival), as one array of
        (step, effective_date, id, uai, certification_code, contract_start, contract_end):
        one sort per youth."""
        statement = text(
            "SELECT youth_id, array_agg(ROW(step, effective_date, id, uai, certification_code,"
            " contract_start, contract_end) ORDER BY effective_date, id) AS facts"
            " FROM step_event WHERE youth_id = ANY(CAST(:ids AS bigint[])) GROUP BY youth_id"
        )
        return list((await self.db.execute(statement, {"ids": list(youth_ids)})).all())

    async def training_ends(self, uais: Sequence[str]) -> list[Row[Any]]:
        """The latest session end of the offers of these CFAs, per certification."""
        statement = text(
            "SELECT uai, certification_code, max(session_end) AS session_end FROM offer"
            " WHERE uai = ANY(CAST(:uais AS text[])) AND session_end IS NOT NULL"
            " GROUP BY uai, certification_code"
        )
        return list((await self.db.execute(statement, {"uais": list(uais)})).all())
