"""Who calls the hub: the roles of API clients and the orientation portals.

One source for each: the database's check constraints (app/models), the GraphQL enums
(graphql_schema/types/enums.py) and the code all read these (tests/test_enums.py)."""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class Role(StrEnum):
    VENDOR = "VENDOR"  # éditeur de logiciel de gestion de CFA
    PORTAL = "PORTAL"  # Parcoursup, Affelnet
    ADVISER = "ADVISER"  # conseiller (SPE, mission locale)
    PILOT = "PILOT"  # pilotage (État, région)
    ADMIN = "ADMIN"


class Portal(StrEnum):
    PARCOURSUP = "PARCOURSUP"
    AFFELNET = "AFFELNET"


# What a client of each role holds besides its role (a new role is placed in these sets).
WITH_PORTAL = frozenset({Role.PORTAL})  # names its portal, and only these roles do
WITH_TERRITORY = frozenset({Role.ADVISER, Role.PILOT})  # may be limited to departments (PILOT: else national)
NEEDS_TERRITORY = frozenset({Role.ADVISER})  # must be


class ClientProblem(NamedTuple):
    field: str
    reason: str
    message: str


def client_problem(role: Role, *, has_portal: bool, has_territory: bool) -> ClientProblem | None:
    """What is wrong with a client of ``role`` that names a portal or not, a territory or not."""
    if role in WITH_PORTAL and not has_portal:
        return ClientProblem("portal", "PORTAL_REQUIRED", f"portal: a {role} client names its portal (PARCOURSUP or AFFELNET)")
    if role not in WITH_PORTAL and has_portal:
        return ClientProblem("portal", "PORTAL_NOT_ALLOWED", "portal: only PORTAL clients have a portal")
    if has_territory and role not in WITH_TERRITORY:
        return ClientProblem("departments", "TERRITORY_NOT_ALLOWED",
                             f"departments/regions: a {role} client has no territory (only ADVISER and PILOT)")
    if role in NEEDS_TERRITORY and not has_territory:
        return ClientProblem("departments", "TERRITORY_REQUIRED", f"departments/regions: an {role} client needs a territory")
    return None
