"""SQLModel tables, one module per aggregate; importing this package registers them all."""

from app.models.base import metadata
from app.models.certification import Certification
from app.models.cfa import Cfa, CfaConsentEvent, CfaTransmissionDay, CfaVendor
from app.models.client import ApiClient, ApiKey, RateBucket
from app.models.feedback import AuditEntry, Rejection
from app.models.offer import Offer
from app.models.path import (
    CfaStatusBase,
    CfaStatusMonth,
    DepartmentStatusChange,
    DepartmentStatusMonth,
    DerivationFailure,
    IntakeChange,
    OfferIntakeBase,
    OfferIntakeMonth,
    PendingDerivation,
    RecomputeProgress,
    StatusChange,
    StatusCut,
    YouthPath,
    YouthRisk,
)
from app.models.reference import Academie, Department, Region
from app.models.step import StepEvent
from app.models.wish import Wish
from app.models.youth import Youth, YouthLearnerRef

__all__ = [
    "Academie",
    "ApiClient",
    "ApiKey",
    "AuditEntry",
    "Certification",
    "CfaStatusBase",
    "CfaStatusMonth",
    "Cfa",
    "CfaConsentEvent",
    "CfaTransmissionDay",
    "CfaVendor",
    "Department",
    "DepartmentStatusChange",
    "DepartmentStatusMonth",
    "DerivationFailure",
    "IntakeChange",
    "OfferIntakeBase",
    "OfferIntakeMonth",
    "Offer",
    "PendingDerivation",
    "RecomputeProgress",
    "RateBucket",
    "Region",
    "Rejection",
    "StatusChange",
    "StatusCut",
    "StepEvent",
    "Wish",
    "Youth",
    "YouthLearnerRef",
    "YouthPath",
    "YouthRisk",
    "metadata",
]
