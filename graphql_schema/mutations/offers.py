"""upsertOffers (VENDOR; the raw bulk path, see bulk.py) and reviseCapacity (ADMIN)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import strawberry

from app.services import offers
from graphql_schema.context import HubContext, Info
from graphql_schema.inputs.records import OfferInput
from graphql_schema.types.batch import BatchPayload
from graphql_schema.types.offer import Offer


async def upsert_offers(info: Info, input: list[OfferInput]) -> BatchPayload:
    """Declared for the schema; requests are served by :func:`upsert_offers_raw` (see bulk.py)."""
    raise AssertionError("upsertOffers is served by its raw resolver")


async def upsert_offers_raw(context: HubContext, records: Sequence[Mapping[str, Any]]) -> BatchPayload:
    result = await offers.upsert_offers(context.db, context.settings, context.require_principal(), records)
    return BatchPayload.from_result(result)


async def revise_capacity(
    info: Info,
    offer_id: Annotated[strawberry.ID, strawberry.argument(description="The offer.")],
    capacity: Annotated[
        int | None, strawberry.argument(description="The revised capacity; null withdraws the revision.")
    ] = None,
) -> Offer:
    context = info.context
    return Offer.from_row(
        await offers.revise_capacity(context.db, context.require_principal().scope, str(offer_id), capacity))
