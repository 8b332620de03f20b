"""Authentication: bearer keys, their storage, revocation; roles on root fields."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.auth import bearer_token
from app.domain.actors import Role
from app.security import KEY_PREFIX, hash_api_key
from tests.factories import new_client

ME = "{ me { id name role portal departments createdAt } }"


async def test_a_valid_key_identifies_its_client(gql, database):
    row, key = await new_client(database, Role.PORTAL, name="Parcoursup", portal="PARCOURSUP")
    me = (await gql.data(ME, key=key))["me"]
    assert me["id"] == str(row.id)
    assert (me["name"], me["role"], me["portal"], me["departments"]) == ("Parcoursup", "PORTAL", "PARCOURSUP", None)


async def test_keys_have_a_prefix_and_256_random_bits(database):
    _, key = await new_client(database, Role.PILOT)
    assert key.startswith(KEY_PREFIX)
    assert len(key) - len(KEY_PREFIX) >= 43  # 32 bytes in url-safe base64


async def test_only_a_keyed_hash_of_the_key_is_stored(database, connection):
    row, key = await new_client(database, Role.PILOT)
    stored = (await connection.execute(
        text("SELECT key_hash, hint FROM api_key WHERE client_id = :id"), {"id": row.id}
    )).one()
    assert stored.key_hash == hash_api_key("dev-key-pepper-not-secret", key)
    assert stored.hint == key[:8]
    dump = (await connection.execute(text("SELECT string_agg(t::text, ' ') FROM api_key t"))).scalar()
    assert key not in dump and key[8:] not in dump


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer hub_unknownunknownunknownunknownunknownunknown1", "Basic abc", "hub_x"],
)
async def test_missing_or_unknown_keys_are_unauthenticated(gql, http, header):
    headers = {"Authorization": header} if header is not None else {}
    response = await http.post("/graphql", json={"query": ME, "variables": {}}, headers=headers)
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_revoked_client_is_refused_on_the_next_request(gql, database, admin):
    row, key = await new_client(database, Role.VENDOR)
    assert (await gql.data(ME, key=key))["me"]["role"] == "VENDOR"
    revoked = await gql.data(
        "mutation($id: ID!) { revokeClient(id: $id) { id revokedAt } }", {"id": str(row.id)}, key=admin.key
    )
    assert revoked["revokeClient"]["revokedAt"] is not None
    error = await gql.error(ME, key=key)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_revoking_an_unknown_client_is_bad_input(gql, admin):
    for bad in ["00000000-0000-0000-0000-000000000000", "not-a-uuid"]:
        error = await gql.error("mutation($id: ID!) { revokeClient(id: $id) { id } }", {"id": bad}, key=admin.key)
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "id", "reason": "UNKNOWN_CLIENT"}


@pytest.mark.parametrize(
    ("authorization", "token"),
    [("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Token abc", None), ("Bearer ", None), (None, None)],
)
def test_bearer_token_parsing(authorization, token):
    assert bearer_token(authorization) == token


ROLE_FIELDS = {
    # field (with minimal selection) → roles allowed
    "{ wishes { totalCount } }": {"PORTAL"},
    "{ myRejections { totalCount } }": {"VENDOR", "PORTAL"},
    "{ atRiskYouths { totalCount } }": {"ADVISER", "ADMIN"},
    "{ headcounts(groupBy: NATIONAL) { key } }": {"PILOT", "ADMIN"},
    "{ wishOutcomeSummary { count } }": {"PORTAL", "PILOT"},
    'mutation { registerCfa(uai: "0751234J", name: "x", departmentCode: "75") { uai } }': {"ADMIN"},
    'mutation { createClient(name: "x", role: PILOT) { apiKey } }': {"ADMIN"},
    "mutation { recordSteps(input: []) { accepted } }": {"VENDOR"},
    "mutation { submitWishes(input: []) { accepted } }": {"PORTAL"},
}


@pytest.mark.parametrize("role", [role for role in Role])
async def test_fields_outside_the_role_answer_forbidden(gql, database, role):
    _, key = await new_client(database, role, departments=["75"] if role == Role.ADVISER else None)
    for query, allowed in ROLE_FIELDS.items():
        body = await gql(query, key=key)
        codes = {error["extensions"]["code"] for error in body.get("errors", [])}
        if role.value in allowed:
            assert "FORBIDDEN" not in codes, (query, body)
        else:
            assert codes == {"FORBIDDEN"}, (query, body)


async def test_keys_expire_after_their_lifetime(gql, database, connection):
    row, key = await new_client(database, Role.PILOT)
    expires = (await connection.execute(text(
        "SELECT expires_at - created_at FROM api_key WHERE client_id = :id"), {"id": row.id})).scalar_one()
    assert abs(expires.total_seconds() - 365 * 86400) < 60  # HUB_KEY_LIFETIME_DAYS
    assert (await gql.data(ME, key=key))["me"]["id"] == str(row.id)
    await connection.execute(text("UPDATE api_key SET expires_at = now() - interval '1 second' WHERE client_id = :id"), {"id": row.id})
    assert (await gql.error(ME, key=key))["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_client_rotates_with_two_usable_keys_at_most(gql, database, connection):
    from app.services import clients

    row, first = await new_client(database, Role.PILOT)
    db = database.session()
    second = await clients.issue_key(db, "dev-key-pepper-not-secret", row.id)
    await db.commit()
    await db.close()
    for key in (first, second):  # both work while the client switches
        assert (await gql.data(ME, key=key))["me"]["id"] == str(row.id)
    db = database.session()
    third = await clients.issue_key(db, "dev-key-pepper-not-secret", row.id)
    await db.commit()
    await db.close()
    assert (await gql.error(ME, key=first))["extensions"]["code"] == "UNAUTHENTICATED"  # the oldest went
    for key in (second, third):
        assert (await gql.data(ME, key=key))["me"]["id"] == str(row.id)
    usable = (await connection.execute(text(
        "SELECT count(*) FROM api_key WHERE client_id = :id AND revoked_at IS NULL"), {"id": row.id})).scalar_one()
    assert usable == 2


async def test_the_last_use_of_a_key_is_recorded(gql, database, connection):
    row, key = await new_client(database, Role.PILOT)
    used = "SELECT last_used_at FROM api_key WHERE client_id = :id"
    assert (await connection.execute(text(used), {"id": row.id})).scalar_one() is None
    await gql.data(ME, key=key)
    assert (await connection.execute(text(used), {"id": row.id})).scalar_one() is not None
