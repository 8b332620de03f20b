"""API clients: creation with a scope checked against the reference data, keys, revocation."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row

from app.db import RequestSession
from app.domain.actors import Portal, Role, client_problem
from app.errors import BadInput
from app.repositories.clients import ClientRepository
from app.repositories.reference import ReferenceRepository
from app.security import hash_api_key, key_hint, new_api_key
from app.services.arguments import departments_argument


@dataclass(frozen=True)
class NewClient:
    client: Row[Any]
    api_key: str


async def _territory(
    db: RequestSession, departments: Sequence[str] | None, regions: Sequence[str] | None
) -> list[str] | None:
    """Departments given, plus those of the regions given; None when neither (national)."""
    if departments is None and regions is None:
        return None
    reference = ReferenceRepository(db)
    codes = departments_argument(departments or [], "departments")
    known = {row.code for row in await reference.departments_by_codes(sorted(codes))}
    unknown = sorted(codes - known)
    if unknown:
        raise BadInput(
            f"departments: unknown department code(s) {', '.join(unknown)}",
            field="departments",
            reason="UNKNOWN_DEPARTMENT",
        )
    region_codes = sorted({code.strip() for code in regions or []})
    if region_codes:
        found = {row.code for row in await reference.regions_by_codes(region_codes)}
        missing = [code for code in region_codes if code not in found]
        if missing:
            raise BadInput(
                f"regions: unknown region code(s) {', '.join(missing)}",
                field="regions",
                reason="UNKNOWN_REGION",
            )
        codes.update(await reference.department_codes_of_regions(region_codes))
    if not codes:
        raise BadInput(
            "departments/regions: an empty territory gives access to nothing; omit both for "
            "a national scope",
            field="departments",
            reason="EMPTY_TERRITORY",
        )
    return sorted(codes)


async def create_client(
    db: RequestSession,
    pepper: str,
    *,
    name: str,
    role: Role,
    portal: Portal | None = None,
    departments: Sequence[str] | None = None,
    regions: Sequence[str] | None = None,
    key_lifetime_days: int = 365,
) -> NewClient:
    name = name.strip()
    if not name or len(name) > 200:
        raise BadInput("name: 1 to 200 characters", field="name", reason="INVALID_NAME")
    problem = client_problem(role, has_portal=portal is not None, has_territory=departments is not None or regions is not None)
    if problem is not None:
        raise BadInput(problem.message, field=problem.field, reason=problem.reason)
    territory = await _territory(db, departments, regions)
    repository = ClientRepository(db)
    client = await repository.insert_client(
        name=name, role=str(role), portal=str(portal) if portal else None, departments=territory
    )
    api_key = new_api_key()
    await repository.insert_key(client.id, hash_api_key(pepper, api_key), key_hint(api_key), key_lifetime_days)
    return NewClient(client, api_key)


MAX_ACTIVE_KEYS = 2  # the current key and the next one, while a client rotates


async def rotate_key(db: RequestSession, pepper: str, client_id: uuid.UUID, lifetime_days: int = 365) -> str | None:
    """A new key for an active client (:func:`issue_key`); None when no active client has this id."""
    rows = await ClientRepository(db).by_ids([client_id])
    if not rows or rows[0].revoked_at is not None:
        return None
    return await issue_key(db, pepper, client_id, lifetime_days)


async def issue_key(db: RequestSession, pepper: str, client_id: uuid.UUID, lifetime_days: int = 365) -> str:
    """A new key for the client (shown once). It keeps at most two usable keys: issuing a third
    revokes the oldest, so rotating is issue, switch, issue again or revoke."""
    repository = ClientRepository(db)
    active = await repository.active_keys(client_id)
    for old in active[: max(len(active) - MAX_ACTIVE_KEYS + 1, 0)]:
        await repository.revoke_key(old.id)
    api_key = new_api_key()
    await repository.insert_key(client_id, hash_api_key(pepper, api_key), key_hint(api_key), lifetime_days)
    return api_key


async def revoke_client(db: RequestSession, client_id: uuid.UUID) -> Row[Any]:
    """Revoke a client and its keys; never the last ADMIN (nobody could administer the hub but
    through ``hub clients create --role ADMIN``). The ADMINs are locked first, so that two
    ADMINs revoking each other at once cannot both succeed."""
    repository = ClientRepository(db)
    admins = await repository.lock_active_admins()
    if admins == [client_id]:
        raise BadInput("id: this is the last ADMIN: create another ADMIN before revoking it", field="id", reason="LAST_ADMIN")
    client = await repository.revoke_client(client_id)
    if client is None:
        raise BadInput("id: no client has this id", field="id", reason="UNKNOWN_CLIENT")
    await repository.revoke_keys(client_id)
    return client


async def list_clients(db: RequestSession) -> list[Row[Any]]:
    return await ClientRepository(db).all()


async def client_by_name(db: RequestSession, name: str) -> Row[Any] | None:
    return await ClientRepository(db).by_name(name)


async def note_write(db: RequestSession, client_id: uuid.UUID) -> None:
    """After a committed write, with a read replica: remember the WAL position the client's next
    reads must find replayed (read-your-writes), in a transaction of its own committed at once."""
    await ClientRepository(db).note_write(client_id)
    await db.commit()
