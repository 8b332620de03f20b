"""Batch records: steps, wishes, certifications, offers."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from graphql_schema.types.enums import Portal, Step


@strawberry.input(description="A step of a youth's path, reported by a CFA's software (VENDOR).")
class StepInput:
    event_id: str = strawberry.field(
        description="The vendor's id for this report; the same eventId sent again changes nothing (idempotent)."
    )
    uai: str = strawberry.field(description="UAI of the CFA reporting the step.")
    ine: str | None = strawberry.field(
        default=None, description="INE of the youth. v2: at least one of ine, nir and learnerRef, unless the step is "
        "linked to a wish (it is then the wish's youth's); a NIR alone needs NIR matching (HUB_NIR_MATCHING=hmac) or "
        "that link, else IDENTITY_MISSING."
    )
    nir: str | None = strawberry.field(
        default=None, description="NIR of the youth; never stored in clear, never returned."
    )
    learner_ref: str | None = strawberry.field(
        default=None, description="v2: the CFA software's own stable id of the learner (1 to 64 characters, no control "
        "character: INVALID_LEARNER_REF); with the UAI it finds the same youth again without INE, kept only as a keyed "
        "hash. A later step bringing the INE gives it to that youth (merging with a youth already known by that INE); "
        "the same learnerRef with another INE is LEARNER_CONFLICT and merges nothing."
    )
    certification: str = strawberry.field(description="CFD or RNCP code.")
    step: Step = strawberry.field(description="What happened.")
    effective_date: date = strawberry.field(description="When it happened: from 2000-01-01 to tomorrow.")
    portal: Portal | None = strawberry.field(
        default=None, description="With portalWishId, links the step to that wish; a wish of another youth is "
        "WISH_YOUTH_MISMATCH."
    )
    portal_wish_id: str | None = strawberry.field(default=None, description="The portal's id of the wish.")
    contract_start: date | None = strawberry.field(
        default=None, description="APPRENTICE / CONTRACT_BROKEN only: the status APPRENTICE starts here when given."
    )
    contract_end: date | None = strawberry.field(
        default=None, description="APPRENTICE / CONTRACT_BROKEN only: the contract's end, planned or actual when it "
        "ended early (status rules 2027.1: it ends the contract, a completion or a rupture by the training end)."
    )
    training_start: date | None = strawberry.field(default=None, description="Date de début de formation.")
    training_end: date | None = strawberry.field(
        default=None, description="Date de fin de formation prévue: a contract ends with it when it has no end of its "
        "own, and one ending 60 days or less before it is a completion; not before trainingStart (INVALID_DATE)."
    )
    residence_department: str | None = strawberry.field(
        default=None, description="The youth's department of residence (the advisers' territory), e.g. 75, 2A, 971 "
        "(INVALID_DEPARTMENT otherwise)."
    )
    responsible_uai: str | None = strawberry.field(
        default=None, description="v2: the organisme responsable (gestionnaire) when `uai` is a CFA formateur under it. "
        "Checked against the registry (registerCfa): a UAI no CFA has is UNKNOWN_CFA, another than the registered one "
        "RESPONSIBLE_MISMATCH, `uai` itself RESPONSIBLE_IS_SELF (all on responsibleUai); the youth is counted where it "
        "is trained, at `uai`."
    )
    employer_siret: str | None = strawberry.field(
        default=None, description="v2: APPRENTICE and CONTRACT_BROKEN: the employer's SIRET (14 digits, Luhn; La Poste's "
        "356000000… by its own rule): INVALID_SIRET, or NOT_A_CONTRACT_STEP on another step."
    )


@strawberry.input(description="A wish transmitted by a portal to a CFA (PORTAL).")
class WishInput:
    portal_wish_id: str = strawberry.field(description="Sending the same id again updates that wish.")
    ine: str | None = strawberry.field(default=None, description="INE of the youth; at least one of ine and nir.")
    nir: str | None = strawberry.field(
        default=None, description="NIR of the youth; never stored in clear, never returned."
    )
    uai: str = strawberry.field(description="UAI of the CFA wished.")
    certification: str = strawberry.field(description="CFD or RNCP code wished.")
    offer_id: strawberry.ID | None = strawberry.field(default=None, description="The hub's offer id, when known.")
    submitted_at: datetime = strawberry.field(
        description="When the portal transmitted the wish: not more than 400 days before the hub receives it, not in "
        "the future (INVALID_DATE)."
    )
    residence_department: str | None = strawberry.field(
        default=None, description="The youth's department of residence (the advisers' territory), e.g. 75, 2A, 971 "
        "(INVALID_DEPARTMENT otherwise)."
    )


@strawberry.input(description="A certification of the referential (ADMIN).")
class CertificationInput:
    code: str = strawberry.field(description="CFD (8 characters) or RNCP code; normalised.")
    title: str = strawberry.field(description="Title (intitulé), 1 to 500 characters.")
    level: int | None = strawberry.field(default=None, description="Level 1 to 8: 3 (CAP) ... 7 (master).")


@strawberry.input(description="A training offer of a CFA (VENDOR).")
class OfferInput:
    offer_ref: str = strawberry.field(
        description="The CFA software's own key for the offer; upsert on (uai, offerRef)."
    )
    uai: str = strawberry.field(description="UAI of the CFA.")
    certification: str = strawberry.field(description="CFD or RNCP code.")
    department_code: str = strawberry.field(description="Where the training takes place.")
    session_start: date | None = strawberry.field(default=None, description="Start of the session.")
    session_end: date | None = strawberry.field(default=None, description="End of the session.")
    capacity: int | None = strawberry.field(default=None, description="Capacité d'accueil.")
    parcoursup_id: str | None = strawberry.field(default=None, description="Parcoursup formation id.")
    affelnet_id: str | None = strawberry.field(default=None, description='Affelnet offer "<académie>/<code>".')
    title: str | None = strawberry.field(default=None, description="Intitulé de la formation (at most 300 characters).")
    siret: str | None = strawberry.field(default=None, description="SIRET of the place where the training takes place.")
