"""ADMIN operations: CFAs and consent, certifications, clients and keys."""

from __future__ import annotations

import uuid
from typing import Annotated

import strawberry

from app.domain.actors import Portal as DomainPortal
from app.domain.actors import Role as DomainRole
from app.errors import BadInput
from app.services import certifications as certification_service
from app.services import cfas as cfa_service
from app.services import clients as client_service
from graphql_schema.arguments import batch_of
from graphql_schema.bulk import retrying
from graphql_schema.context import Info
from graphql_schema.inputs.records import CertificationInput
from graphql_schema.types.batch import BatchPayload
from graphql_schema.types.cfa import Cfa
from graphql_schema.types.client import Client, NewClient
from graphql_schema.types.enums import Portal, Role


async def register_cfa(
    info: Info,
    uai: Annotated[str, strawberry.argument(description="UAI with its check letter.")],
    name: Annotated[str, strawberry.argument(description="Name, 1 to 300 characters.")],
    department_code: Annotated[str, strawberry.argument(description='INSEE department code: "75", "2A", "971".')],
    siret: Annotated[str | None, strawberry.argument(description="SIRET (14 digits, Luhn).")] = None,
    responsible_uai: Annotated[str | None, strawberry.argument(
        description='v2: the organisme responsable (gestionnaire) when this CFA is a formateur under it: a registered '
        'CFA that is its own. "" for none; left out, it stays as it is. A formateur that made no consent decision of '
        "its own follows its responsible's (consent and authorised vendors).")] = None,
) -> Cfa:
    row = await cfa_service.register_cfa(
        info.context.db, uai=uai, siret=siret, name=name, department_code=department_code,
        responsible_uai=responsible_uai, settings=info.context.settings,
    )
    return Cfa.from_row(row)


async def set_cfa_consent(
    info: Info,
    uai: Annotated[str, strawberry.argument(description="The CFA.")],
    given: Annotated[bool, strawberry.argument(description="True: the CFA consents; false: withdrawn.")],
    vendor_client_ids: Annotated[
        list[strawberry.ID] | None,
        strawberry.argument(description="VENDOR clients authorised to write for the CFA; replaces the list. Omit to keep it."),
    ] = None,
) -> Cfa:
    row = await cfa_service.set_consent(
        info.context.db,
        info.context.require_principal(),
        uai=uai,
        given=given,
        vendor_client_ids=vendor_client_ids,
        settings=info.context.settings,
    )
    return Cfa.from_row(row)


async def create_client(
    info: Info,
    name: Annotated[str, strawberry.argument(description="A name for people, 1 to 200 characters.")],
    role: Annotated[Role, strawberry.argument(description="The client's role.")],
    portal: Annotated[Portal | None, strawberry.argument(description="Required for PORTAL, refused otherwise.")] = None,
    departments: Annotated[
        list[str] | None, strawberry.argument(description="ADVISER (required) or PILOT territory.")
    ] = None,
    regions: Annotated[
        list[str] | None, strawberry.argument(description="Regions, expanded to their departments.")
    ] = None,
) -> NewClient:
    created = await client_service.create_client(
        info.context.db,
        info.context.settings.key_pepper.get_secret_value(),
        name=name,
        role=DomainRole(role.value),
        portal=DomainPortal(portal.value) if portal else None,
        departments=departments,
        regions=regions,
        key_lifetime_days=info.context.settings.key_lifetime_days,
    )
    return NewClient(client=Client.from_row(created.client), api_key=created.api_key)


async def revoke_client(
    info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The client to revoke.")]
) -> Client:
    try:
        client_id = uuid.UUID(str(id))
    except ValueError:
        raise BadInput("id: not a client id", field="id", reason="UNKNOWN_CLIENT") from None
    # two ADMINs revoking each other at once may deadlock: the victim tries again, and then finds
    # itself the last ADMIN (or its key revoked)
    row = await retrying(info.context, lambda: client_service.revoke_client(info.context.db, client_id))
    return Client.from_row(row)


async def register_certifications(info: Info, input: list[CertificationInput]) -> BatchPayload:
    records = [
        certification_service.CertificationRecord(code=item.code, title=item.title, level=item.level)
        for item in batch_of(info.context, input)
    ]
    result = await certification_service.register_certifications(info.context.db, records)
    return BatchPayload.from_result(result)
