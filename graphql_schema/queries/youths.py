"""A youth by identifier (ADMIN), audited."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.services import youths
from graphql_schema.context import Info
from graphql_schema.types.path import Youth


async def youth(
    info: Info,
    ine: Annotated[str | None, strawberry.argument(description="The youth's INE.")] = None,
    nir: Annotated[str | None, strawberry.argument(description="The youth's NIR (found only with NIR matching on).")] = None,
    uai: Annotated[str | None, strawberry.argument(description="v2: with learnerRef, the CFA whose software names the "
                                                   "learner.")] = None,
    learner_ref: Annotated[str | None, strawberry.argument(description="v2: the CFA software's id of the learner (a "
                                                           "youth without INE); with uai.")] = None,
) -> Youth | None:
    context = info.context
    youth_id = await youths.find_youth(
        context.db, context.vault, context.settings, context.require_principal(),
        ine=ine, nir=nir, request_id=context.request_id, uai=uai, learner_ref=learner_ref,
    )
    return None if youth_id is None else Youth.of(youth_id)
