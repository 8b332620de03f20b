"""What a client of each role holds besides its role (app/domain/actors.py): every role with
and without a portal, with and without a territory."""

import pytest

from app.domain.actors import Role, client_problem

OK = None


@pytest.mark.parametrize(("role", "portal", "territory", "reason"), [
    (Role.VENDOR, False, False, OK),
    (Role.VENDOR, True, False, "PORTAL_NOT_ALLOWED"),
    (Role.VENDOR, False, True, "TERRITORY_NOT_ALLOWED"),
    (Role.VENDOR, True, True, "PORTAL_NOT_ALLOWED"),  # the portal is named first
    (Role.PORTAL, True, False, OK),
    (Role.PORTAL, False, False, "PORTAL_REQUIRED"),
    (Role.PORTAL, True, True, "TERRITORY_NOT_ALLOWED"),
    (Role.PORTAL, False, True, "PORTAL_REQUIRED"),
    (Role.ADVISER, False, True, OK),
    (Role.ADVISER, False, False, "TERRITORY_REQUIRED"),
    (Role.ADVISER, True, True, "PORTAL_NOT_ALLOWED"),
    (Role.PILOT, False, False, OK),  # national
    (Role.PILOT, False, True, OK),  # regional
    (Role.PILOT, True, False, "PORTAL_NOT_ALLOWED"),
    (Role.ADMIN, False, False, OK),
    (Role.ADMIN, False, True, "TERRITORY_NOT_ALLOWED"),
    (Role.ADMIN, True, False, "PORTAL_NOT_ALLOWED"),
])
def test_a_clients_portal_and_territory_go_with_its_role(role, portal, territory, reason):
    problem = client_problem(role, has_portal=portal, has_territory=territory)
    assert (problem and problem.reason) == reason
    if problem is not None:
        assert problem.field == ("portal" if reason.startswith("PORTAL") else "departments")
        assert problem.message.startswith(f"{problem.field if problem.field == 'portal' else 'departments/regions'}: ")


def test_the_messages_name_the_role():
    assert client_problem(Role.PORTAL, has_portal=False, has_territory=False).message == (
        "portal: a PORTAL client names its portal (PARCOURSUP or AFFELNET)")
    assert client_problem(Role.ADVISER, has_portal=False, has_territory=False).message == (
        "departments/regions: an ADVISER client needs a territory")
    assert client_problem(Role.VENDOR, has_portal=False, has_territory=True).message == (
        "departments/regions: a VENDOR client has no territory (only ADVISER and PILOT)")
    assert client_problem(Role.ADMIN, has_portal=True, has_territory=False).message == (
        "portal: only PORTAL clients have a portal")
