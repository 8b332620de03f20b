"""What comes in before anything runs: bodies read whole, bounded and on time before the
database is touched (app/bodies.py); requests without a valid key limited by address before the
database is touched; a request's cost charged to its client; records counted per request, bulk
calls together (app/admission.py)."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from app.domain.actors import Role
from app.main import create_app
from app.services import clients
from tests.factories import new_cfa, new_client

CSV = "offer_ref;uai;certification;departement;capacite\nO-1;0751234J;50022141;75;12\n"


async def trickle(chunks: int, pause: float, pulled: list[int] | None = None, size: int = 16):
    for i in range(chunks):
        if pulled is not None:
            pulled.append(i)
        yield (b"x" * size) if i else b"offer_ref;uai\n"
        await asyncio.sleep(pause)


@pytest.fixture
async def own_hub(own_database):
    """A hub on a database of its own with a real pool of 2 (+2) connections, an ADMIN and a
    VENDOR: the slow bodies must not take the pool from anybody."""
    settings, database = await own_database(db_pool_size=2, body_timeout_s=1.0, body_min_bytes_per_s=10_000)
    db = database.session()
    pepper = settings.key_pepper.get_secret_value()
    admin = await clients.create_client(db, pepper, name="admin", role=Role.ADMIN)
    vendor = await clients.create_client(db, pepper, name="vendor", role=Role.VENDOR)
    await db.commit()
    await db.close()
    return create_app(settings, database), admin.api_key, vendor.api_key


async def test_trickling_bodies_hold_no_connection_and_are_cut(own_hub):
    app, admin, vendor = own_hub
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub", timeout=30) as http:
        slow = [
            asyncio.ensure_future(http.post("/imports/offers", content=trickle(100, 0.2),
                                            headers={"Authorization": f"Bearer {vendor}", "Content-Type": "text/csv"}))
            for _ in range(25)
        ]
        await asyncio.sleep(0.3)  # all of them are sending
        started = time.perf_counter()
        me = await http.post("/graphql", json={"query": "{ me { name } }"}, headers={"Authorization": f"Bearer {admin}"})
        waited = time.perf_counter() - started
        assert me.json() == {"data": {"me": {"name": "admin"}}} and waited < 1.0, waited
        answers = await asyncio.gather(*slow)
    assert {(a.status_code, a.json()["errors"][0]["extensions"]["code"]) for a in answers} == {(408, "BODY_TOO_SLOW")}


async def test_a_slow_but_steady_upload_goes_through(own_hub, settings):
    app, _, vendor = own_hub
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub", timeout=30) as http:
        # 30 chunks of 4 KB over 1.5 s: past the 1 s of grace, but faster than 10,000 bytes a second
        answer = await http.post("/imports/offers", content=trickle(30, 0.05, size=4096),
                                 headers={"Authorization": f"Bearer {vendor}", "Content-Type": "text/csv"})
    # read whole, then judged by the import itself: a file with no usable header
    assert (answer.status_code, answer.json()["errors"][0]["extensions"].get("field")) == (400, "file"), answer.json()


async def test_a_chunked_body_is_refused_once_past_its_limit(settings, database, admin):
    app = create_app(settings.model_copy(update={"max_import_bytes": 64 * 1024}), database)
    pulled: list[int] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as http:
        answer = await http.post("/imports/offers", content=trickle(2_000, 0, pulled, size=16 * 1024),  # 32 MB offered
                                 headers={"Authorization": f"Bearer {admin.key}", "Content-Type": "text/csv"})
        assert (answer.status_code, answer.json()["errors"][0]["extensions"]["code"]) == (413, "PAYLOAD_TOO_LARGE")
        assert len(pulled) <= 6  # 64 KB and one chunk more were read, not the 32 MB
        declared = await http.post("/imports/offers", content=b"x" * (65 * 1024), headers={"Content-Type": "text/csv"})
        assert (declared.status_code, declared.json()["errors"][0]["extensions"]["code"]) == (413, "PAYLOAD_TOO_LARGE")


@pytest.mark.parametrize("body", [b"null", b"42", b'"x"', b"true", b"  [1]", b"{", b""])
async def test_a_graphql_body_that_is_not_one_object_is_a_coded_400(http, admin, body):
    answer = await http.post("/graphql", content=body, headers={"Authorization": f"Bearer {admin.key}",
                                                                 "Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["extensions"]["code"] in {"BAD_REQUEST", "BATCHING_NOT_SUPPORTED"}


async def test_requests_without_a_valid_key_are_limited_by_address_before_the_database(settings, database, admin, queries):
    limited = settings.model_copy(update={"anonymous_burst": 3, "anonymous_rate_per_second": 0.01})
    app = create_app(limited, database)
    made_up = "hub_" + "A" * 43
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as http:
        # a valid key seen before the flood, then the flood: none, then made-up keys
        assert (await http.post("/graphql", json={"query": "{ me { name } }"},
                                headers={"Authorization": f"Bearer {admin.key}"})).status_code == 200
        statuses, statements = [], []
        for headers in [{}] * 2 + [{"Authorization": f"Bearer {made_up}"}] * 4 + [{"Authorization": "Bearer nonsense"}]:
            queries.reset()
            answer = await http.post("/graphql", json={"query": "{ me { name } }"}, headers=headers)
            statuses.append(answer.status_code)
            statements.append(queries.count)
        # 3 tokens: 2 anonymous, 1 made-up key; then one look-up of an unknown key a second
        assert statuses == [200, 200, 200, 200, 429, 429, 429]
        assert statements == [0, 0, 1, 1, 0, 0, 0]  # a made-up key: one look-up; the refused: nothing
        refused = await http.get("/exports/wishes.csv", headers={"Authorization": f"Bearer {made_up}"})
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        # the valid key this process admitted still comes in from the flooded address
        fine = await http.post("/graphql", json={"query": "{ me { name } }"}, headers={"Authorization": f"Bearer {admin.key}"})
        assert fine.json() == {"data": {"me": {"name": "test admin"}}}
        # a valid key the process never saw gets in too, within a second, while the flood goes on
        _, newcomer = await new_client(database, Role.PILOT, name="newcomer")
        await asyncio.sleep(1.05)
        seen = await http.post("/graphql", json={"query": "{ me { name } }"}, headers={"Authorization": f"Bearer {newcomer}"})
        assert seen.json() == {"data": {"me": {"name": "newcomer"}}}
        for _ in range(3):  # and is known from then on
            assert (await http.post("/graphql", json={"query": "{ me { name } }"},
                                    headers={"Authorization": f"Bearer {newcomer}"})).status_code == 200
    other = create_app(limited, database)  # another address's bucket is its own (here: another process)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=other, client=("10.0.0.9", 123)), base_url="http://hub") as http:
        assert (await http.post("/graphql", json={"query": "{ me { name } }"})).status_code == 200


def test_ipv6_clients_share_their_64_bucket():
    from app.admission import client_address

    assert client_address({"client": ("2001:db8:1:2:3:4:5:6", 1)}) == "2001:db8:1:2::/64"
    assert client_address({"client": ("2001:db8:1:2::9", 1)}) == "2001:0db8:0001:0002::/64"
    assert client_address({"client": ("192.0.2.7", 1)}) == "192.0.2.7"
    assert client_address({"client": None}) == "unknown"


STEPS = "mutation($a: [StepInput!]!, $b: [StepInput!]!, $c: [StepInput!]!) {" \
        " a: recordSteps(input: $a) { accepted } b: recordSteps(input: $b) { accepted } c: recordSteps(input: $c) { accepted } }"


def steps(prefix: str, n: int) -> list[dict]:
    return [{"eventId": f"{prefix}{i}", "uai": "0751234J", "ine": f"12345678{i % 10}AB", "certification": "50022141",
             "step": "MEETING", "effectiveDate": "2026-10-01"} for i in range(n)]


async def test_aliased_bulk_calls_count_against_one_limit(settings, database, admin, connection):
    from sqlalchemy import text

    vendor_row, vendor = await new_client(database, Role.VENDOR)
    await new_cfa(database, "0751234J", consent=True, vendors=[vendor_row.id], admin=admin.principal)
    app = create_app(settings.model_copy(update={"max_batch_size": 10}), database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as http:
        body = (await http.post("/graphql", json={"query": STEPS, "variables": {"a": steps("a", 5), "b": steps("b", 5),
                                                                                "c": steps("c", 5)}},
                                headers={"Authorization": f"Bearer {vendor}"})).json()
        error = body["errors"][0]
        assert (error["path"], error["extensions"]["code"], error["extensions"]["field"]) == (["c"], "BAD_USER_INPUT", "input")
        assert "at most 10 records a request" in error["message"]
        assert (await connection.execute(text("SELECT count(*) FROM step_event"))).scalar_one() == 0  # all or nothing
        fine = (await http.post("/graphql", json={"query": STEPS, "variables": {"a": steps("a", 4), "b": steps("b", 3),
                                                                                "c": steps("c", 3)}},
                                headers={"Authorization": f"Bearer {vendor}"})).json()
        assert fine == {"data": {"a": {"accepted": 4}, "b": {"accepted": 3}, "c": {"accepted": 3}}}


async def test_a_request_is_charged_its_cost(settings, database, admin):
    vendor_row, vendor = await new_client(database, Role.VENDOR)
    await new_cfa(database, "0751234J", consent=True, vendors=[vendor_row.id], admin=admin.principal)
    costly = settings.model_copy(update={"rate_limit_burst": 10, "rate_limit_per_second": 0.001, "rate_cost_records_per_token": 1})
    app = create_app(costly, database)
    one = "mutation($s: [StepInput!]!) { recordSteps(input: $s) { accepted } }"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as http:
        headers = {"Authorization": f"Bearer {vendor}"}
        batch = await http.post("/graphql", json={"query": one, "variables": {"s": steps("x", 8)}}, headers=headers)
        assert batch.json() == {"data": {"recordSteps": {"accepted": 8}}}  # a token taken, 8 - 1 (and a little) owed
        assert (await http.post("/graphql", json={"query": "{ me { name } }"}, headers=headers)).status_code == 200
        refused = await http.post("/graphql", json={"query": "{ me { name } }"}, headers=headers)
        assert refused.status_code == 429  # 10 - 1 - 8 - 1 < 0: the batch counted for its 8 records
    # the same three requests, each a token: all pass
    app = create_app(costly.model_copy(update={"rate_cost_records_per_token": 1_000}), database)
    _, second = await new_client(database, Role.VENDOR, name="second")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as http:
        headers = {"Authorization": f"Bearer {second}"}
        for _ in range(3):
            assert (await http.post("/graphql", json={"query": "{ me { name } }"}, headers=headers)).status_code == 200


async def test_exported_rows_are_charged_too(settings, database, admin):
    _, portal = await new_client(database, Role.PORTAL)
    await new_cfa(database, "0751234J")
    costly = settings.model_copy(update={"rate_limit_burst": 6, "rate_limit_per_second": 0.001, "rate_cost_rows_per_token": 1})
    app = create_app(costly, database)
    wishes = [{"portalWishId": f"W{i}", "ine": f"12345678{i}AB", "uai": "0751234J", "certification": "50022141",
               "submittedAt": "2026-10-01T10:00:00+02:00"} for i in range(4)]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as http:
        headers = {"Authorization": f"Bearer {portal}"}
        sent = await http.post("/graphql", json={"query": "mutation($w: [WishInput!]!) { submitWishes(input: $w) { accepted } }",
                                                 "variables": {"w": wishes}}, headers=headers)
        assert sent.json() == {"data": {"submitWishes": {"accepted": 4}}}  # a token: 5 left
        export = await http.get("/exports/wishes.csv", headers=headers)  # a token, 4 rows: 3 more owed
        assert export.status_code == 200 and len(export.text.splitlines()) == 5
        assert (await http.get("/exports/wishes.csv", headers=headers)).status_code == 200  # 1 + 3 taken: 0 left
        assert (await http.get("/exports/wishes.csv", headers=headers)).status_code == 429  # 1 + 3 more: refused


async def test_a_key_refused_by_the_store_is_refused_without_a_statement_until_it_refills(settings, database, admin, queries):
    limited = settings.model_copy(update={"rate_limit_burst": 2, "rate_limit_per_second": 0.2})
    app = create_app(limited, database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as http:
        headers = {"Authorization": f"Bearer {admin.key}"}
        statuses, statements = [], []
        for _ in range(6):
            queries.reset()
            statuses.append((await http.post("/graphql", json={"query": "{ me { name } }"}, headers=headers)).status_code)
            statements.append(len([s for s in queries.statements if "rate_bucket" in s]))
    assert statuses == [200, 200, 429, 429, 429, 429]
    assert statements == [1, 1, 1, 0, 0, 0]  # once the store said so, the process refuses by itself


async def test_a_refusal_is_answered_after_a_pause_that_holds_nobody_else(settings, database, admin):
    slowed = settings.model_copy(update={"anonymous_burst": 1, "anonymous_rate_per_second": 0.5, "refusal_delay_s": 0.6})
    app = create_app(slowed, database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as http:
        assert (await http.post("/graphql", json={"query": "{ me { name } }"})).status_code == 200  # the token
        started = time.perf_counter()

        async def timed(**kwargs):
            response = await http.post("/graphql", json={"query": "{ me { name } }"}, **kwargs)
            return response, time.perf_counter() - started

        (refused, refused_after), (fine, fine_after) = await asyncio.gather(
            timed(), timed(headers={"Authorization": f"Bearer {admin.key}"}))
        assert refused.status_code == 429 and refused_after >= 0.6  # paused...
        assert fine.json() == {"data": {"me": {"name": "test admin"}}} and fine_after < 0.5  # ...another client served meanwhile
