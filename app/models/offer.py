"""Training offers of CFAs, with capacities (version 2 of the hub)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import created_at_field


class Offer(SQLModel, table=True):
    __tablename__ = "offer"
    __table_args__ = (
        UniqueConstraint("uai", "offer_ref"),
        Index("ix_offer_certification_code_uai", "certification_code", "uai"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    uai: str = Field(foreign_key="cfa.uai", max_length=8)
    offer_ref: str = Field(max_length=100)
    title: str | None = Field(default=None, max_length=300)  # intitulé de la formation
    siret: str | None = Field(default=None, max_length=14)  # where the training takes place
    certification_code: str = Field(foreign_key="certification.code", max_length=12)
    department_code: str = Field(foreign_key="department.code", max_length=3, index=True)
    session_start: date | None = None
    session_end: date | None = None
    capacity: int | None = None
    revised_capacity: int | None = None
    parcoursup_id: str | None = Field(default=None, max_length=20)
    affelnet_id: str | None = Field(default=None, max_length=40)
    vendor_client_id: uuid.UUID | None = Field(default=None, foreign_key="api_client.id")
    # Hash of the record as the vendor sent it: an identical resend is "unchanged".
    content_hash: bytes | None = Field(default=None, sa_type=LargeBinary)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
