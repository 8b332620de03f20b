"""Plain async factories writing through the services, inside the test's transaction."""

from __future__ import annotations

from typing import Any

from app.auth import Principal
from app.db import Database
from app.domain.actors import Portal, Role
from app.services import cfas, clients


async def new_client(
    database: Database,
    role: Role | str,
    *,
    name: str | None = None,
    portal: Portal | str | None = None,
    departments: list[str] | None = None,
    regions: list[str] | None = None,
) -> tuple[Any, str]:
    """A client and its API key."""
    role = Role(role)
    if role == Role.PORTAL and portal is None:
        portal = Portal.PARCOURSUP
    db = database.session()
    try:
        created = await clients.create_client(
            db,
            "dev-key-pepper-not-secret",
            name=name or f"test {role.value.lower()}",
            role=role,
            portal=Portal(portal) if portal else None,
            departments=departments,
            regions=regions,
        )
        await db.commit()
    finally:
        await db.close()
    return created.client, created.api_key


async def new_cfa(
    database: Database,
    uai: str = "0751234J",
    *,
    name: str = "CFA de test",
    department: str = "75",
    siret: str | None = None,
    consent: bool | None = None,
    vendors: list[Any] | None = None,
    admin: Principal | None = None,
) -> Any:
    db = database.session()
    try:
        row = await cfas.register_cfa(db, uai=uai, siret=siret, name=name, department_code=department)
        if consent is not None:
            assert admin is not None, "consent needs the admin principal who records it"
            row = await cfas.set_consent(
                db, admin, uai=uai, given=consent,
                vendor_client_ids=[str(v) for v in vendors] if vendors is not None else None,
            )
        await db.commit()
    finally:
        await db.close()
    return row


async def consenting_vendor(database: Database, pepper: str, uai: str = "0751234J", department: str = "75") -> Any:
    """An ADMIN, a VENDOR and one CFA that consented and authorised it, committed: for tests that
    run a hub of their own (real transactions, other processes). Returns the vendor (NewClient)."""
    db = database.session()
    try:
        admin = await clients.create_client(db, pepper, name="admin", role=Role.ADMIN)
        vendor = await clients.create_client(db, pepper, name="vendor", role=Role.VENDOR)
        principal = Principal(admin.client.id, "admin", Role.ADMIN, None, None, admin.client.created_at, admin.client.id)
        await cfas.register_cfa(db, uai=uai, siret=None, name="CFA", department_code=department)
        await cfas.set_consent(db, principal, uai=uai, given=True, vendor_client_ids=[str(vendor.client.id)])
        await db.commit()
    finally:
        await db.close()
    return vendor
