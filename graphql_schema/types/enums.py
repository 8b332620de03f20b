"""The contract's enums, with their French terms in the descriptions."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(description="The role of an API client; a key belongs to one client with one role.")
class Role(Enum):
    VENDOR = strawberry.enum_value(
        "VENDOR",
        description="A publisher of CFA management software (éditeur), e.g. Ymag; writes for consenting CFAs.",
    )
    PORTAL = strawberry.enum_value(
        "PORTAL", description="An orientation portal: Parcoursup or Affelnet; writes its wishes, reads their outcomes."
    )
    ADVISER = strawberry.enum_value(
        "ADVISER",
        description="A public employment/orientation service adviser (SPE, mission locale); reads at-risk youths in a territory.",
    )
    PILOT = strawberry.enum_value(
        "PILOT", description="State or regional steering; reads aggregates only, never a person."
    )
    ADMIN = strawberry.enum_value("ADMIN", description="Operates the hub: clients, keys, CFA consent, erasure.")


@strawberry.enum(description="The orientation portals.")
class Portal(Enum):
    PARCOURSUP = strawberry.enum_value("PARCOURSUP", description="Parcoursup: after the baccalauréat.")
    AFFELNET = strawberry.enum_value("AFFELNET", description="Affelnet: after the collège.")


@strawberry.enum(description="What a CFA reports about a youth, in the order of a normal path.")
class Step(Enum):
    MEETING = strawberry.enum_value(
        "MEETING", description='Rendez-vous with the youth (first step: the wish is handled, "vœu exploité").'
    )
    INFO_SESSION = strawberry.enum_value(
        "INFO_SESSION", description="Information collective attended (first step: handled)."
    )
    PRE_REGISTERED = strawberry.enum_value("PRE_REGISTERED", description="Pré-inscription (handled).")
    REGISTERED = strawberry.enum_value(
        "REGISTERED",
        description="Inscrit: stagiaire de la formation professionnelle (or scolaire), no contract yet.",
    )
    APPRENTICE = strawberry.enum_value(
        "APPRENTICE", description="Apprentice with a signed apprenticeship contract."
    )
    CONTRACT_BROKEN = strawberry.enum_value(
        "CONTRACT_BROKEN",
        description="The contract was broken (rupture); the youth may stay at the CFA while looking for an employer.",
    )
    DROPPED_OUT = strawberry.enum_value("DROPPED_OUT", description="The youth left the path (abandon).")
    COMPLETED = strawberry.enum_value("COMPLETED", description="The training ended normally (fin de formation).")


@strawberry.enum(description="The referential a certification code belongs to.")
class CertificationKind(Enum):
    CFD = strawberry.enum_value("CFD", description="Code formation diplôme (8 characters, e.g. 50022141).")
    RNCP = strawberry.enum_value("RNCP", description='Répertoire national des certifications professionnelles ("RNCP" + digits).')


@strawberry.enum(description="How far a wish went, seen from the youth's whole path across every CFA.")
class OutcomeStage(Enum):
    NO_NEWS = strawberry.enum_value("NO_NEWS", description="No step reported anywhere since the wish.")
    HANDLED = strawberry.enum_value("HANDLED", description="MEETING, INFO_SESSION or PRE_REGISTERED reported.")
    REGISTERED = strawberry.enum_value("REGISTERED", description="Registered without contract.")
    APPRENTICE = strawberry.enum_value(
        "APPRENTICE", description="Apprentice with a contract (COMPLETED counts here)."
    )
    LEFT = strawberry.enum_value(
        "LEFT", description="DROPPED_OUT reported, or counted as abandon by the status rules (registered too long, "
        "rupturant too long)."
    )
    CONTRACT_BROKEN = strawberry.enum_value(
        "CONTRACT_BROKEN", description="Rupturant: the contract was broken (or ended early) and the youth is still in "
        "training, looking for an employer."
    )


@strawberry.enum(description="Where the outcome happened, compared with what the wish targeted.")
class OutcomeMatch(Enum):
    AS_WISHED = strawberry.enum_value("AS_WISHED", description="Same CFA (UAI) and same certification.")
    OTHER_TRAINING = strawberry.enum_value("OTHER_TRAINING", description="Same CFA, another certification.")
    OTHER_CFA = strawberry.enum_value("OTHER_CFA", description="Another CFA.")


@strawberry.enum(description="Why an adviser should contact a youth.")
class RiskReason(Enum):
    WISH_NOT_HANDLED = strawberry.enum_value(
        "WISH_NOT_HANDLED",
        description="A wish to a CFA that consented, older than the configured delay (default 30 days), and no step "
        "reported anywhere.",
    )
    NO_CONTRACT = strawberry.enum_value(
        "NO_CONTRACT",
        description="REGISTERED without contract for 60 days or more (legal limit: 3 months, Code du travail L6222-12-1).",
    )
    CONTRACT_BROKEN = strawberry.enum_value(
        "CONTRACT_BROKEN", description="Rupturant and no later contract; not for a rupture within the completion "
        "window of the training end, and shown until the youth counts as abandon."
    )
    DROPPED_OUT = strawberry.enum_value(
        "DROPPED_OUT", description="Left the path (reported or by the rules) and no later REGISTERED or APPRENTICE step "
        "anywhere; shown for the configured window after it (default 180 days), then no longer."
    )
    HANDLED_NOT_REGISTERED = strawberry.enum_value(
        "HANDLED_NOT_REGISTERED", description="MEETING, INFO_SESSION or PRE_REGISTERED as last step for the configured "
        "delay (default 45 days), never registered since."
    )


@strawberry.enum(description="How headcount rows are grouped.")
class HeadcountDimension(Enum):
    NATIONAL = strawberry.enum_value("NATIONAL", description='One row, key "FR".')
    REGION = strawberry.enum_value("REGION", description="One row per region (INSEE code).")
    DEPARTMENT = strawberry.enum_value("DEPARTMENT", description="One row per department.")
    CFA = strawberry.enum_value("CFA", description="One row per CFA (UAI).")
    CERTIFICATION = strawberry.enum_value("CERTIFICATION", description="One row per certification code.")


@strawberry.enum(description="The spacing of the points of a headcount series.")
class Interval(Enum):
    WEEK = strawberry.enum_value("WEEK", description="One point per week end (Sunday).")
    MONTH = strawberry.enum_value("MONTH", description="One point per month end.")


@strawberry.enum(description="A youth's indicator status on a date (the national dashboard's indicators).")
class PathStatus(Enum):
    REGISTERED = strawberry.enum_value("REGISTERED", description="Inscrit sans contrat.")
    APPRENTICE = strawberry.enum_value("APPRENTICE", description="Apprenti: under a contract.")
    CONTRACT_BROKEN = strawberry.enum_value("CONTRACT_BROKEN", description="Rupturant: contract broken, no new one yet.")
    DROPPED_OUT = strawberry.enum_value(
        "DROPPED_OUT", description="Abandon: reported, or registered/broken for longer than the rules allow."
    )
    COMPLETED = strawberry.enum_value("COMPLETED", description="Fin de formation.")
