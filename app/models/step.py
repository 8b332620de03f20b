"""Step events: what a CFA's software reported about a youth, as received."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import created_at_field

STEPS = (
    "MEETING",
    "INFO_SESSION",
    "PRE_REGISTERED",
    "REGISTERED",
    "APPRENTICE",
    "CONTRACT_BROKEN",
    "DROPPED_OUT",
    "COMPLETED",
)


class StepEvent(SQLModel, table=True):
    __tablename__ = "step_event"
    __table_args__ = (
        UniqueConstraint("vendor_client_id", "event_id"),
        CheckConstraint(f"step IN {STEPS}", name="step"),
        CheckConstraint("portal IS NULL OR portal IN ('PARCOURSUP', 'AFFELNET')", name="portal"),
        # A path is read in effective-date order, ties broken by arrival.
        Index("ix_step_event_youth_id_effective_date", "youth_id", "effective_date", "id"),
        Index("ix_step_event_uai_certification_code", "uai", "certification_code"),
        Index(
            "ix_step_event_portal_portal_wish_id",
            "portal",
            "portal_wish_id",
            postgresql_where="portal_wish_id IS NOT NULL",
        ),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    vendor_client_id: uuid.UUID = Field(foreign_key="api_client.id")
    event_id: str = Field(max_length=100)
    youth_id: int = Field(foreign_key="youth.id", sa_type=BigInteger, ondelete="CASCADE")
    uai: str = Field(foreign_key="cfa.uai", max_length=8)
    certification_code: str = Field(foreign_key="certification.code", max_length=12)
    step: str = Field(max_length=16)
    effective_date: date
    portal: str | None = Field(default=None, max_length=16)
    portal_wish_id: str | None = Field(default=None, max_length=100)
    contract_start: date | None = None
    contract_end: date | None = None
    # Hash of the record's content, to tell an idempotent replay from a correction.
    content_hash: bytes = Field(sa_type=LargeBinary)
    received_at: datetime = created_at_field()
