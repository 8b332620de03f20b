"""CFAs: registration, consent and authorised vendors, listing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row

from app.auth import Principal
from app.db import RequestSession
from app.domain.actors import Role
from app.domain.identifiers import Invalid, check_siret
from app.errors import BadInput
from app.repositories.cfas import KEEP, CfaRepository
from app.repositories.clients import ClientRepository
from app.repositories.reference import ReferenceRepository
from app.services.arguments import department_argument, uai_argument
from app.services.pagination import Page, page_of, position
from app.settings import Settings

CFA_CURSOR = "cfa"



async def register_cfa(
    db: RequestSession, *, uai: str, siret: str | None, name: str, department_code: str,
    responsible_uai: str | None = None, settings: Settings | None = None,
) -> Row[Any]:
    """Create the CFA, or update its SIRET, name and department if the UAI is known.
    ``responsible_uai``: its organisme responsable (a registered CFA that is its own), "" for
    none, None to keep it as it is (none for a new CFA). A formateur that made no consent
    decision of its own follows its responsible's: the youths who wished it are derived again
    when that changes its consent."""
    normalised_uai = uai_argument(uai, "uai")
    normalised_siret = None
    if siret is not None and siret.strip():
        checked = check_siret(siret)
        if isinstance(checked, Invalid):
            raise BadInput(f"siret: {checked.message}", field="siret", reason=checked.code)
        normalised_siret = checked
    name = name.strip()
    if not name or len(name) > 300:
        raise BadInput("name: 1 to 300 characters", field="name", reason="INVALID_NAME")
    department = department_argument(department_code, "departmentCode")
    if not await ReferenceRepository(db).departments_by_codes([department]):
        raise BadInput(
            f"departmentCode: unknown department code {department}",
            field="departmentCode",
            reason="UNKNOWN_DEPARTMENT",
        )
    repository = CfaRepository(db)
    responsible: object = KEEP
    if responsible_uai is not None:
        responsible = await _responsible(repository, normalised_uai, responsible_uai)
    before = await repository.by_uais([normalised_uai])
    row = await repository.upsert(uai=normalised_uai, siret=normalised_siret, name=name, department_code=department,
                                  responsible_uai=responsible)
    if before and before[0].department_code != department:
        # The youths whose territory is this CFA follow it to its new department (advisers' scope).
        await repository.move_territory(normalised_uai, department)
        await repository.rebuild_department_changes([before[0].department_code, department])
    if responsible is not KEEP and await repository.follow_decisions([normalised_uai]):
        await _derive_wishers(db, settings or Settings(), [normalised_uai])
        row = (await repository.by_uais([normalised_uai]))[0]
    return row


async def _responsible(repository: CfaRepository, uai: str, responsible_uai: str) -> str | None:
    """The checked organisme responsable of CFA ``uai`` ("": none): registered, not the CFA
    itself, its own (one level: a responsible has no responsible), and ``uai`` not a
    responsible of others."""
    if not responsible_uai.strip():
        return None
    responsible = uai_argument(responsible_uai, "responsibleUai")
    if responsible == uai:
        raise BadInput("responsibleUai: a CFA is not its own responsible (leave it out, or \"\" for none)",
                       field="responsibleUai", reason="RESPONSIBLE_IS_SELF")
    found = await repository.by_uais([responsible])
    if not found:
        raise BadInput("responsibleUai: no CFA is registered with this UAI", field="responsibleUai", reason="UNKNOWN_CFA")
    if found[0].responsible_uai is not None:
        raise BadInput(f"responsibleUai: {responsible} is itself a formateur under {found[0].responsible_uai}",
                       field="responsibleUai", reason="RESPONSIBLE_IS_FORMATEUR")
    if await repository.formateurs_of(uai):
        raise BadInput(f"responsibleUai: {uai} is the responsible of other CFAs and stays its own",
                       field="responsibleUai", reason="CFA_IS_RESPONSIBLE")
    return responsible


async def set_consent(
    db: RequestSession,
    principal: Principal,
    *,
    uai: str,
    given: bool,
    vendor_client_ids: Sequence[str] | None,
    settings: Settings | None = None,
) -> Row[Any]:
    """Record the CFA's consent; a list of vendors replaces the authorised ones, None keeps them.
    The youths who wished this CFA are derived again: a wish to a CFA that did not consent is
    never WISH_NOT_HANDLED (nobody could have told)."""
    normalised_uai = uai_argument(uai, "uai")
    cfas = CfaRepository(db)
    vendor_ids: list[uuid.UUID] | None = None
    if vendor_client_ids is not None:
        vendor_ids = []
        for raw in vendor_client_ids:
            try:
                vendor_ids.append(uuid.UUID(str(raw)))
            except ValueError:
                raise BadInput(
                    "vendorClientIds: not a client id", field="vendorClientIds", reason="UNKNOWN_CLIENT"
                ) from None
        vendor_ids = sorted(set(vendor_ids))
        clients = {row.id: row for row in await ClientRepository(db).by_ids(vendor_ids)}
        for vendor_id in vendor_ids:
            client = clients.get(vendor_id)
            if client is None:
                raise BadInput(
                    f"vendorClientIds: no client has id {vendor_id}",
                    field="vendorClientIds",
                    reason="UNKNOWN_CLIENT",
                )
            if client.role != Role.VENDOR or client.revoked_at is not None:
                raise BadInput(
                    f"vendorClientIds: client {vendor_id} is not an active VENDOR",
                    field="vendorClientIds",
                    reason="NOT_A_VENDOR",
                )
    cfa = await cfas.set_consent(normalised_uai, given)
    if cfa is None:
        raise BadInput("uai: no CFA is registered with this UAI", field="uai", reason="UNKNOWN_CFA")
    if vendor_ids is not None:
        await cfas.replace_vendors(normalised_uai, vendor_ids)
    else:
        vendor_ids = await cfas.vendor_ids(normalised_uai)
    # its formateurs without a decision of their own follow it (their history says so too)
    following = await cfas.follow_decisions(await cfas.formateurs_of(normalised_uai))
    await cfas.record_consent_events([normalised_uai, *following], given, vendor_ids, principal.client_id)
    await _derive_wishers(db, settings or Settings(), [normalised_uai, *following])
    return cfa


async def _derive_wishers(db: RequestSession, settings: Settings, uais: Sequence[str]) -> None:
    """The youths who wished these CFAs, derived again once (their consent changed)."""
    from app.services.derivation import rederive

    await rederive(db, settings, await CfaRepository(db).youths_who_wished(uais), with_outcomes=False)


async def cfa_page(db: RequestSession, first: int, after: str | None) -> Page:
    repository = CfaRepository(db)
    rows = await repository.page(position(CFA_CURSOR, after, str), first + 1)
    return page_of(rows, first, CFA_CURSOR, lambda row: (row.uai,), await repository.count())
