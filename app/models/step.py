"""Step events: what a CFA's software reported about a youth, as received."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.domain.actors import Portal
from app.domain.timeline import Step
from app.models.base import created_at_field, one_of


class StepEvent(SQLModel, table=True):
    __tablename__ = "step_event"
    __table_args__ = (
        UniqueConstraint("vendor_client_id", "event_id"),
        CheckConstraint(f"step IN {one_of(Step)}", name="step"),
        CheckConstraint(f"portal IS NULL OR portal IN {one_of(Portal)}", name="portal"),
        # A path is read in effective-date order, ties broken by arrival.
        Index("ix_step_event_youth_id_effective_date", "youth_id", "effective_date", "id"),
        # The contracts whose end or completion depends on an offer's session end (recomputed when
        # it moves): those that do not carry their own training end.
        Index(
            "ix_step_event_contracts_uai_certification_code", "uai", "certification_code",
            postgresql_where="training_end IS NULL AND step IN ('APPRENTICE', 'CONTRACT_BROKEN')",
        ),
        Index(
            "ix_step_event_portal_portal_wish_id",
            "portal",
            "portal_wish_id",
            postgresql_where="portal_wish_id IS NOT NULL",
        ),
    )

    # No foreign keys on this table. Its references (vendor, youth, CFA, certification) are
    # checked or created by the ingestion service in the writing transaction; CFAs,
    # certifications and clients are never deleted (clients are revoked); erasure and merges
    # move or delete a youth's events explicitly. Per-row foreign-key triggers cost more than
    # the rest of a 2,000-record upsert (measured: 107 ms with them, 39 ms without).
    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    vendor_client_id: uuid.UUID
    event_id: str = Field(max_length=100)
    youth_id: int = Field(sa_type=BigInteger)
    uai: str = Field(max_length=8)
    certification_code: str = Field(max_length=12)
    step: str = Field(max_length=16)
    effective_date: date
    portal: str | None = Field(default=None, max_length=16)
    portal_wish_id: str | None = Field(default=None, max_length=100)
    contract_start: date | None = None
    contract_end: date | None = None
    training_start: date | None = None
    training_end: date | None = None
    residence_department: str | None = Field(default=None, max_length=3)  # the advisers' territory
    employer_siret: str | None = Field(default=None, max_length=14)  # APPRENTICE, CONTRACT_BROKEN: the employer
    # Hash of the record's content, to tell an idempotent replay from a correction.
    content_hash: bytes = Field(sa_type=LargeBinary)
    received_at: datetime = created_at_field()
