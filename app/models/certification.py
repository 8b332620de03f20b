"""The certification referential: CFD and RNCP codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, SmallInteger, false
from sqlmodel import Field, SQLModel

from app.domain.identifiers import CertificationKind
from app.models.base import created_at_field, one_of


class Certification(SQLModel, table=True):
    __tablename__ = "certification"
    __table_args__ = (
        CheckConstraint(f"kind IN {one_of(CertificationKind)}", name="kind"),
        CheckConstraint("level IS NULL OR level BETWEEN 1 AND 8", name="level"),
    )

    code: str = Field(primary_key=True, max_length=12)
    kind: str = Field(max_length=4)
    title: str = Field(max_length=500)
    level: int | None = Field(default=None, sa_type=SmallInteger)
    # False for a valid code first seen in a step or a wish, before the referential names it.
    verified: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
