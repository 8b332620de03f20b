"""Rejected records (kept for their senders) and the audit log of reads of youths' data."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, text

from app.domain.batch import RecordError
from app.repositories import arrays
from app.repositories.base import Params, Repository


class FeedbackRepository(Repository):
    async def add_rejections(self, client_id: uuid.UUID, operation: str, errors: Sequence[RecordError]) -> None:
        if not errors:
            return
        await self.db.run(
            "INSERT INTO rejection (client_id, operation, record_index, ref, field, code, message)"
            " SELECT $1, $2, * FROM unnest($3::int[], $4::text[], $5::text[], $6::text[], $7::text[])",
            client_id, operation, [e.index for e in errors], [e.ref[:100] if e.ref else None for e in errors],
            [e.field for e in errors], [e.code for e in errors], [e.message[:500] for e in errors],
        )

    async def rejections_page(
        self, client_id: uuid.UUID, since: datetime | None, after: tuple[datetime, int] | None, limit: int
    ) -> list[Row[Any]]:
        conditions = ["client_id = :client"]
        params: dict[str, Any] = {"client": client_id, "limit": limit}
        if since is not None:
            conditions.append("received_at > :since")
            params["since"] = since
        if after is not None:
            conditions.append("(received_at, id) < (:after_at, :after_id)")
            params["after_at"], params["after_id"] = after
        statement = text(
            "SELECT id, received_at, operation, record_index, ref, field, code, message FROM rejection"
            f" WHERE {' AND '.join(conditions)} ORDER BY received_at DESC, id DESC LIMIT :limit"
        )
        return list((await self.db.execute(statement, params)).all())

    async def count_rejections(self, client_id: uuid.UUID, since: datetime | None) -> int:
        condition = " AND received_at > :since" if since is not None else ""
        statement = text(f"SELECT count(*) FROM rejection WHERE client_id = :client{condition}")
        params: dict[str, Any] = {"client": client_id}
        if since is not None:
            params["since"] = since
        value: int = (await self.db.execute(statement, params)).scalar_one()
        return value

    async def audit(
        self, client_id: uuid.UUID, operation: str, youth_ids: Sequence[int], wish_ids: Sequence[int], request_id: str | None
    ) -> None:
        # on the primary even when the reads come from a replica
        await self.db.primary().run(
            "INSERT INTO audit_log (client_id, operation, youth_ids, wish_ids, request_id)"
            " VALUES ($1, $2, $3::text::bigint[], $4::text::bigint[], $5)",
            client_id, operation, arrays.ints(youth_ids), arrays.ints(wish_ids), request_id,
        )

    async def audit_entries(
        self, *, client_id: uuid.UUID | None, youth_id: int | None, since: datetime | None, limit: int
    ) -> list[Any]:
        """The audit log, newest first: (at, client name, role, operation, youths, wishes, youth
        ids, request id), narrowed to a client, a youth and a start when given."""
        arg = Params()
        conditions = ["true"]
        if client_id is not None:
            conditions.append(f"a.client_id = {arg(client_id)}")
        if youth_id is not None:
            conditions.append(f"{arg(youth_id)} = ANY(a.youth_ids)")
        if since is not None:
            conditions.append(f"a.at >= {arg(since)}")
        return await self.db.fetch(
            "SELECT a.at, c.name, c.role, a.operation, cardinality(a.youth_ids), cardinality(a.wish_ids), a.youth_ids,"
            f" a.request_id FROM audit_log a JOIN api_client c ON c.id = a.client_id WHERE {' AND '.join(conditions)}"
            f" ORDER BY a.at DESC, a.id DESC LIMIT {arg(limit)}",
            *arg,
        )
