"""recordSteps (VENDOR) and eraseYouth (ADMIN)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import strawberry

from app.services import ingest, youths
from graphql_schema.context import HubContext, Info
from graphql_schema.inputs.records import StepInput
from graphql_schema.types.batch import BatchPayload


async def record_steps(info: Info, input: list[StepInput]) -> BatchPayload:
    """Declared for the schema; requests are served by :func:`record_steps_raw` (see bulk.py)."""
    raise AssertionError("recordSteps is served by its raw resolver")


async def record_steps_raw(context: HubContext, records: Sequence[Mapping[str, Any]]) -> BatchPayload:
    result = await ingest.record_steps(
        context.db, context.vault, context.settings, context.require_principal(), records, known_youths=context.known_youths
    )
    return BatchPayload.from_result(result)


async def erase_youth(
    info: Info,
    ine: Annotated[str | None, strawberry.argument(description="The youth's INE.")] = None,
    nir: Annotated[str | None, strawberry.argument(description="The youth's NIR (matched by keyed hash only).")] = None,
    uai: Annotated[str | None, strawberry.argument(description="v2: with learnerRef, the CFA whose software names the "
                                                   "learner.")] = None,
    learner_ref: Annotated[str | None, strawberry.argument(description="v2: the CFA software's id of the learner (a "
                                                           "youth without INE); with uai.")] = None,
) -> bool:
    context = info.context
    return await youths.erase_youth(
        context.db, context.vault, context.settings, context.require_principal(),
        ine=ine, nir=nir, request_id=context.request_id, uai=uai, learner_ref=learner_ref,
    )

