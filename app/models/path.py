"""Derived path segments: each youth's indicator status over time, computed from its steps.

Recomputed for the youths a batch touches, so that reads (situations, headcounts, offers'
enrolment) never replay whole histories.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, CheckConstraint, Index
from sqlmodel import Field, SQLModel

STATUSES = ("REGISTERED", "APPRENTICE", "CONTRACT_BROKEN", "DROPPED_OUT", "COMPLETED")


class PathSegment(SQLModel, table=True):
    __tablename__ = "path_segment"
    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES}", name="status"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="valid_range"),
        Index("ix_path_segment_uai_certification_code", "uai", "certification_code"),
        Index("ix_path_segment_valid_from", "valid_from"),
    )

    youth_id: int = Field(
        primary_key=True, foreign_key="youth.id", sa_type=BigInteger, ondelete="CASCADE"
    )
    valid_from: date = Field(primary_key=True)
    valid_to: date | None = None  # exclusive; NULL while open
    status: str = Field(max_length=16)
    uai: str = Field(foreign_key="cfa.uai", max_length=8)
    certification_code: str = Field(foreign_key="certification.code", max_length=12)
    cause: str = Field(max_length=24)
    rule_version: str = Field(max_length=20)
