"""Who calls the hub: the roles of API clients and the orientation portals.

One source for each: the database's check constraints (app/models), the GraphQL enums
(graphql_schema/types/enums.py) and the code all read these (tests/test_enums.py)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    VENDOR = "VENDOR"  # éditeur de logiciel de gestion de CFA
    PORTAL = "PORTAL"  # Parcoursup, Affelnet
    ADVISER = "ADVISER"  # conseiller (SPE, mission locale)
    PILOT = "PILOT"  # pilotage (État, région)
    ADMIN = "ADMIN"


class Portal(StrEnum):
    PARCOURSUP = "PARCOURSUP"
    AFFELNET = "AFFELNET"
