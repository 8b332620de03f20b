"""CFAs (centres de formation d'apprentis), their consent and the vendors they authorise."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ARRAY, Index, Uuid, false
from sqlmodel import Field, SQLModel

from app.models.base import created_at_field, timestamp_field


class Cfa(SQLModel, table=True):
    __tablename__ = "cfa"

    uai: str = Field(primary_key=True, max_length=8)
    siret: str | None = Field(default=None, max_length=14)
    name: str = Field(max_length=300)
    department_code: str = Field(foreign_key="department.code", max_length=3, index=True)
    # the consent in force: the CFA's own decision, else (a formateur without one) its
    # responsible's, else none; kept by app/services/cfas.py whenever either changes
    consent_given: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    consent_changed_at: datetime | None = timestamp_field()
    own_consent: bool | None = None  # the CFA's own decision; None: it made none
    # the organisme responsable (gestionnaire) of this CFA formateur; None: it is its own
    responsible_uai: str | None = Field(default=None, foreign_key="cfa.uai", max_length=8, index=True)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class CfaConsentEvent(SQLModel, table=True):
    """Consent history: every change of consent or of the authorised vendors, by whom."""

    __tablename__ = "cfa_consent_event"

    id: int | None = Field(default=None, primary_key=True)
    uai: str = Field(foreign_key="cfa.uai", max_length=8, index=True)
    given: bool
    vendor_client_ids: list[uuid.UUID] = Field(sa_type=ARRAY(Uuid))
    changed_by: uuid.UUID | None = Field(default=None, foreign_key="api_client.id")
    changed_at: datetime = created_at_field()


class CfaVendor(SQLModel, table=True):
    """A vendor client authorised by the CFA to write its data."""

    __tablename__ = "cfa_vendor"

    uai: str = Field(foreign_key="cfa.uai", primary_key=True, max_length=8)
    client_id: uuid.UUID = Field(
        foreign_key="api_client.id", primary_key=True, index=True, ondelete="CASCADE"
    )
    created_at: datetime = created_at_field()


class CfaTransmissionDay(SQLModel, table=True):
    """What a CFA's software sent on one day (France's calendar), kept by the ingestion in the
    batch's transaction: the records received valid (steps and offers, stored or unchanged), the
    steps stored (accepted), the steps rejected, the last receipt. Coverage and a CFA's
    transmission read a few rows per CFA, never the events."""

    __tablename__ = "cfa_transmission_day"
    __table_args__ = (Index("ix_cfa_transmission_day_day", "day"),)

    uai: str = Field(primary_key=True, max_length=8)
    day: date = Field(primary_key=True)
    received: int = 0
    steps_accepted: int = 0
    steps_rejected: int = 0
    last_received_at: datetime | None = timestamp_field()  # the last valid record's; None: rejections alone
