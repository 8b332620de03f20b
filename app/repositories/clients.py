"""API clients and keys."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Row, func, insert, or_, select, update

from app.models import ApiClient, ApiKey
from app.models.base import table_of
from app.repositories.base import Repository

# The statement parts that take $4 tokens from the bucket of k.client_id (burst $2, refilled at
# $3 a second), used by the key's look-up (ClientRepository.admit); a bucket may go a burst into
# debt.
TAKE_TOKENS = (
    "INSERT INTO rate_bucket AS b (client_id, tokens, updated_at) SELECT k.client_id, $2::float8 - $4::float8,"
    " clock_timestamp()"
)
REFILL = (
    "tokens = greatest(-$2::float8, least($2::float8, b.tokens + extract(epoch FROM clock_timestamp() - b.updated_at)::float8"
    " * $3::float8) - $4::float8), updated_at = clock_timestamp()"
)

client_t = table_of(ApiClient)
key_t = table_of(ApiKey)

_CLIENT_COLUMNS = (
    client_t.c.id,
    client_t.c.name,
    client_t.c.role,
    client_t.c.portal,
    client_t.c.departments,
    client_t.c.created_at,
    client_t.c.revoked_at,
)


class ClientRepository(Repository):
    async def admit(self, key_hash: bytes, bucket: tuple[float, float, float] | None) -> Any | None:
        """The active key with this hash and its client (key_id, key_hash, client_id, name, role,
        portal, departments, created_at, last_write_lsn, tokens), or None; in the same statement
        the key's last use is recorded (at most once a minute) and, with ``bucket`` (burst, rate
        per second, cost), a cost taken from the client's token bucket (``tokens``: what is left;
        app/ratelimit.py).

        One statement, run outside the request's transaction when none is open: it commits at
        once without waiting for the disk (a bucket is worth a second of tokens), and a client's
        concurrent requests never queue behind the bucket's row lock."""
        burst, rate, cost = bucket or (0.0, 0.0, 0.0)
        rows = await self.db.fetch_outside_transaction(
            "WITH k AS (SELECT k.id AS key_id, k.key_hash, c.id AS client_id, c.name, c.role, c.portal, c.departments,"
            " c.created_at, c.last_write_lsn FROM api_key k JOIN api_client c ON c.id = k.client_id"
            " WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND c.revoked_at IS NULL"
            " AND (k.expires_at IS NULL OR k.expires_at > now())),"
            " touched AS (UPDATE api_key u SET last_used_at = now() FROM k WHERE u.id = k.key_id"
            " AND (u.last_used_at IS NULL OR u.last_used_at < now() - interval '1 minute')),"
            f" bucket AS ({TAKE_TOKENS} FROM k WHERE $5 ON CONFLICT (client_id) DO UPDATE SET {REFILL} RETURNING b.tokens)"
            " SELECT k.*, (SELECT tokens FROM bucket) AS tokens, set_config('synchronous_commit', 'off', true) FROM k",
            key_hash, burst, rate, cost, bucket is not None,
        )
        return rows[0] if rows else None

    async def insert_client(
        self, *, name: str, role: str, portal: str | None, departments: list[str] | None
    ) -> Row[Any]:
        statement = (
            insert(client_t)
            .values(id=uuid.uuid4(), name=name, role=role, portal=portal, departments=departments)
            .returning(*_CLIENT_COLUMNS)
        )
        return (await self.db.execute(statement)).one()

    async def insert_key(self, client_id: uuid.UUID, key_hash: bytes, hint: str, lifetime_days: int = 365) -> None:
        await self.db.execute(
            insert(key_t).values(
                id=uuid.uuid4(), client_id=client_id, key_hash=key_hash, hint=hint,
                created_at=func.clock_timestamp(),  # keys issued in one transaction keep their order
                expires_at=func.now() + timedelta(days=lifetime_days),
            )
        )

    async def active_keys(self, client_id: uuid.UUID) -> list[Row[Any]]:
        """The client's usable keys, oldest first."""
        statement = (
            select(key_t.c.id, key_t.c.hint, key_t.c.created_at, key_t.c.expires_at, key_t.c.last_used_at)
            .where(key_t.c.client_id == client_id, key_t.c.revoked_at.is_(None),
                   or_(key_t.c.expires_at.is_(None), key_t.c.expires_at > func.now()))
            .order_by(key_t.c.created_at, key_t.c.id)
        )
        return list((await self.db.execute(statement)).all())

    async def revoke_key(self, key_id: uuid.UUID) -> None:
        await self.db.execute(update(key_t).where(key_t.c.id == key_id).values(revoked_at=func.now()))

    async def note_write(self, client_id: uuid.UUID) -> None:
        """Remember where the WAL stands after this client's write (read-your-writes)."""
        await self.db.run(
            "UPDATE api_client SET last_write_lsn = pg_current_wal_lsn()::text WHERE id = $1", client_id
        )

    async def lock_active_admins(self) -> list[uuid.UUID]:
        """The ids of the ADMIN clients not revoked, locked until the transaction ends. FOR NO KEY
        UPDATE: two revocations still queue, but a request being admitted meanwhile (its bucket's
        row refers to its client: a KEY SHARE lock) does not wait for this one while holding its
        own key's row, which this transaction's revocation of that key then waited for (a deadlock)."""
        rows = await self.db.fetch(
            "SELECT id FROM api_client WHERE role = 'ADMIN' AND revoked_at IS NULL ORDER BY id FOR NO KEY UPDATE"
        )
        return [row[0] for row in rows]

    async def revoke_keys(self, client_id: uuid.UUID) -> None:
        await self.db.execute(
            update(key_t)
            .where(key_t.c.client_id == client_id, key_t.c.revoked_at.is_(None))
            .values(revoked_at=func.now())
        )

    async def revoke_client(self, client_id: uuid.UUID) -> Row[Any] | None:
        statement = (
            update(client_t)
            .where(client_t.c.id == client_id)
            .values(revoked_at=func.coalesce(client_t.c.revoked_at, func.now()))
            .returning(*_CLIENT_COLUMNS)
        )
        return (await self.db.execute(statement)).first()

    async def by_ids(self, ids: Sequence[uuid.UUID]) -> list[Row[Any]]:
        statement = select(*_CLIENT_COLUMNS).where(client_t.c.id.in_(list(ids)))
        return list((await self.db.execute(statement)).all())

    async def by_name(self, name: str) -> Row[Any] | None:
        statement = select(*_CLIENT_COLUMNS).where(client_t.c.name == name).order_by(client_t.c.created_at)
        return (await self.db.execute(statement)).first()

    async def all(self) -> list[Row[Any]]:
        statement = select(*_CLIENT_COLUMNS).order_by(client_t.c.created_at, client_t.c.id)
        return list((await self.db.execute(statement)).all())
