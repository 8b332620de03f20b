"""Wishes (vœux) transmitted by the portals to CFAs, with their outcome kept up to date."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Index, LargeBinary, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.domain.actors import Portal
from app.domain.outcome import Match, Stage
from app.models.base import created_at_field, one_of


class Wish(SQLModel, table=True):
    __tablename__ = "wish"
    __table_args__ = (
        UniqueConstraint("portal", "portal_wish_id"),
        CheckConstraint(f"portal IN {one_of(Portal)}", name="portal"),
        CheckConstraint(f"outcome_stage IN {one_of(Stage)}", name="outcome_stage"),
        CheckConstraint(f"outcome_match IS NULL OR outcome_match IN {one_of(Match)}", name="outcome_match"),
        Index("ix_wish_portal_submitted_at_id", "portal", "submitted_at", "id"),
        # a portal's incremental synchronisation: what changed after an instant, in id order
        Index("ix_wish_portal_outcome_changed_at_id", "portal", "outcome_changed_at", "id"),
        Index("ix_wish_portal_outcome_stage_id", "portal", "outcome_stage", "id"),
        # the daily sweep: outcomes a rule changes on a day, without any new step
        Index("ix_wish_outcome_next_on", "outcome_next_on", postgresql_where=text("outcome_next_on IS NOT NULL")),
        # the pilots' wish conversion: counted from the index alone (an index-only scan), by CFA; a
        # narrow index (no INCLUDE of the window's columns), or the planner prefers the table
        Index("ix_wish_conversion", "uai", "outcome_stage", "outcome_match", "outcome_handled_by_wished_cfa", "portal"),
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
    # Hash of the record as the portal sent it: an identical resend is "unchanged".
    content_hash: bytes | None = Field(default=None, sa_type=LargeBinary)
    # The outcome (app/domain/outcome.py), recomputed whenever the wish or the youth's steps change.
    outcome_stage: str = Field(default="NO_NEWS", max_length=16, sa_column_kwargs={"server_default": text("'NO_NEWS'")})
    outcome_match: str | None = Field(default=None, max_length=16)
    outcome_since: date | None = None
    outcome_uai: str | None = Field(default=None, max_length=8)
    outcome_certification: str | None = Field(default=None, max_length=12)
    outcome_handled_by_wished_cfa: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    outcome_next_on: date | None = None  # the next day a rule may change the outcome by itself
    outcome_changed_at: datetime = created_at_field()
    residence_department: str | None = Field(default=None, max_length=3)  # the advisers' territory
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
