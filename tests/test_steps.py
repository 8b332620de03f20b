"""recordSteps through HTTP: validation, consent, idempotency, order, matching, feedback."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text

from app.domain.actors import Role
from app.domain.dates import today as france_today
from app.main import create_app
from app.settings import NirMatching
from tests.factories import new_cfa, new_client
from tests.helpers import Gql

RECORD = """
mutation($input: [StepInput!]!) {
  recordSteps(input: $input) { accepted unchanged rejected { index ref field code message } }
}"""
YOUTH = """
query($ine: String, $nir: String, $on: Date) {
  youth(ine: $ine, nir: $nir) {
    id ine
    history { step effectiveDate cfa { uai } certification { code verified } contractStart contractEnd }
    situation(on: $on) { status since until cause ruleVersion cfa { uai } certification { code } }
  }
}"""
REJECTIONS = """
query($first: Int, $after: String, $since: DateTime) {
  myRejections(first: $first, after: $after, since: $since) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { receivedAt operation error { index ref field code message } } }
  }
}"""

OPEN, CLOSED, OTHER = "0751234J", "0750654D", "6200002H"
INE1, INE2, INE3 = "123456789AB", "1234567890C", "1234A12345D"
TODAY = france_today()


def synthetic_nir(serial: int) -> str:
    """A NIR with a valid key but an impossible month (99): never a real person's."""
    first13 = f"19999750{serial:05d}"
    return first13 + f"{97 - int(first13) % 97:02d}"


def step(event_id, step="REGISTERED", *, ine=INE1, nir=None, uai=OPEN, cert="50022141", on=None, **extra):
    record = {
        "eventId": event_id, "uai": uai, "ine": ine, "nir": nir, "certification": cert, "step": step,
        "effectiveDate": (on or TODAY - timedelta(days=10)).isoformat(),
    }
    record.update(extra)
    return record


@pytest.fixture
async def vendor(database, admin):
    row, key = await new_client(database, Role.VENDOR, name="Ymag")
    other, _ = await new_client(database, Role.VENDOR, name="Gesti")
    await new_cfa(database, OPEN, department="75", consent=True, vendors=[row.id], admin=admin.principal)
    await new_cfa(database, CLOSED, department="75", consent=False, vendors=[row.id], admin=admin.principal)
    await new_cfa(database, OTHER, department="2A", consent=True, vendors=[other.id], admin=admin.principal)
    return key


async def count(connection, sql: str) -> int:
    return (await connection.execute(text(sql))).scalar_one()


async def test_a_mixed_batch_stores_the_valid_records_and_reports_each_invalid_one(gql, vendor, connection):
    payload = (await gql.data(RECORD, {"input": [
        step("e0"),
        step("e1", uai="0751234A"),
        step("e2", ine="12345"),
        step("e3", ine=None),
        step("e4", cert="RNCP1"),
        step("e5", on=TODAY + timedelta(days=2)),
        step("e6", uai=CLOSED),
        step("e7", uai=OTHER),
        step("e8", uai="0010001W"),
        step("e9", "MEETING", contractStart=TODAY.isoformat()),
        step("e10", "APPRENTICE", contractStart="2026-09-01", contractEnd="2026-08-01"),
        step("e11", "APPRENTICE", ine=INE2, on=TODAY - timedelta(days=3), contractStart="2026-09-01", contractEnd="2028-08-31"),
        step("e0", "MEETING"),
        step("e13", nir="123"),
        step("e14", ine=None, nir=synthetic_nir(1)),
        step("e15", portal="PARCOURSUP"),
        step("e16\x00"),
        step("e17", portal="PARCOURSUP", portalWishId="w\x001"),
    ]}, key=vendor))["recordSteps"]
    assert (payload["accepted"], payload["unchanged"]) == (2, 0)
    got = [(r["index"], r["ref"], r["field"], r["code"]) for r in payload["rejected"]]
    assert got == [
        (1, "e1", "uai", "INVALID_UAI"),
        (2, "e2", "ine", "INVALID_INE"),
        (3, "e3", "ine", "IDENTITY_MISSING"),
        (4, "e4", "certification", "INVALID_CERTIFICATION"),
        (5, "e5", "effectiveDate", "INVALID_DATE"),
        (6, "e6", "uai", "CONSENT_MISSING"),
        (7, "e7", "uai", "NOT_AUTHORIZED_FOR_CFA"),
        (8, "e8", "uai", "UNKNOWN_CFA"),
        (9, "e9", "contractStart", "INVALID_DATE"),
        (10, "e10", "contractEnd", "INVALID_DATE"),
        (12, "e0", "eventId", "DUPLICATE_IN_BATCH"),
        (13, "e13", "nir", "INVALID_NIR"),
        (14, "e14", "ine", "IDENTITY_MISSING"),  # a NIR alone without NIR matching (issue 18)
        (15, "e15", "portalWishId", "INVALID_WISH_LINK"),
        (16, "e16", "eventId", "INVALID_CHARACTER"),  # PostgreSQL text cannot hold a NUL
        (17, "e17", "portalWishId", "INVALID_CHARACTER"),
    ]
    assert all(r["message"] for r in payload["rejected"])
    assert await count(connection, "SELECT count(*) FROM step_event") == 2
    assert await count(connection, "SELECT count(*) FROM youth") == 2  # nothing of a rejected record
    assert await count(connection, "SELECT count(*) FROM rejection") == 16


async def test_rejections_are_kept_for_the_vendor_newest_first(gql, vendor, database, connection):
    await gql.data(RECORD, {"input": [step("a", uai="0751234A"), step("b", ine="x")]}, key=vendor)
    await gql.data(RECORD, {"input": [step("c", cert="??")]}, key=vendor)
    seen, after = [], None
    while True:
        page = (await gql.data(REJECTIONS, {"first": 2, "after": after}, key=vendor))["myRejections"]
        assert page["totalCount"] == 3
        seen += [(e["node"]["operation"], e["node"]["error"]["ref"], e["node"]["error"]["code"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [
        ("recordSteps", "c", "INVALID_CERTIFICATION"),
        ("recordSteps", "b", "INVALID_INE"),
        ("recordSteps", "a", "INVALID_UAI"),
    ]
    # The tests share one transaction (one now()): date the first batch a minute earlier.
    await connection.execute(text("UPDATE rejection SET received_at = received_at - interval '1 minute' WHERE ref IN ('a', 'b')"))
    cut = (await connection.execute(text("SELECT max(received_at) - interval '30 seconds' FROM rejection"))).scalar_one()
    since = (await gql.data(REJECTIONS, {"since": cut.isoformat()}, key=vendor))["myRejections"]
    assert since["totalCount"] == 1 and [e["node"]["error"]["ref"] for e in since["edges"]] == ["c"]
    _, other_key = await new_client(database, Role.VENDOR, name="another vendor")
    assert (await gql.data(REJECTIONS, key=other_key))["myRejections"]["totalCount"] == 0


async def test_a_replay_changes_nothing(gql, vendor, admin, connection):
    batch = [step("r1", on=TODAY - timedelta(days=40)), step("r2", "APPRENTICE", on=TODAY - timedelta(days=5))]
    first = (await gql.data(RECORD, {"input": batch}, key=vendor))["recordSteps"]
    before = (await connection.execute(text("SELECT id, received_at, content_hash FROM step_event ORDER BY id"))).all()
    again = (await gql.data(RECORD, {"input": batch}, key=vendor))["recordSteps"]
    after = (await connection.execute(text("SELECT id, received_at, content_hash FROM step_event ORDER BY id"))).all()
    assert (first["accepted"], first["unchanged"]) == (2, 0)
    assert (again["accepted"], again["unchanged"], again["rejected"]) == (0, 2, [])
    assert before == after


async def test_a_correction_replaces_the_event_and_recomputes_the_path(gql, vendor, admin, connection):
    await gql.data(RECORD, {"input": [step("c1", "REGISTERED", on=TODAY - timedelta(days=20))]}, key=vendor)
    youth = (await gql.data(YOUTH, {"ine": INE1}, key=admin.key))["youth"]
    assert youth["situation"]["status"] == "REGISTERED"
    fixed = (await gql.data(RECORD, {"input": [step("c1", "APPRENTICE", on=TODAY - timedelta(days=20))]}, key=vendor))
    assert (fixed["recordSteps"]["accepted"], fixed["recordSteps"]["unchanged"]) == (1, 0)
    youth = (await gql.data(YOUTH, {"ine": INE1}, key=admin.key))["youth"]
    assert [e["step"] for e in youth["history"]] == ["APPRENTICE"]
    assert youth["situation"]["status"] == "APPRENTICE"
    assert await count(connection, "SELECT count(*) FROM step_event") == 1


async def test_a_correction_that_moves_the_event_to_another_youth_recomputes_both(gql, vendor, admin):
    await gql.data(RECORD, {"input": [step("m1", "APPRENTICE", ine=INE1)]}, key=vendor)
    await gql.data(RECORD, {"input": [step("m1", "APPRENTICE", ine=INE2)]}, key=vendor)
    first = (await gql.data(YOUTH, {"ine": INE1}, key=admin.key))["youth"]
    second = (await gql.data(YOUTH, {"ine": INE2}, key=admin.key))["youth"]
    assert (first["history"], first["situation"]) == ([], None)
    assert second["situation"]["status"] == "APPRENTICE"


async def test_steps_that_do_not_change_the_status_leave_the_stored_path_alone(gql, vendor, admin, connection):
    # (the youth is derived again, its risks may change; its path, computed as it was, is not rewritten)
    await gql.data(RECORD, {"input": [step("n1", "MEETING", on=TODAY - timedelta(days=30))]}, key=vendor)
    assert await count(connection, "SELECT count(*) FROM youth_path") == 0
    await gql.data(RECORD, {"input": [step("n2", "APPRENTICE", on=TODAY - timedelta(days=20))]}, key=vendor)
    before = (await connection.execute(text("SELECT ctid, starts, statuses FROM youth_path"))).one()
    await gql.data(RECORD, {"input": [step("n3", "INFO_SESSION", on=TODAY - timedelta(days=10))]}, key=vendor)
    after = (await connection.execute(text("SELECT ctid, starts, statuses FROM youth_path"))).one()
    assert before == after  # not rewritten: an update would leave a new row version (ctid)
    youth = (await gql.data(YOUTH, {"ine": INE1}, key=admin.key))["youth"]
    assert [e["step"] for e in youth["history"]] == ["MEETING", "APPRENTICE", "INFO_SESSION"]
    assert youth["situation"]["status"] == "APPRENTICE"


async def test_a_status_step_corrected_into_a_meeting_removes_the_status(gql, vendor, admin, connection):
    await gql.data(RECORD, {"input": [step("k1", "REGISTERED", on=TODAY - timedelta(days=20))]}, key=vendor)
    await gql.data(RECORD, {"input": [step("k1", "MEETING", on=TODAY - timedelta(days=20))]}, key=vendor)
    youth = (await gql.data(YOUTH, {"ine": INE1}, key=admin.key))["youth"]
    assert ([e["step"] for e in youth["history"]], youth["situation"]) == (["MEETING"], None)
    assert await count(connection, "SELECT count(*) FROM youth_path") == 0


async def test_a_meeting_moved_to_another_youth_keeps_both_paths(gql, vendor, admin):
    await gql.data(RECORD, {"input": [step("a", "REGISTERED", ine=INE1), step("b", "MEETING", ine=INE1)]}, key=vendor)
    await gql.data(RECORD, {"input": [step("b", "MEETING", ine=INE2)]}, key=vendor)
    first = (await gql.data(YOUTH, {"ine": INE1}, key=admin.key))["youth"]
    second = (await gql.data(YOUTH, {"ine": INE2}, key=admin.key))["youth"]
    assert ([e["step"] for e in first["history"]], first["situation"]["status"]) == (["REGISTERED"], "REGISTERED")
    assert ([e["step"] for e in second["history"]], second["situation"]) == (["MEETING"], None)


async def test_steps_arriving_out_of_order_are_placed_by_effective_date(gql, vendor, admin):
    await gql.data(RECORD, {"input": [step("late", "APPRENTICE", on=TODAY - timedelta(days=5))]}, key=vendor)
    await gql.data(RECORD, {"input": [step("early", "REGISTERED", on=TODAY - timedelta(days=60))]}, key=vendor)
    youth = (await gql.data(YOUTH, {"ine": INE1}, key=admin.key))["youth"]
    assert [e["step"] for e in youth["history"]] == ["REGISTERED", "APPRENTICE"]
    assert youth["situation"]["status"] == "APPRENTICE"
    past = (await gql.data(YOUTH, {"ine": INE1, "on": (TODAY - timedelta(days=30)).isoformat()}, key=admin.key))["youth"]
    assert past["situation"]["status"] == "REGISTERED"
    assert past["situation"]["until"] == (TODAY - timedelta(days=5)).isoformat()


async def test_the_registered_threshold_turns_into_dropped_out_with_the_rule_version(gql, vendor, admin):
    registered = TODAY - timedelta(days=91)
    await gql.data(RECORD, {"input": [step("t1", "REGISTERED", on=registered)]}, key=vendor)
    situation = (await gql.data(YOUTH, {"ine": INE1}, key=admin.key))["youth"]["situation"]
    assert situation == {
        "status": "DROPPED_OUT", "since": (registered + timedelta(days=91)).isoformat(), "until": None,
        "cause": "REGISTERED_TOO_LONG", "ruleVersion": "2027.1", "cfa": {"uai": OPEN}, "certification": {"code": "50022141"},
    }


async def test_the_path_is_the_youths_across_cfas(gql, database, admin, connection):
    ymag, ymag_key = await new_client(database, Role.VENDOR, name="Ymag")
    gesti, gesti_key = await new_client(database, Role.VENDOR, name="Gesti")
    await new_cfa(database, OPEN, consent=True, vendors=[ymag.id], admin=admin.principal)
    await new_cfa(database, OTHER, department="2A", consent=True, vendors=[gesti.id], admin=admin.principal)
    await gql.data(RECORD, {"input": [step("x", "REGISTERED", on=TODAY - timedelta(days=30))]}, key=ymag_key)
    await gql.data(RECORD, {"input": [step("x", "APPRENTICE", uai=OTHER, cert="32031210", on=TODAY - timedelta(days=2))]}, key=gesti_key)
    youth = (await gql.data(YOUTH, {"ine": INE1}, key=admin.key))["youth"]
    assert [(e["step"], e["cfa"]["uai"]) for e in youth["history"]] == [("REGISTERED", OPEN), ("APPRENTICE", OTHER)]
    assert (youth["situation"]["cfa"]["uai"], youth["situation"]["certification"]["code"]) == (OTHER, "32031210")
    assert await count(connection, "SELECT count(*) FROM youth") == 1


async def test_unknown_valid_certifications_are_kept_unverified(gql, vendor, admin):
    await gql.data(RECORD, {"input": [step("u1", cert="rncp 34.567")]}, key=vendor)
    history = (await gql.data(YOUTH, {"ine": INE1}, key=admin.key))["youth"]["history"]
    assert history[0]["certification"] == {"code": "RNCP34567", "verified": False}
    cert = (await gql.data('{ certification(code: "RNCP34567") { title kind verified } }', key=admin.key))["certification"]
    assert cert == {"title": "RNCP34567", "kind": "RNCP", "verified": False}


async def test_a_step_naming_an_unknown_wish_is_stored_with_its_link(gql, vendor, connection):
    payload = (await gql.data(RECORD, {"input": [step("w1", "MEETING", portal="AFFELNET", portalWishId="075/1234")]}, key=vendor))
    assert payload["recordSteps"]["accepted"] == 1
    row = (await connection.execute(text("SELECT portal, portal_wish_id FROM step_event"))).one()
    assert tuple(row) == ("AFFELNET", "075/1234")


async def test_a_batch_over_the_limit_stores_nothing(gql, vendor, connection):
    error = await gql.error(RECORD, {"input": [step(f"o{i}") for i in range(2001)]}, key=vendor)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "input", "reason": "BATCH_SIZE"}
    assert await count(connection, "SELECT count(*) FROM step_event") == 0
    assert await count(connection, "SELECT count(*) FROM rejection") == 0


async def test_other_roles_cannot_record_steps(gql, database, vendor):
    _, portal_key = await new_client(database, Role.PORTAL)
    error = await gql.error(RECORD, {"input": [step("f1")]}, key=portal_key)
    assert error["extensions"]["code"] == "FORBIDDEN"


@pytest.fixture
async def hmac_gql(settings, database):
    app = create_app(settings.model_copy(update={"nir_matching": NirMatching.HMAC}), database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as client:
        yield Gql(client)


async def test_identities_are_merged_when_a_record_brings_ine_and_nir(hmac_gql, vendor, admin, connection):
    nir = synthetic_nir(7)
    await hmac_gql.data(RECORD, {"input": [step("n1", "MEETING", ine=None, nir=nir, on=TODAY - timedelta(days=50))]}, key=vendor)
    await hmac_gql.data(RECORD, {"input": [step("i1", "REGISTERED", ine=INE1, on=TODAY - timedelta(days=40))]}, key=vendor)
    assert await count(connection, "SELECT count(*) FROM youth") == 2
    nir_youth = (await connection.execute(text("SELECT id FROM youth WHERE ine_hash IS NULL"))).scalar_one()
    await connection.execute(text(
        "INSERT INTO certification (code, kind, title) VALUES ('50022141', 'CFD', 't') ON CONFLICT DO NOTHING"
    ))
    await connection.execute(text(
        "INSERT INTO wish (portal, portal_wish_id, youth_id, uai, certification_code, submitted_at)"
        " VALUES ('PARCOURSUP', 'W1', :y, :uai, '50022141', now())"
    ), {"y": nir_youth, "uai": OPEN})

    both = await hmac_gql.data(RECORD, {"input": [step("b1", "APPRENTICE", ine=INE1, nir=nir, on=TODAY - timedelta(days=10))]}, key=vendor)
    assert both["recordSteps"]["accepted"] == 1
    assert await count(connection, "SELECT count(*) FROM youth") == 1
    youth = (await hmac_gql.data(YOUTH, {"nir": nir}, key=admin.key))["youth"]
    assert youth["ine"] == INE1
    assert [e["step"] for e in youth["history"]] == ["MEETING", "REGISTERED", "APPRENTICE"]
    assert youth["situation"]["status"] == "APPRENTICE"
    kept = int(youth["id"])
    assert await count(connection, f"SELECT count(*) FROM wish WHERE youth_id = {kept}") == 1


async def test_two_different_ines_are_never_merged(hmac_gql, vendor, connection):
    nir = synthetic_nir(8)
    await hmac_gql.data(RECORD, {"input": [step("a1", ine=INE1, nir=nir)]}, key=vendor)
    await hmac_gql.data(RECORD, {"input": [step("a2", ine=INE2, nir=nir)]}, key=vendor)
    assert await count(connection, "SELECT count(*) FROM youth") == 2


async def test_new_identities_inside_one_batch_are_matched_together(hmac_gql, vendor, connection):
    nir = synthetic_nir(9)
    payload = await hmac_gql.data(RECORD, {"input": [
        step("s1", ine=INE3), step("s2", ine=None, nir=nir), step("s3", ine=INE3, nir=nir), step("s4", ine=INE3),
    ]}, key=vendor)
    assert payload["recordSteps"]["accepted"] == 4
    assert await count(connection, "SELECT count(*) FROM youth") == 1


@pytest.mark.parametrize("matching", [NirMatching.OFF, NirMatching.HMAC])
async def test_no_nir_is_stored_in_any_column(settings, database, vendor, connection, matching):
    app = create_app(settings.model_copy(update={"nir_matching": matching}), database)
    nirs = [synthetic_nir(i) for i in range(20, 30)]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as client:
        gql = Gql(client)
        await gql.data(RECORD, {"input": [step(f"p{i}", ine=f"12345678{i:02d}X", nir=n) for i, n in enumerate(nirs)]}, key=vendor)
        await gql.data(RECORD, {"input": [step("bad", nir=nirs[0][:-2] + "00")]}, key=vendor)
    columns = (await connection.execute(text(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'"
        " AND data_type IN ('text', 'character varying', 'bytea', 'ARRAY', 'jsonb')"
    ))).all()
    for table, column in columns:
        values = (await connection.execute(text(f'SELECT "{column}"::text FROM "{table}"'))).scalars().all()
        for value in values:
            for nir in nirs:
                assert nir not in (value or ""), (table, column)
                assert nir.encode().hex() not in (value or ""), (table, column)
    assert await count(connection, "SELECT count(*) FROM youth WHERE nir_given") == 10


async def test_without_nir_matching_a_youth_learns_that_a_nir_was_given(gql, vendor, connection):
    await gql.data(RECORD, {"input": [step("g1", "MEETING"), step("g2", "REGISTERED", ine=INE2, nir=synthetic_nir(1))]}, key=vendor)
    assert await count(connection, "SELECT count(*) FROM youth") == 2
    assert await count(connection, "SELECT count(*) FROM youth WHERE nir_given") == 1
    # a later record for the first youth brings a NIR, twice in one batch with the same INE
    batch = [step("g3", "REGISTERED", nir=synthetic_nir(2)), step("g4", "APPRENTICE", nir=synthetic_nir(2))]
    assert (await gql.data(RECORD, {"input": batch}, key=vendor))["recordSteps"]["accepted"] == 2
    assert await count(connection, "SELECT count(*) FROM youth") == 2
    assert await count(connection, "SELECT count(*) FROM youth WHERE nir_given") == 2
    assert await count(connection, "SELECT count(*) FROM youth WHERE nir_hash IS NOT NULL") == 0
    assert await count(connection, "SELECT count(DISTINCT youth_id) FROM step_event") == 2


async def test_erasure_removes_the_youth_and_its_path_and_unlinks_wishes(gql, vendor, admin, connection):
    await gql.data(RECORD, {"input": [step("e1", "REGISTERED"), step("e2", "APPRENTICE", ine=INE2)]}, key=vendor)
    assert (await gql.data('mutation($ine: String) { eraseYouth(ine: $ine) }', {"ine": INE1}, key=admin.key))["eraseYouth"] is True
    assert (await gql.data(YOUTH, {"ine": INE1}, key=admin.key))["youth"] is None
    assert await count(connection, "SELECT count(*) FROM youth") == 1
    assert await count(connection, "SELECT count(*) FROM step_event") == 1
    assert (await gql.data('mutation { eraseYouth(ine: "123456789AB") }', key=admin.key))["eraseYouth"] is False


async def test_reads_of_a_youth_are_audited(gql, vendor, admin, connection):
    await gql.data(RECORD, {"input": [step("a1")]}, key=vendor)
    youth = (await gql.data(YOUTH, {"ine": INE1}, key=admin.key))["youth"]
    rows = (await connection.execute(text("SELECT client_id, operation, youth_ids FROM audit_log"))).all()
    assert [(r.client_id, r.operation, r.youth_ids) for r in rows] == [(admin.row.id, "youth", [int(youth["id"])])]


async def test_a_batch_costs_the_same_statements_whatever_its_size(gql, vendor, queries):
    counts = {}
    for size in (10, 2000):
        batch = [step(f"q{size}-{i}", ine=f"{size:04d}A{i:05d}Z", on=TODAY - timedelta(days=i % 200)) for i in range(size)]
        queries.reset()
        payload = (await gql.data(RECORD, {"input": batch}, key=vendor))["recordSteps"]
        assert payload["accepted"] == size
        counts[size] = queries.count
    assert counts[10] == counts[2000] <= 19, queries.statements  # 3 of them: the key, its last use, the rate limit


async def test_records_of_the_wrong_shape_are_reported_one_by_one(gql, vendor, connection):
    bad_date = step("d1") | {"effectiveDate": "2026-13-45"}
    bad_step = step("d2") | {"step": "JUMPED"}
    no_uai = {k: v for k, v in step("d3").items() if k != "uai"}
    extra = step("d4") | {"name": "a name the hub must not take"}
    number = step("d5") | {"eventId": 12345}
    payload = (await gql.data(RECORD, {"input": [step("ok"), bad_date, bad_step, no_uai, extra, number, "nope"]}, key=vendor))
    got = [(r["index"], r["ref"], r["field"], r["code"]) for r in payload["recordSteps"]["rejected"]]
    assert got == [
        (1, "d1", "effectiveDate", "INVALID_DATE"),
        (2, "d2", "step", "INVALID_STEP"),
        (3, "d3", "uai", "MISSING_FIELD"),
        (4, "d4", "name", "UNKNOWN_FIELD"),  # the ref is given whenever the eventId reads
        (5, None, "eventId", "INVALID_TYPE"),
        (6, None, None, "INVALID_TYPE"),
    ]
    assert payload["recordSteps"]["accepted"] == 1
    assert await count(connection, "SELECT count(*) FROM step_event") == 1


async def test_records_written_inline_in_the_document_are_accepted_too(gql, vendor, admin):
    inline = (
        'mutation { recordSteps(input: [{eventId: "in1", uai: "%s", ine: "%s", certification: "50022141",'
        ' step: APPRENTICE, effectiveDate: "%s", contractStart: "%s", contractEnd: "2030-06-30"}])'
        " { accepted rejected { code } } }"
    ) % (OPEN, INE1, TODAY.isoformat(), TODAY.isoformat())
    assert (await gql.data(inline, key=vendor))["recordSteps"] == {"accepted": 1, "rejected": []}
    youth = (await gql.data(YOUTH, {"ine": INE1}, key=admin.key))["youth"]
    assert youth["history"][0]["contractEnd"] == "2030-06-30"


async def test_a_contract_ending_at_the_offers_session_end_completes_the_training(gql, vendor, admin, connection):
    end = TODAY - timedelta(days=3)
    await connection.execute(text(
        "INSERT INTO certification (code, kind, title, verified) VALUES ('50022141', 'CFD', 'CAP', true)"
        " ON CONFLICT DO NOTHING"
    ))
    await connection.execute(text(
        "INSERT INTO offer (uai, offer_ref, certification_code, department_code, session_start, session_end, capacity)"
        " VALUES (:uai, 'o1', '50022141', '75', :start, :end, 12)"
    ), {"uai": OPEN, "start": end - timedelta(days=700), "end": end + timedelta(days=30)})
    await gql.data(RECORD, {"input": [step(
        "c1", "APPRENTICE", on=end - timedelta(days=700), contractStart=(end - timedelta(days=700)).isoformat(),
        contractEnd=end.isoformat(),
    ), step("c2", "APPRENTICE", ine=INE2, uai=OPEN, cert="32031210", on=end - timedelta(days=700),
            contractStart=(end - timedelta(days=700)).isoformat(), contractEnd=end.isoformat())]}, key=vendor)
    completed = (await gql.data(YOUTH, {"ine": INE1}, key=admin.key))["youth"]["situation"]
    assert (completed["status"], completed["cause"], completed["since"]) == (
        "COMPLETED", "CONTRACT_COMPLETED", (end + timedelta(days=1)).isoformat()
    )
    no_offer = (await gql.data(YOUTH, {"ine": INE2}, key=admin.key))["youth"]["situation"]
    assert (no_offer["status"], no_offer["cause"]) == ("COMPLETED", "CONTRACT_COMPLETED")  # no training end known


async def test_a_deadlock_between_batches_is_retried(gql, vendor, admin, monkeypatch):
    """The database may abort one of two batches locking the same youths: the call runs again."""
    import asyncpg

    from app.services import ingest

    real, calls = ingest.record_steps, []

    async def deadlocking_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            await real(*args, **kwargs)  # writes, then the transaction is aborted
            raise asyncpg.exceptions.DeadlockDetectedError("deadlock detected")
        return await real(*args, **kwargs)

    monkeypatch.setattr(ingest, "record_steps", deadlocking_once)
    payload = (await gql.data(RECORD, {"input": [step("d1", "REGISTERED")]}, key=vendor))["recordSteps"]
    assert (len(calls), payload["accepted"], payload["unchanged"]) == (2, 1, 0)  # the first attempt was rolled back
    youth = (await gql.data(YOUTH, {"ine": INE1}, key=admin.key))["youth"]
    assert [e["step"] for e in youth["history"]] == ["REGISTERED"]


async def test_change_points_follow_corrections_merges_and_erasure(hmac_gql, vendor, admin, connection):
    from tests.helpers import assert_change_points_match_paths

    gql = hmac_gql
    await gql.data(RECORD, {"input": [
        step("h1", "REGISTERED", on=TODAY - timedelta(days=200)), step("h2", "APPRENTICE", on=TODAY - timedelta(days=150)),
        step("h3", "REGISTERED", ine=INE2, on=TODAY - timedelta(days=30)),
        step("h4", "CONTRACT_BROKEN", ine=None, nir=synthetic_nir(40), on=TODAY - timedelta(days=20)),
    ]}, key=vendor)
    await assert_change_points_match_paths(connection)
    await gql.data(RECORD, {"input": [step("h2", "APPRENTICE", on=TODAY - timedelta(days=100))]}, key=vendor)  # corrected
    await assert_change_points_match_paths(connection)
    await gql.data(RECORD, {"input": [step("h5", "MEETING", ine=INE2, nir=synthetic_nir(40))]}, key=vendor)  # a merge
    await assert_change_points_match_paths(connection)
    assert (await gql.data('mutation($ine: String) { eraseYouth(ine: $ine) }', {"ine": INE1}, key=admin.key))["eraseYouth"]
    await assert_change_points_match_paths(connection)
    total = (await connection.execute(text("SELECT sum(entries - exits) FROM status_change"))).scalar_one()
    assert total == 1  # one youth left, with one open segment
