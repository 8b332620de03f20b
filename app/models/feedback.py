"""What the hub tells back and keeps as evidence: rejected records and the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, BigInteger, Index
from sqlmodel import Field, SQLModel

from app.models.base import created_at_field


class Rejection(SQLModel, table=True):
    """A record refused in a batch, kept so the sending client can correct its data."""

    __tablename__ = "rejection"
    __table_args__ = (Index("ix_rejection_client_id_received_at", "client_id", "received_at"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    # The authenticated client's id, never another, and clients are never deleted (revoked):
    # no foreign key, whose per-row check cost a batch of 2,000 records with 100 rejections
    # 0.8 ms of the database (migration 0018).
    client_id: uuid.UUID
    operation: str = Field(max_length=40)
    record_index: int
    ref: str | None = Field(default=None, max_length=100)
    field: str | None = Field(default=None, max_length=40)
    code: str = Field(max_length=40)
    message: str = Field(max_length=500)
    received_at: datetime = created_at_field()


class AuditEntry(SQLModel, table=True):
    """Who read which youths, when (RGPD). Append-only."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_client_id_at", "client_id", "at"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    client_id: uuid.UUID = Field(foreign_key="api_client.id")
    operation: str = Field(max_length=60)
    youth_ids: list[int] = Field(default_factory=list, sa_type=ARRAY(BigInteger))
    wish_ids: list[int] = Field(default_factory=list, sa_type=ARRAY(BigInteger))
    request_id: str | None = Field(default=None, max_length=40)
    at: datetime = created_at_field()
