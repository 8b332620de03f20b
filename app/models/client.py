"""API clients (one role, one scope each) and their keys, stored only as keyed hashes."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, CheckConstraint, DateTime, LargeBinary, String
from sqlmodel import Field, SQLModel

from app.domain.actors import Portal, Role
from app.models.base import created_at_field, one_of, timestamp_field


class ApiClient(SQLModel, table=True):
    __tablename__ = "api_client"
    __table_args__ = (
        CheckConstraint(f"role IN {one_of(Role)}", name="role"),
        CheckConstraint(f"portal IS NULL OR portal IN {one_of(Portal)}", name="portal"),
        CheckConstraint(f"(role = '{Role.PORTAL}') = (portal IS NOT NULL)", name="portal_iff_role"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=200)
    role: str = Field(max_length=16)
    portal: str | None = Field(default=None, max_length=16)
    # ADVISER and regional PILOT territory; NULL means national.
    departments: list[str] | None = Field(default=None, sa_type=ARRAY(String(3)))
    created_at: datetime = created_at_field()
    revoked_at: datetime | None = timestamp_field()
    # WAL position (pg_lsn as text) after the client's last write, with a read replica: its
    # reads go to the primary until the replica has replayed that far (read-your-writes).
    last_write_lsn: str | None = Field(default=None, max_length=32)


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    client_id: uuid.UUID = Field(foreign_key="api_client.id", index=True, ondelete="CASCADE")
    key_hash: bytes = Field(sa_type=LargeBinary, unique=True)
    hint: str = Field(max_length=16)  # "hub_" + 4 characters, to recognise a key
    created_at: datetime = created_at_field()
    expires_at: datetime | None = timestamp_field()
    revoked_at: datetime | None = timestamp_field()
    last_used_at: datetime | None = timestamp_field()


class RateBucket(SQLModel, table=True):
    """A client's token bucket (rate limit), shared by every worker process through the store."""

    __tablename__ = "rate_bucket"

    client_id: uuid.UUID = Field(primary_key=True, foreign_key="api_client.id", ondelete="CASCADE")
    tokens: float
    updated_at: datetime = Field(sa_type=DateTime(timezone=True))
