"""Portals' wishes and what became of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import strawberry

from graphql_schema.context import Info
from graphql_schema.types.cfa import Certification, Cfa, load_certifications, load_cfas
from graphql_schema.types.enums import OutcomeMatch, OutcomeStage, Portal
from graphql_schema.types.offer import Offer
from graphql_schema.types.pagination import PageInfo
from graphql_schema.types.path import StatusEvent


@dataclass(frozen=True)
class Preloaded:
    """What a list of wishes resolved once for all its items."""

    cfas: dict[str, Cfa]
    certifications: dict[str, Certification]


# Stored values to enum members by a dictionary look-up (a call of the enum class costs more).
_PORTALS = {member.value: member for member in Portal}
_STAGES = {member.value: member for member in OutcomeStage}
_MATCHES = {member.value: member for member in OutcomeMatch}


@strawberry.type(description="What became of a wish, from the youth's whole path across every CFA.")
class WishOutcome:
    stage: OutcomeStage = strawberry.field(description="How far the wish went.")
    match: OutcomeMatch | None = strawberry.field(description="Null when stage is NO_NEWS.")
    since: date | None = strawberry.field(
        description="Effective date of the step that set the stage, or the day a status rule made it so (an abandon "
        "after 90 days registered without contract, a contract's end)."
    )
    # Plain values, resolved for the whole page before (Wish.preload): a field with a resolver
    # costs strawberry an Info and an argument pass per call, 400 times a page of 100.
    cfa: Cfa | None = strawberry.field(description="Where the outcome happened.")
    certification: Certification | None = strawberry.field(description="The certification of the step that set the stage.")
    handled_by_wished_cfa: bool = strawberry.field(
        description='The wished CFA itself reported a step of this youth on or after the wish ("vœu exploité" by that CFA).'
    )


@strawberry.type(description="A wish (vœu) a portal transmitted to a CFA. PORTAL: only its own.")
class Wish:
    id: strawberry.ID = strawberry.field(description="The hub's id of the wish.")
    portal: Portal = strawberry.field(description="The portal that sent it.")
    portal_wish_id: str = strawberry.field(description="The portal's own identifier, unique per portal.")
    submitted_at: datetime = strawberry.field(description="When the portal transmitted the wish.")
    outcome: WishOutcome = strawberry.field(
        description="What became of the wish (kept up to date as steps arrive; see docs/portals.md)."
    )
    outcome_changed_at: datetime = strawberry.field(
        description="When the outcome last changed (or the wish arrived): what `outcomeChangedSince` compares."
    )
    cfa: Cfa = strawberry.field(description="The CFA wished.")
    certification: Certification = strawberry.field(description="The certification wished.")
    wish_id: strawberry.Private[int]
    offer_id: strawberry.Private[int | None]

    @strawberry.field(description="The offer wished, when the portal named it.")
    async def offer(self, info: Info) -> Offer | None:
        if self.offer_id is None:
            return None
        row = await info.context.loaders.offer_by_id.load(self.offer_id)
        return None if row is None else Offer.from_row(row)

    @strawberry.field(
        description="The steps the outcome counts: the youth's steps since the wish, every CFA included, oldest first "
        "(a step a CFA linked to this wish is the youth's; never a step before the wish's day)."
    )
    async def history(self, info: Info) -> list[StatusEvent]:
        rows = await info.context.loaders.history_by_wish.load(self.wish_id)
        return [StatusEvent.from_row(row) for row in rows]

    @classmethod
    def from_row(cls, row: Any, preloaded: Preloaded) -> Wish:
        cfas, certifications = preloaded.cfas, preloaded.certifications
        outcome_uai, outcome_certification = row["outcome_uai"], row["outcome_certification"]
        return cls(
            id=strawberry.ID(str(row["id"])),
            portal=_PORTALS[row["portal"]],
            portal_wish_id=row["portal_wish_id"],
            submitted_at=row["submitted_at"],
            cfa=cfas[row["uai"]],
            certification=certifications[row["certification_code"]],
            outcome=WishOutcome(
                stage=_STAGES[row["outcome_stage"]],
                match=None if row["outcome_match"] is None else _MATCHES[row["outcome_match"]],
                since=row["outcome_since"],
                cfa=None if outcome_uai is None else cfas[outcome_uai],
                certification=None if outcome_certification is None else certifications[outcome_certification],
                handled_by_wished_cfa=row["outcome_handled_by_wished_cfa"],
            ),
            outcome_changed_at=row["outcome_changed_at"],
            wish_id=row["id"],
            offer_id=row["offer_id"],
        )

    @staticmethod
    async def preload(info: Info, rows: list[Any]) -> Preloaded:
        """The CFAs and certifications a page of wishes names, with one load of each kind."""
        uais = {row["uai"] for row in rows} | {row["outcome_uai"] for row in rows if row["outcome_uai"]}
        codes = {row["certification_code"] for row in rows} | {
            row["outcome_certification"] for row in rows if row["outcome_certification"]
        }
        return Preloaded(cfas=await load_cfas(info, uais), certifications=await load_certifications(info, codes))


@strawberry.type(description="An edge of a wish list.")
class WishEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this edge.")
    node: Wish = strawberry.field(description="The wish.")


@strawberry.type(description="A page of wishes.")
class WishConnection:
    edges: list[WishEdge] = strawberry.field(description="The page.")
    page_info: PageInfo = strawberry.field(description="Where the page stands.")
    total_count: int = strawberry.field(description="All wishes matching, over every page.")


@strawberry.type(description="How many wishes reached a stage, where.")
class OutcomeCount:
    stage: OutcomeStage = strawberry.field(description="The stage reached.")
    match: OutcomeMatch | None = strawberry.field(description="Where; null for NO_NEWS.")
    count: int = strawberry.field(description="How many wishes.")
