"""Who may do what: one table for every root field of the GraphQL API and every keyed HTTP
endpoint, by role. Deny by default: what is not in the table is nobody's.

The GraphQL permission (graphql_schema/permissions.py) and the HTTP endpoints (app/exports.py)
read it; tests/test_policy.py checks that every root field and every keyed route has its line,
that the table names nothing else, and that each field's description names the same roles.
Which rows a role then sees is the repositories' business (its scope), not this table's.

Adding a role: the enum (app/domain/actors.py), its column here, its scope rules, one migration
for the database's check constraint.
"""

from __future__ import annotations

from app.domain.actors import Role

VENDOR, PORTAL, ADVISER, PILOT, ADMIN = Role.VENDOR, Role.PORTAL, Role.ADVISER, Role.PILOT, Role.ADMIN
EVERY_ROLE = frozenset(Role)

ACCESS: dict[str, frozenset[Role]] = {
    # reads
    "Query.me": EVERY_ROLE,
    "Query.cfa": EVERY_ROLE,
    "Query.cfas": EVERY_ROLE,
    "Query.certification": EVERY_ROLE,
    "Query.offers": EVERY_ROLE,
    "Query.youth": frozenset({ADMIN}),
    "Query.wishes": frozenset({PORTAL}),
    "Query.wish": frozenset({PORTAL}),
    "Query.wishOutcomeSummary": frozenset({PORTAL, PILOT}),
    "Query.myRejections": frozenset({VENDOR, PORTAL}),
    "Query.atRiskYouths": frozenset({ADVISER, ADMIN}),
    "Query.headcounts": frozenset({PILOT, ADMIN}),
    "Query.headcountSeries": frozenset({PILOT, ADMIN}),
    "Query.wishConversion": frozenset({PILOT, ADMIN}),
    "Query.transmissionCoverage": frozenset({PILOT, ADMIN}),
    # writes
    "Mutation.recordSteps": frozenset({VENDOR}),
    "Mutation.upsertOffers": frozenset({VENDOR}),
    "Mutation.submitWishes": frozenset({PORTAL}),
    "Mutation.reviseCapacity": frozenset({ADMIN}),
    "Mutation.registerCertifications": frozenset({ADMIN}),
    "Mutation.registerCfa": frozenset({ADMIN}),
    "Mutation.setCfaConsent": frozenset({ADMIN}),
    "Mutation.createClient": frozenset({ADMIN}),
    "Mutation.revokeClient": frozenset({ADMIN}),
    "Mutation.eraseYouth": frozenset({ADMIN}),
    # keyed HTTP endpoints
    "GET /exports/wishes.csv": frozenset({PORTAL}),
    "GET /exports/at-risk.csv": frozenset({ADVISER, ADMIN}),
    "GET /exports/headcounts.csv": frozenset({PILOT, ADMIN}),
    "GET /exports/conversion.csv": frozenset({PILOT, ADMIN}),
    "POST /imports/offers": frozenset({VENDOR}),
}


def roles_for(action: str) -> frozenset[Role]:
    """The roles that may do ``action`` ("Type.field" or "METHOD /path"); none when unknown."""
    return ACCESS.get(action, frozenset())


def describe(roles: frozenset[Role]) -> str:
    """The roles for an error message, in the enum's order: "PILOT, ADMIN"."""
    return ", ".join(role.value for role in Role if role in roles)
