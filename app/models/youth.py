"""Youths, pseudonymous: keyed hashes to match, the INE encrypted, never a NIR in clear."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, LargeBinary, Sequence, false, text
from sqlmodel import Field, SQLModel

from app.models.base import created_at_field

# Counts the operations that delete youths (erasure and the retention purge, each while it holds
# the youth deletion lock; merges of youths matched by NIR): a hub process's cache of youths known to exist
# (app/services/known_youths.py) is valid while this has not moved. A sequence, not a row: read
# without MVCC and never contended (migration 0019).
youth_deletions = Sequence("youth_deletions", metadata=SQLModel.metadata)


class Youth(SQLModel, table=True):
    __tablename__ = "youth"
    # Most youths have no NIR hash: index only those that do.
    __table_args__ = (
        Index("uq_youth_nir_hash", "nir_hash", unique=True, postgresql_where=text("nir_hash IS NOT NULL")),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    ine_hash: bytes | None = Field(default=None, sa_type=LargeBinary, unique=True)
    ine_encrypted: bytes | None = Field(default=None, sa_type=LargeBinary)
    # Only with HUB_NIR_MATCHING=hmac; otherwise the NIR is validated then discarded.
    nir_hash: bytes | None = Field(default=None, sa_type=LargeBinary)
    nir_given: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class YouthLearnerRef(SQLModel, table=True):
    """A CFA software's id of a learner (its keyed hash with the UAI: app/security.py), linked to
    the youth it finds again; a youth has one per CFA that sends one. Moved by merges, gone with
    the youth."""

    __tablename__ = "youth_learner_ref"

    ref_hash: bytes = Field(primary_key=True, sa_type=LargeBinary)
    youth_id: int = Field(sa_type=BigInteger, foreign_key="youth.id", index=True, ondelete="CASCADE")
    created_at: datetime = created_at_field()
