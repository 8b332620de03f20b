"""Youths without an INE (issue 18, parts 1 and 2): a step may carry the CFA software's own id of
the learner (``learnerRef``); with the UAI it finds the same youth again, a late INE is given to
that youth (merging with a youth already known by it, nothing lost), the same reference with
another INE is refused and merges nothing. Everything through HTTP, checked in the database."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
import httpx
import pytest
from sqlalchemy import text

from app.auth import Principal
from app.domain.actors import Role
from app.domain.dates import today as france_today
from app.main import create_app
from app.services import cfas, clients
from app.settings import Derivation
from tests.conftest import _asyncpg_args
from tests.factories import new_cfa, new_client
from tests.helpers import assert_change_points_match_paths

RECORD = """mutation($input: [StepInput!]!) { recordSteps(input: $input) {
  accepted unchanged rejected { index field code message } } }"""
HEADCOUNTS = "query { headcounts(groupBy: CFA) { key registered apprentices } }"
X, Z = "0751234J", "0750654D"
CAP = "50022141"
TODAY = france_today()


@pytest.fixture
async def world(database, admin):
    vendor, vendor_key = await new_client(database, Role.VENDOR, name="vendor")
    for uai in (X, Z):
        await new_cfa(database, uai, consent=True, vendors=[vendor.id], admin=admin.principal)
    return {"admin": admin.key, "vendor": vendor_key}


def step(event: str, step_name: str, days_ago: int, *, uai: str = X, learner: str | None = None, ine: str | None = None,
         nir: str | None = None) -> dict:
    record = {"eventId": event, "uai": uai, "certification": CAP, "step": step_name,
              "effectiveDate": (TODAY - timedelta(days=days_ago)).isoformat()}
    for name, value in (("learnerRef", learner), ("ine", ine), ("nir", nir)):
        if value is not None:
            record[name] = value
    return record


async def send(gql, world, records: list[dict]) -> dict:
    return (await gql.data(RECORD, {"input": records}, key=world["vendor"]))["recordSteps"]


async def youths_of_events(connection) -> dict[str, int]:
    return dict((await connection.execute(text("SELECT event_id, youth_id FROM step_event"))).all())


async def headcounts(gql, world) -> dict:
    return {r["key"]: (r["registered"], r["apprentices"])
            for r in (await gql.data(HEADCOUNTS, key=world["admin"]))["headcounts"]}


async def test_a_learner_without_ine_is_followed_across_a_registration_a_contract_and_a_late_ine(gql, world, connection):
    sent = await send(gql, world, [step("r", "REGISTERED", 60, learner="APP-0042")])
    assert (sent["accepted"], sent["rejected"]) == (1, [])
    assert await headcounts(gql, world) == {X: (1, 0)}
    sent = await send(gql, world, [step("c", "APPRENTICE", 20, learner=" APP-0042 ")])  # stripped like any text
    assert sent["accepted"] == 1
    assert await headcounts(gql, world) == {X: (0, 1)}  # the same youth, now an apprentice
    events = await youths_of_events(connection)
    assert events["r"] == events["c"]
    youth = events["r"]
    ine_hash = (await connection.execute(text("SELECT ine_hash FROM youth WHERE id = :id"), {"id": youth})).scalar_one()
    assert ine_hash is None
    # the INE comes later, with the reference: the same youth learns it
    sent = await send(gql, world, [step("late", "MEETING", 5, learner="APP-0042", ine="123456789AB")])
    assert sent["accepted"] == 1
    events = await youths_of_events(connection)
    assert events["late"] == youth
    assert (await connection.execute(text("SELECT ine_hash IS NOT NULL FROM youth WHERE id = :id"), {"id": youth})).scalar_one()
    # then the INE alone finds it too
    sent = await send(gql, world, [step("ine-only", "MEETING", 4, ine="123456789AB")])
    assert (await youths_of_events(connection))["ine-only"] == youth
    assert (await connection.execute(text("SELECT count(*) FROM youth"))).scalar_one() == 1
    # the reference is another CFA's learner at another UAI
    await send(gql, world, [step("z", "REGISTERED", 3, uai=Z, learner="APP-0042")])
    assert (await youths_of_events(connection))["z"] != youth
    assert await headcounts(gql, world) == {X: (0, 1), Z: (1, 0)}
    await assert_change_points_match_paths(connection)


async def test_a_late_ine_already_known_merges_the_learner_and_loses_nothing(gql, world, connection):
    await send(gql, world, [step("known", "REGISTERED", 90, uai=Z, ine="123456789AB")])
    await send(gql, world, [step("l1", "REGISTERED", 50, learner="L-7"), step("l2", "APPRENTICE", 30, learner="L-7")])
    before = await youths_of_events(connection)
    assert before["known"] != before["l1"] == before["l2"]
    assert await headcounts(gql, world) == {X: (0, 1), Z: (1, 0)}  # two youths so far
    sent = await send(gql, world, [step("proof", "APPRENTICE", 30, learner="L-7", ine="123456789AB")])
    assert sent["accepted"] == 1
    after = await youths_of_events(connection)
    assert len(set(after.values())) == 1 and after["known"] == before["known"]  # kept: the INE holder
    assert (await connection.execute(text("SELECT count(*) FROM youth"))).scalar_one() == 1
    linked = (await connection.execute(text("SELECT youth_id FROM youth_learner_ref"))).scalars().all()
    assert linked == [before["known"]]
    # one youth: an apprentice at X since 30 days (its latest status step), no longer registered at Z
    assert await headcounts(gql, world) == {X: (0, 1)}
    # the reference alone now finds the merged youth
    await send(gql, world, [step("after", "MEETING", 1, learner="L-7")])
    assert (await youths_of_events(connection))["after"] == before["known"]
    await assert_change_points_match_paths(connection)


async def test_the_same_reference_with_another_ine_is_refused_and_merges_nothing(gql, world, connection):
    await send(gql, world, [step("a", "REGISTERED", 40, learner="L-1", ine="123456789AB"),
                            step("b", "REGISTERED", 40, ine="223456789AB")])
    sent = await send(gql, world, [
        step("c", "APPRENTICE", 20, learner="L-1", ine="223456789AB"),  # the stored youth of L-1 has another INE
        step("d", "APPRENTICE", 20, learner="L-2", ine="323456789AB"),
        step("e", "APPRENTICE", 10, learner="L-2", ine="423456789AB"),  # L-2 came with another INE just before
        step("f", "MEETING", 10, learner="L-1"),
    ])
    assert sent["accepted"] == 2
    assert [(e["index"], e["field"], e["code"]) for e in sent["rejected"]] == [
        (0, "learnerRef", "LEARNER_CONFLICT"), (2, "learnerRef", "LEARNER_CONFLICT")]
    assert all("AB" not in e["message"] and "L-" not in e["message"] for e in sent["rejected"])  # no identifier
    events = await youths_of_events(connection)
    assert events["a"] == events["f"] != events["b"]
    assert (await connection.execute(text("SELECT count(*) FROM youth"))).scalar_one() == 3


@pytest.mark.parametrize(("learner", "code"), [
    ("x" * 65, "INVALID_LEARNER_REF"),
    ("APP\x01", "INVALID_LEARNER_REF"),
    ("AP\u0085P", "INVALID_LEARNER_REF"),  # a C1 control inside (at an end it is stripped as a space)
    ("APP\x00", "INVALID_CHARACTER"),
])
async def test_a_bad_learner_reference_is_refused_and_the_rest_stored(gql, world, learner, code):
    sent = await send(gql, world, [step("bad", "REGISTERED", 5, learner=learner), step("ok", "REGISTERED", 5, learner="x" * 64)])
    assert sent["accepted"] == 1
    assert [(e["index"], e["field"], e["code"]) for e in sent["rejected"]] == [(0, "learnerRef", code)]


async def test_a_nir_alone_needs_a_learner_reference_or_nir_matching(gql, world, connection):
    from tests.test_logs import synthetic_nir

    nir = synthetic_nir(3)
    sent = await send(gql, world, [step("alone", "REGISTERED", 5, nir=nir),
                                   step("with-ref", "REGISTERED", 5, nir=nir, learner="N-1"),
                                   step("nothing", "REGISTERED", 5)])
    assert sent["accepted"] == 1
    assert [(e["index"], e["field"], e["code"]) for e in sent["rejected"]] == [
        (0, "ine", "IDENTITY_MISSING"), (2, "ine", "IDENTITY_MISSING")]
    youth = (await youths_of_events(connection))["with-ref"]
    row = (await connection.execute(text("SELECT ine_hash, nir_hash, nir_given FROM youth WHERE id = :id"), {"id": youth})).one()
    assert tuple(row) == (None, None, True)  # the NIR itself is not kept without NIR matching


async def test_the_learner_reference_is_kept_only_as_a_keyed_hash(gql, world, connection):
    await send(gql, world, [step("h", "REGISTERED", 5, learner="SECRET-REF-123")])
    stored = (await connection.execute(text("SELECT ref_hash FROM youth_learner_ref"))).scalars().all()
    assert len(stored) == 1 and len(stored[0]) == 32 and b"SECRET" not in stored[0]
    dump = (await connection.execute(text("SELECT string_agg(t::text, '|') FROM step_event t"))).scalar_one()
    assert "SECRET-REF-123" not in dump


@pytest.mark.parametrize("derivation", [Derivation.INLINE, Derivation.DEFERRED])
async def test_concurrent_batches_creating_the_same_learner_make_one_youth(own_database, derivation):
    """Inline, every youth is locked FOR UPDATE; deferred, a batch of learners alone (vendors 0
    and 2) holds them FOR SHARE while the batches bringing INEs (1 and 3) lock them and may merge
    them. A batch that meets a learner created by another meanwhile runs again and finds it
    (without that check the test fails)."""
    settings, database = await own_database(derivation=derivation)
    db = database.session()
    pepper = settings.key_pepper.get_secret_value()
    admin = await clients.create_client(db, pepper, name="admin", role=Role.ADMIN)
    principal = Principal(admin.client.id, "admin", Role.ADMIN, None, None, admin.client.created_at, admin.client.id)
    vendors = [await clients.create_client(db, pepper, name=f"vendor {i}", role=Role.VENDOR) for i in range(4)]
    await cfas.register_cfa(db, uai=X, siret=None, name="X", department_code="75")
    await cfas.set_consent(db, principal, uai=X, given=True, vendor_client_ids=[str(v.client.id) for v in vendors])
    await db.commit()
    await db.close()

    def batch(vendor: int) -> list[dict]:  # 30 learners, every vendor the same ones, half of them with an INE
        return [step(f"v{vendor}-{i}", "REGISTERED", 10 + vendor, learner=f"L{i}",
                     ine=f"{i:09d}AB" if i % 2 and vendor % 2 else None) for i in range(30)]

    app = create_app(settings, database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub", timeout=60) as http:
        async def post(vendor: int) -> dict:
            response = await http.post("/graphql", json={"query": RECORD, "variables": {"input": batch(vendor)}},
                                       headers={"Authorization": f"Bearer {vendors[vendor].api_key}"})
            return response.json()

        results = await asyncio.gather(*(post(v) for v in range(4)))
    assert all("errors" not in body for body in results), results
    assert [body["data"]["recordSteps"]["accepted"] for body in results] == [30] * 4
    async with database.engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM youth"))).scalar_one() == 30
        assert (await connection.execute(text("SELECT count(*) FROM youth_learner_ref"))).scalar_one() == 30
        per_youth = (await connection.execute(text(
            "SELECT count(DISTINCT youth_id) FROM step_event GROUP BY substr(event_id, strpos(event_id, '-') + 1)"))).scalars().all()
        assert per_youth == [1] * 30  # each learner's four steps on one youth
        assert (await connection.execute(text("SELECT count(*) FROM youth WHERE ine_hash IS NOT NULL"))).scalar_one() == 15


YOUTH = """query($uai: String, $ref: String, $ine: String) { youth(uai: $uai, learnerRef: $ref, ine: $ine) {
  history { step effectiveDate } } }"""
ERASE = "mutation($uai: String, $ref: String) { eraseYouth(uai: $uai, learnerRef: $ref) }"


async def test_an_admin_reads_and_erases_a_learner_without_ine_by_its_reference(gql, world, connection):
    await send(gql, world, [step("r", "REGISTERED", 30, learner="APP-9"), step("c", "APPRENTICE", 10, learner="APP-9")])
    found = (await gql.data(YOUTH, {"uai": X, "ref": "APP-9"}, key=world["admin"]))["youth"]
    assert [h["step"] for h in found["history"]] == ["REGISTERED", "APPRENTICE"]
    assert (await gql.data(YOUTH, {"uai": Z, "ref": "APP-9"}, key=world["admin"]))["youth"] is None  # another CFA's
    audited = (await connection.execute(text("SELECT count(*) FROM audit_log WHERE operation = 'youth'"))).scalar_one()
    assert audited == 1
    for variables, field in (({"ref": "APP-9"}, "uai"), ({"uai": X}, "learnerRef"), ({"uai": X, "ref": "a\x01"}, "learnerRef"),
                             ({"uai": "0751234A", "ref": "APP-9"}, "uai")):
        error = await gql.error(YOUTH, variables, key=world["admin"])
        assert (error["extensions"]["code"], error["extensions"]["field"]) == ("BAD_USER_INPUT", field)
    assert (await gql.data(ERASE, {"uai": X, "ref": "APP-9"}, key=world["admin"]))["eraseYouth"] is True
    assert (await connection.execute(text("SELECT count(*) FROM youth_learner_ref"))).scalar_one() == 0
    assert (await connection.execute(text("SELECT count(*) FROM step_event"))).scalar_one() == 0
    assert (await gql.data(ERASE, {"uai": X, "ref": "APP-9"}, key=world["admin"]))["eraseYouth"] is False
    # the same reference later is a new learner
    await send(gql, world, [step("again", "MEETING", 1, learner="APP-9")])
    assert (await connection.execute(text("SELECT count(*) FROM youth"))).scalar_one() == 1


async def test_a_batch_meeting_a_learner_merged_away_meanwhile_runs_again_and_loses_nothing(own_database):
    """A merging batch holds the learner's youth when another batch looks the learner up: the
    second waits on the youth's row, finds it gone, and runs again (LearnersMoved), writing its
    step to the youth the learner was merged into, never to the one deleted."""
    settings, database = await own_database(derivation=Derivation.DEFERRED)
    db = database.session()
    pepper = settings.key_pepper.get_secret_value()
    admin = await clients.create_client(db, pepper, name="admin", role=Role.ADMIN)
    principal = Principal(admin.client.id, "admin", Role.ADMIN, None, None, admin.client.created_at, admin.client.id)
    vendor = await clients.create_client(db, pepper, name="vendor", role=Role.VENDOR)
    await cfas.register_cfa(db, uai=X, siret=None, name="X", department_code="75")
    await cfas.set_consent(db, principal, uai=X, given=True, vendor_client_ids=[str(vendor.client.id)])
    await db.commit()
    await db.close()
    app = create_app(settings, database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub", timeout=60) as http:
        async def post(records: list[dict]) -> dict:
            response = await http.post("/graphql", json={"query": RECORD, "variables": {"input": records}},
                                       headers={"Authorization": f"Bearer {vendor.api_key}"})
            return response.json()["data"]["recordSteps"]

        assert (await post([step("l1", "REGISTERED", 20, learner="L-9"), step("h1", "REGISTERED", 20, ine="123456789AB")]))[
            "accepted"] == 2
        async with database.engine.connect() as connection:
            ids = dict((await connection.execute(text("SELECT event_id, youth_id FROM step_event"))).all())
        learner, holder = ids["l1"], ids["h1"]
        # a merging batch in flight: it holds the learner's youth, then merges it into the holder
        merging = await asyncpg.connect(**_asyncpg_args(database.engine.url))  # a concurrent transaction
        await merging.execute("BEGIN")
        await merging.execute("SELECT id FROM youth WHERE id = $1 FOR UPDATE", learner)
        waiting = asyncio.create_task(post([step("l2", "APPRENTICE", 5, learner="L-9")]))
        await asyncio.sleep(0.5)
        assert not waiting.done()  # it found the learner and waits for its row
        await merging.execute("UPDATE step_event SET youth_id = $2 WHERE youth_id = $1", learner, holder)
        await merging.execute("UPDATE youth_learner_ref SET youth_id = $2 WHERE youth_id = $1", learner, holder)
        await merging.execute("DELETE FROM youth WHERE id = $1", learner)
        await merging.execute("COMMIT")
        await merging.close()
        assert (await asyncio.wait_for(waiting, timeout=20))["accepted"] == 1
    async with database.engine.connect() as connection:
        ids = dict((await connection.execute(text("SELECT event_id, youth_id FROM step_event"))).all())
        assert ids == {"l1": holder, "h1": holder, "l2": holder}
        orphans = (await connection.execute(text(
            "SELECT count(*) FROM step_event e WHERE NOT EXISTS (SELECT FROM youth y WHERE y.id = e.youth_id)"))).scalar_one()
        assert orphans == 0

