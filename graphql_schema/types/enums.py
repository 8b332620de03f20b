"""The contract's enums, with their French terms in the descriptions.

The enums the domain knows (roles, portals, steps, certification kinds, outcome stages and
matches, risk reasons, path statuses) are made from the domain's own: their values cannot drift
from what the rules, the database's check constraints and the code use (tests/test_enums.py).
Only their descriptions are written here, one per value, by value name; a value without a
description, or a description without its value, stops the import. The enums of the API alone
(headcount dimensions, intervals) are written here whole.
"""

from __future__ import annotations

from enum import Enum, StrEnum
from typing import TYPE_CHECKING

import strawberry

from app.domain import actors, identifiers, outcome, risk, timeline


def from_domain(domain: type[StrEnum], name: str, description: str, values: dict[str, str]) -> type[Enum]:
    """The GraphQL enum ``name``: the domain enum's values, in its order, with these descriptions."""
    names = [member.name for member in domain]
    if sorted(values) != sorted(names):
        raise RuntimeError(f"{name}: descriptions for {sorted(values)}, but the domain's values are {sorted(names)}")
    members = {member.name: strawberry.enum_value(member.value, description=values[member.name]) for member in domain}
    enum = Enum(name, members)  # type: ignore[misc]
    enum.__module__ = __name__
    return strawberry.enum(enum, description=description)


_Role = from_domain(
    actors.Role,
    "Role",
    "The role of an API client; a key belongs to one client with one role.",
    {
        "VENDOR": "A publisher of CFA management software (éditeur), e.g. Ymag; writes for consenting CFAs.",
        "PORTAL": "An orientation portal: Parcoursup or Affelnet; writes its wishes, reads their outcomes.",
        "ADVISER": "A public employment/orientation service adviser (SPE, mission locale); reads at-risk youths in a territory.",
        "PILOT": "State or regional steering; reads aggregates only, never a person.",
        "ADMIN": "Operates the hub: clients, keys, CFA consent, erasure.",
    },
)


_Portal = from_domain(
    actors.Portal,
    "Portal",
    "The orientation portals.",
    {
        "PARCOURSUP": "Parcoursup: after the baccalauréat.",
        "AFFELNET": "Affelnet: after the collège.",
    },
)


_Step = from_domain(
    timeline.Step,
    "Step",
    "What a CFA reports about a youth, in the order of a normal path.",
    {
        "MEETING": 'Rendez-vous with the youth (first step: the wish is handled, "vœu exploité").',
        "INFO_SESSION": "Information collective attended (first step: handled).",
        "PRE_REGISTERED": "Pré-inscription (handled).",
        "REGISTERED": "Inscrit: stagiaire de la formation professionnelle (or scolaire), no contract yet.",
        "APPRENTICE": "Apprentice with a signed apprenticeship contract.",
        "CONTRACT_BROKEN": "The contract was broken (rupture); the youth may stay at the CFA while looking for an employer.",
        "DROPPED_OUT": "The youth left the path (abandon).",
        "COMPLETED": "The training ended normally (fin de formation).",
    },
)


_CertificationKind = from_domain(
    identifiers.CertificationKind,
    "CertificationKind",
    "The referential a certification code belongs to.",
    {
        "CFD": "Code formation diplôme (8 characters, e.g. 50022141).",
        "RNCP": 'Répertoire national des certifications professionnelles ("RNCP" + digits).',
    },
)


_OutcomeStage = from_domain(
    outcome.Stage,
    "OutcomeStage",
    "How far a wish went, seen from the youth's whole path across every CFA.",
    {
        "NO_NEWS": "No step reported anywhere since the wish.",
        "HANDLED": "MEETING, INFO_SESSION or PRE_REGISTERED reported.",
        "REGISTERED": "Registered without contract.",
        "APPRENTICE": "Apprentice with a contract (COMPLETED counts here).",
        "LEFT": "DROPPED_OUT reported, or counted as abandon by the status rules (registered too long, rupturant too long).",
        "CONTRACT_BROKEN": "Rupturant: the contract was broken (or ended early) and the youth is still in training, looking for an employer.",
    },
)


_OutcomeMatch = from_domain(
    outcome.Match,
    "OutcomeMatch",
    "Where the outcome happened, compared with what the wish targeted.",
    {
        "AS_WISHED": "Same CFA (UAI) and same certification.",
        "OTHER_TRAINING": "Same CFA, another certification.",
        "OTHER_CFA": "Another CFA.",
    },
)


_RiskReason = from_domain(
    risk.Reason,
    "RiskReason",
    "Why an adviser should contact a youth.",
    {
        "WISH_NOT_HANDLED": "A wish to a CFA that consented, older than the configured delay (default 30 days), and no step reported anywhere.",
        "NO_CONTRACT": "REGISTERED without contract for 60 days or more (legal limit: 3 months, Code du travail L6222-12-1).",
        "CONTRACT_BROKEN": "Rupturant and no later contract; not for a rupture within the completion window of the training end, and shown until the youth counts as abandon.",
        "DROPPED_OUT": "Left the path (reported or by the rules) and no later REGISTERED or APPRENTICE step anywhere; shown for the configured window after it (default 180 days), then no longer.",
        "HANDLED_NOT_REGISTERED": "MEETING, INFO_SESSION or PRE_REGISTERED as last step for the configured delay (default 45 days), never registered since.",
    },
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


_PathStatus = from_domain(
    timeline.Status,
    "PathStatus",
    "A youth's indicator status on a date (the national dashboard's indicators).",
    {
        "REGISTERED": "Inscrit sans contrat.",
        "APPRENTICE": "Apprenti: under a contract.",
        "CONTRACT_BROKEN": "Rupturant: contract broken, no new one yet.",
        "DROPPED_OUT": "Abandon: reported, or registered/broken for longer than the rules allow.",
        "COMPLETED": "Fin de formation.",
    },
)


if TYPE_CHECKING:  # the type checker sees the domain's members
    Role = actors.Role
    Portal = actors.Portal
    Step = timeline.Step
    CertificationKind = identifiers.CertificationKind
    OutcomeStage = outcome.Stage
    OutcomeMatch = outcome.Match
    RiskReason = risk.Reason
    PathStatus = timeline.Status
else:
    Role, Portal, Step, CertificationKind = _Role, _Portal, _Step, _CertificationKind
    OutcomeStage, OutcomeMatch, RiskReason, PathStatus = _OutcomeStage, _OutcomeMatch, _RiskReason, _PathStatus
