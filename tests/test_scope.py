"""The scope of each role, as DOMAIN.md and the contract describe it: a table, role by role."""

from __future__ import annotations

import pytest

from app.domain.actors import Portal, Role
from app.domain.scope import NOWHERE, Scope

TERRITORY = frozenset({"75", "92"})

# role, portal, departments -> wishes_of_portal, wish_departments, risk_departments,
# headcount_departments, walled_to_departments, sees_ine, protected_counts
TABLE = [
    (Role.VENDOR, None, None, None, None, None, None, False, False, False),
    (Role.PORTAL, Portal.AFFELNET, None, Portal.AFFELNET, None, None, None, False, False, False),
    (Role.ADVISER, None, TERRITORY, None, None, TERRITORY, None, True, True, False),
    (Role.ADVISER, None, None, None, None, NOWHERE, None, True, True, False),
    (Role.PILOT, None, TERRITORY, None, TERRITORY, None, TERRITORY, False, False, True),
    (Role.PILOT, None, None, None, None, None, None, False, False, True),
    (Role.ADMIN, None, None, None, None, None, None, False, True, False),
    (Role.ADMIN, Portal.PARCOURSUP, TERRITORY, None, None, None, None, False, True, False),  # a territory gives an ADMIN nothing less
]


@pytest.mark.parametrize(("role", "portal", "departments", *[
    "wishes_of_portal", "wish_departments", "risk_departments", "headcount_departments", "walled_to_departments",
    "sees_ine", "protected_counts"]), TABLE)
def test_each_role_reads_its_own_scope(role, portal, departments, wishes_of_portal, wish_departments, risk_departments,
                                       headcount_departments, walled_to_departments, sees_ine, protected_counts):
    scope = Scope(role, portal, departments)
    assert (scope.wishes_of_portal, scope.wish_departments, scope.risk_departments, scope.headcount_departments,
            scope.walled_to_departments, scope.sees_ine, scope.protected_counts) == (
        wishes_of_portal, wish_departments, risk_departments, headcount_departments, walled_to_departments, sees_ine,
        protected_counts)


def test_every_role_is_in_the_table():
    assert {row[0] for row in TABLE} == set(Role)


def test_a_portal_scope_without_its_portal_is_refused():
    with pytest.raises(ValueError, match="belongs to a portal"):
        Scope(Role.PORTAL)


@pytest.mark.parametrize("role", list(Role))
def test_offers_enrolled_are_exact_for_the_admin_alone(role):
    scope = Scope(role, Portal.PARCOURSUP if role == Role.PORTAL else None)
    assert scope.protected_offer_counts is (role != Role.ADMIN)
