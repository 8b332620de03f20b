"""Wishes (vœux) transmitted by the portals to CFAs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import created_at_field


class Wish(SQLModel, table=True):
    __tablename__ = "wish"
    __table_args__ = (
        UniqueConstraint("portal", "portal_wish_id"),
        CheckConstraint("portal IN ('PARCOURSUP', 'AFFELNET')", name="portal"),
        Index("ix_wish_portal_submitted_at_id", "portal", "submitted_at", "id"),
        Index("ix_wish_portal_outcome_changed_at", "portal", "outcome_changed_at"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    portal: str = Field(max_length=16)
    portal_wish_id: str = Field(max_length=100)
    # NULL once the youth is erased: the wish stays for the portal's statistics, unlinked.
    youth_id: int | None = Field(
        default=None, foreign_key="youth.id", index=True, sa_type=BigInteger, ondelete="SET NULL"
    )
    uai: str = Field(foreign_key="cfa.uai", max_length=8, index=True)
    certification_code: str = Field(foreign_key="certification.code", max_length=12)
    offer_id: int | None = Field(default=None, foreign_key="offer.id", sa_type=BigInteger)
    submitted_at: datetime = Field(sa_type=DateTime(timezone=True))
    outcome_changed_at: datetime = created_at_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
