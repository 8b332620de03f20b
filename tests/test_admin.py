"""ADMIN operations: CFAs, consent, clients, certifications — and what bad input answers."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.domain.actors import Role
from tests.factories import new_client

REGISTER = """
mutation($uai: String!, $siret: String, $name: String!, $dep: String!) {
  registerCfa(uai: $uai, siret: $siret, name: $name, departmentCode: $dep) {
    uai siret name consentGiven department { code name } region { code name }
  }
}"""
CONSENT = """
mutation($uai: String!, $given: Boolean!, $vendors: [ID!]) {
  setCfaConsent(uai: $uai, given: $given, vendorClientIds: $vendors) { uai consentGiven }
}"""
CREATE = """
mutation($name: String!, $role: Role!, $portal: Portal, $deps: [String!], $regions: [String!]) {
  createClient(name: $name, role: $role, portal: $portal, departments: $deps, regions: $regions) {
    apiKey client { id name role portal departments createdAt }
  }
}"""
CERTIFY = """
mutation($input: [CertificationInput!]!) {
  registerCertifications(input: $input) { accepted unchanged rejected { index ref field code message } }
}"""


async def count(connection, table: str) -> int:
    return (await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()


async def test_register_cfa_normalises_and_stores(gql, admin):
    cfa = (await gql.data(
        REGISTER, {"uai": " 751234j", "siret": "732 829 320 00074", "name": " CFA Paris ", "dep": "75"}, key=admin.key
    ))["registerCfa"]
    assert cfa == {
        "uai": "0751234J", "siret": "73282932000074", "name": "CFA Paris", "consentGiven": False,
        "department": {"code": "75", "name": "Paris"}, "region": {"code": "11", "name": "Île-de-France"},
    }


async def test_register_cfa_again_updates_it(gql, admin, connection):
    await gql.data(REGISTER, {"uai": "6200002H", "name": "Old", "dep": "2A"}, key=admin.key)
    cfa = (await gql.data(REGISTER, {"uai": "6200002H", "name": "New", "dep": "2a"}, key=admin.key))["registerCfa"]
    assert (cfa["name"], cfa["department"]["code"], cfa["region"]["code"]) == ("New", "2A", "94")
    assert await count(connection, "cfa WHERE uai = '6200002H'") == 1


@pytest.mark.parametrize(
    ("variables", "field", "reason"),
    [
        ({"uai": "0751234A", "name": "x", "dep": "75"}, "uai", "INVALID_UAI"),
        ({"uai": "0751234J", "siret": "73282932000075", "name": "x", "dep": "75"}, "siret", "INVALID_SIRET"),
        ({"uai": "0751234J", "name": "x", "dep": "20"}, "departmentCode", "INVALID_DEPARTMENT"),
        ({"uai": "0751234J", "name": "x", "dep": "977"}, "departmentCode", "UNKNOWN_DEPARTMENT"),
        ({"uai": "0751234J", "name": "  ", "dep": "75"}, "name", "INVALID_NAME"),
    ],
)
async def test_register_cfa_bad_input_names_the_field_and_writes_nothing(gql, admin, connection, variables, field, reason):
    variables = {"siret": None, **variables}
    error = await gql.error(REGISTER, variables, key=admin.key)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field, "reason": reason}
    assert field in error["message"]
    assert await count(connection, "cfa") == 0


async def test_consent_authorises_vendors_and_keeps_a_history(gql, admin, database, connection):
    vendor, _ = await new_client(database, Role.VENDOR, name="Ymag")
    await gql.data(REGISTER, {"uai": "0751234J", "name": "CFA", "dep": "75"}, key=admin.key)
    given = await gql.data(CONSENT, {"uai": "0751234J", "given": True, "vendors": [str(vendor.id)]}, key=admin.key)
    assert given["setCfaConsent"] == {"uai": "0751234J", "consentGiven": True}
    withdrawn = await gql.data(CONSENT, {"uai": "0751234j", "given": False}, key=admin.key)
    assert withdrawn["setCfaConsent"]["consentGiven"] is False
    vendors = (await connection.execute(text("SELECT client_id FROM cfa_vendor WHERE uai = '0751234J'"))).scalars().all()
    assert vendors == [vendor.id]  # withdrawing without a list keeps the authorised vendors
    history = (await connection.execute(text(
        "SELECT given, vendor_client_ids, changed_by FROM cfa_consent_event WHERE uai = '0751234J' ORDER BY id"
    ))).all()
    assert [(h.given, h.vendor_client_ids, h.changed_by) for h in history] == [
        (True, [vendor.id], admin.row.id),
        (False, [vendor.id], admin.row.id),
    ]


async def test_consent_refuses_unknown_cfas_and_clients_that_are_not_vendors(gql, admin, database, connection):
    pilot, _ = await new_client(database, Role.PILOT)
    error = await gql.error(CONSENT, {"uai": "0751234J", "given": True}, key=admin.key)
    assert error["extensions"]["reason"] == "UNKNOWN_CFA"
    await gql.data(REGISTER, {"uai": "0751234J", "name": "CFA", "dep": "75"}, key=admin.key)
    for vendors, reason in [
        ([str(pilot.id)], "NOT_A_VENDOR"),
        (["00000000-0000-0000-0000-000000000001"], "UNKNOWN_CLIENT"),
        (["nope"], "UNKNOWN_CLIENT"),
    ]:
        error = await gql.error(CONSENT, {"uai": "0751234J", "given": True, "vendors": vendors}, key=admin.key)
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "vendorClientIds", "reason": reason}
    assert await count(connection, "cfa_consent_event") == 0
    assert (await connection.execute(text("SELECT consent_given FROM cfa"))).scalar_one() is False


async def test_create_client_expands_regions_to_departments(gql, admin):
    created = (await gql.data(
        CREATE, {"name": "Pilote Corse et Bretagne", "role": "PILOT", "regions": ["94", "53"], "deps": ["75"]}, key=admin.key
    ))["createClient"]
    assert created["client"]["departments"] == ["22", "29", "2A", "2B", "35", "56", "75"]
    me = (await gql.data("{ me { role departments } }", key=created["apiKey"]))["me"]
    assert me == {"role": "PILOT", "departments": ["22", "29", "2A", "2B", "35", "56", "75"]}


async def test_create_client_with_a_portal(gql, admin):
    created = (await gql.data(CREATE, {"name": "Affelnet", "role": "PORTAL", "portal": "AFFELNET"}, key=admin.key))["createClient"]
    assert (created["client"]["role"], created["client"]["portal"]) == ("PORTAL", "AFFELNET")
    assert created["apiKey"].startswith("hub_")


@pytest.mark.parametrize(
    ("variables", "field", "reason"),
    [
        ({"role": "PORTAL"}, "portal", "PORTAL_REQUIRED"),
        ({"role": "VENDOR", "portal": "AFFELNET"}, "portal", "PORTAL_NOT_ALLOWED"),
        ({"role": "ADVISER"}, "departments", "TERRITORY_REQUIRED"),
        ({"role": "VENDOR", "deps": ["75"]}, "departments", "TERRITORY_NOT_ALLOWED"),
        ({"role": "ADVISER", "deps": ["99"]}, "departments", "INVALID_DEPARTMENT"),
        ({"role": "ADVISER", "deps": ["975", "977"]}, "departments", "UNKNOWN_DEPARTMENT"),
        ({"role": "ADVISER", "regions": ["12"]}, "regions", "UNKNOWN_REGION"),
        ({"role": "PILOT", "deps": []}, "departments", "EMPTY_TERRITORY"),
    ],
)
async def test_create_client_bad_input_writes_nothing(gql, admin, connection, variables, field, reason):
    before = await count(connection, "api_client")
    error = await gql.error(CREATE, {"name": "x", **variables}, key=admin.key)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field, "reason": reason}
    assert await count(connection, "api_client") == before


async def test_create_client_with_an_unknown_role_is_bad_user_input(gql, admin):
    error = await gql.error(CREATE, {"name": "x", "role": "SUPERUSER"}, key=admin.key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "SUPERUSER" in error["message"]


async def test_register_certifications_stores_valid_and_reports_invalid(gql, admin, connection):
    payload = (await gql.data(CERTIFY, {"input": [
        {"code": "50022141", "title": "CAP Pâtissier", "level": 3},
        {"code": "rncp 35.185", "title": "Développeur web", "level": 5},
        {"code": "RNCP12", "title": "too short"},
        {"code": "32031210", "title": "  "},
        {"code": "32031210", "title": "BTS MCO", "level": 9},
        {"code": "500 221 41", "title": "again"},
    ]}, key=admin.key))["registerCertifications"]
    assert (payload["accepted"], payload["unchanged"]) == (2, 0)
    assert [(r["index"], r["ref"], r["field"], r["code"]) for r in payload["rejected"]] == [
        (2, "RNCP12", "code", "INVALID_CERTIFICATION"),
        (3, "32031210", "title", "INVALID_TITLE"),
        (4, "32031210", "level", "INVALID_LEVEL"),
        (5, "50022141", "code", "DUPLICATE_IN_BATCH"),
    ]
    rows = (await connection.execute(text("SELECT code, kind, title, level, verified FROM certification ORDER BY code"))).all()
    assert [tuple(r) for r in rows] == [
        ("50022141", "CFD", "CAP Pâtissier", 3, True),
        ("RNCP35185", "RNCP", "Développeur web", 5, True),
    ]
    cert = await gql.data('{ certification(code: "rncp35185") { code kind title level verified } }', key=admin.key)
    assert cert["certification"] == {"code": "RNCP35185", "kind": "RNCP", "title": "Développeur web", "level": 5, "verified": True}


async def test_register_certifications_replay_is_unchanged_and_a_change_is_accepted(gql, admin):
    records = [{"code": "50022141", "title": "CAP Pâtissier", "level": 3}, {"code": "RNCP35185", "title": "Dev", "level": 5}]
    await gql.data(CERTIFY, {"input": records}, key=admin.key)
    replay = (await gql.data(CERTIFY, {"input": records}, key=admin.key))["registerCertifications"]
    assert (replay["accepted"], replay["unchanged"], replay["rejected"]) == (0, 2, [])
    records[1]["title"] = "Développeur web et web mobile"
    changed = (await gql.data(CERTIFY, {"input": records}, key=admin.key))["registerCertifications"]
    assert (changed["accepted"], changed["unchanged"]) == (1, 1)


async def test_register_certifications_over_the_batch_limit_stores_nothing(gql, admin, connection):
    records = [{"code": f"RNCP{10000 + i}", "title": "t"} for i in range(2001)]
    error = await gql.error(CERTIFY, {"input": records}, key=admin.key)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "input", "reason": "BATCH_SIZE"}
    assert await count(connection, "certification") == 0
    empty = await gql.error(CERTIFY, {"input": []}, key=admin.key)
    assert empty["extensions"]["reason"] == "BATCH_SIZE"


REVOKE = "mutation($id: ID!) { revokeClient(id: $id) { id revokedAt } }"


async def test_the_last_admin_can_neither_revoke_itself_nor_be_revoked(gql, database, admin):
    error = await gql.error(REVOKE, {"id": str(admin.row.id)}, key=admin.key)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "id", "reason": "LAST_ADMIN"}
    second, second_key = await new_client(database, Role.ADMIN, name="second admin")
    assert (await gql.data(REVOKE, {"id": str(second.id)}, key=admin.key))["revokeClient"]["revokedAt"]
    error = await gql.error(REVOKE, {"id": str(admin.row.id)}, key=admin.key)  # the last one again
    assert error["extensions"]["reason"] == "LAST_ADMIN"
    assert (await gql.data("{ me { name } }", key=admin.key))["me"]["name"] == "test admin"
    third, _ = await new_client(database, Role.ADMIN, name="third admin")
    assert (await gql.data(REVOKE, {"id": str(admin.row.id)}, key=admin.key))["revokeClient"]["revokedAt"]  # itself: not the last


async def test_two_admins_revoking_each_other_at_once_leave_one(own_database):
    """Real transactions: each locks the ADMINs before counting them, so one of the two waits and
    then finds itself the last."""
    import asyncio

    import httpx

    from app.main import create_app
    from app.services import clients

    settings, database = await own_database()
    db = database.session()
    pepper = settings.key_pepper.get_secret_value()
    a = await clients.create_client(db, pepper, name="a", role=Role.ADMIN)
    b = await clients.create_client(db, pepper, name="b", role=Role.ADMIN)
    await db.commit()
    await db.close()
    app = create_app(settings, database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as http:
        answers = await asyncio.gather(*(
            http.post("/graphql", json={"query": REVOKE, "variables": {"id": str(target.client.id)}},
                      headers={"Authorization": f"Bearer {caller.api_key}"})
            for caller, target in ((a, b), (b, a))
        ))
    bodies = [answer.json() for answer in answers]
    assert sorted("errors" in body for body in bodies) == [False, True], bodies
    # the other was refused as the last ADMIN, or (when it came after) its key no longer worked
    assert [e["extensions"].get("reason", e["extensions"]["code"]) for body in bodies for e in body.get("errors", [])] in (
        ["LAST_ADMIN"], ["UNAUTHENTICATED"]), bodies
    assert await active_admins(database) == 1

    # the race itself, in two transactions: the second waits for the first's lock
    c = await clients.create_client(first := database.session(), pepper, name="c", role=Role.ADMIN)
    await first.commit()
    survivor = b if "errors" not in bodies[1] else a  # bodies[1]: b revoking a
    await clients.revoke_client(first, c.client.id)  # locks the ADMINs, not committed yet
    second = database.session()
    racing = asyncio.ensure_future(clients.revoke_client(second, survivor.client.id))
    await asyncio.sleep(0.3)
    assert not racing.done()  # waiting for the first's locks
    await first.commit()
    with pytest.raises(Exception, match="last ADMIN"):
        await racing
    await second.rollback()
    await first.close()
    await second.close()
    assert await active_admins(database) == 1


async def active_admins(database) -> int:
    async with database.engine.connect() as connection:
        return (await connection.execute(text(
            "SELECT count(*) FROM api_client WHERE role = 'ADMIN' AND revoked_at IS NULL"))).scalar_one()
