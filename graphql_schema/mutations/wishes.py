"""submitWishes (PORTAL): served by the raw bulk resolver, like recordSteps (see bulk.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.services import wishes
from graphql_schema.context import HubContext, Info
from graphql_schema.inputs.records import WishInput
from graphql_schema.types.batch import BatchPayload


async def submit_wishes(info: Info, input: list[WishInput]) -> BatchPayload:
    """Declared for the schema; requests are served by :func:`submit_wishes_raw` (see bulk.py)."""
    raise AssertionError("submitWishes is served by its raw resolver")


async def submit_wishes_raw(context: HubContext, records: Sequence[Mapping[str, Any]]) -> BatchPayload:
    result = await wishes.submit_wishes(
        context.db, context.vault, context.settings, context.require_principal(), records
    )
    return BatchPayload.from_result(result)
