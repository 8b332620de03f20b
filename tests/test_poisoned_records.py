"""One bad record never poisons the rest: dates outside 1900-2100 are refused where they come
in (per record ``INVALID_DATE``, per argument ``BAD_USER_INPUT``), and a youth whose derivation
fails anyway (data stored before a check existed) is set aside while the others are derived,
inline and deferred alike; ``/readyz`` counts it and ``hub derive --retry`` tries it again."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text

from app.domain.actors import Role
from app.domain.dates import today as france_today
from app.main import create_app
from app.services.derivation import drain
from app.settings import Derivation
from tests.factories import consenting_vendor, new_cfa, new_client
from tests.helpers import Gql

X = "0751234J"
RECORD = "mutation($input: [StepInput!]!) { recordSteps(input: $input) { accepted rejected { index field code } } }"
TODAY = france_today()


def step(event_id: str, ine: str, kind: str = "APPRENTICE", **dates: str) -> dict:
    return {"eventId": event_id, "uai": X, "ine": ine, "certification": "50022141", "step": kind,
            "effectiveDate": (TODAY - timedelta(days=30)).isoformat(), **dates}


@pytest.fixture
async def vendor(database, admin):
    row, key = await new_client(database, Role.VENDOR)
    await new_cfa(database, X, consent=True, vendors=[row.id], admin=admin.principal)
    return key


@pytest.mark.parametrize(("field", "value", "accepted"), [
    ("contractEnd", "9999-12-31", False), ("contractEnd", "2101-01-01", False), ("contractEnd", "2100-12-31", True),
    ("contractStart", "1899-12-31", False), ("contractStart", "1900-01-01", True), ("contractStart", "0001-01-01", False),
    ("contractEnd", "20026-09-01", False),
])
async def test_a_date_outside_the_calendar_is_refused_per_record(gql, vendor, field, value, accepted):
    batch = [step("good", "123456789AB"), step("odd", "223456789AB", **{field: value})]
    result = (await gql.data(RECORD, {"input": batch}, key=vendor))["recordSteps"]
    if accepted:
        assert result == {"accepted": 2, "rejected": []}
    else:
        assert result == {"accepted": 1, "rejected": [{"index": 1, "field": field, "code": "INVALID_DATE"}]}


async def test_offer_sessions_outside_the_calendar_are_refused_per_record(gql, vendor):
    offers = [{"offerRef": "ok", "uai": X, "certification": "50022141", "departmentCode": "75", "sessionStart": "2026-09-01"},
              {"offerRef": "no", "uai": X, "certification": "50022141", "departmentCode": "75", "sessionEnd": "9999-12-31"}]
    result = (await gql.data("mutation($o: [OfferInput!]!) { upsertOffers(input: $o) { accepted rejected { index field code } } }",
                             {"o": offers}, key=vendor))["upsertOffers"]
    assert result == {"accepted": 1, "rejected": [{"index": 1, "field": "sessionEnd", "code": "INVALID_DATE"}]}


@pytest.mark.parametrize(("query", "variables"), [
    ("query($d: Date) { headcounts(groupBy: NATIONAL, on: $d) { key } }", {"d": "9999-12-31"}),
    ('{ headcounts(groupBy: NATIONAL, on: "0001-01-01") { key } }', {}),
    ('{ headcountSeries(from: "1899-01-01", to: "1900-02-01", interval: MONTH, groupBy: NATIONAL) { on } }', {}),
    ("query($d: Date) { atRiskYouths(on: $d) { totalCount } }", {"d": "2101-01-01"}),
    ("query($s: DateTime) { myRejections(since: $s) { totalCount } }", {"s": "9999-12-31T23:59:59+00:00"}),
    ("query($f: WishFilter) { wishes(filter: $f) { totalCount } }", {"f": {"submittedFrom": "0001-01-01T00:00:00Z"}}),
])
async def test_an_argument_outside_the_calendar_is_bad_user_input(gql, admin, query, variables):
    error = await gql.error(query, variables, key=admin.key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert "1900-01-01 to 2100-12-31" in error["message"]


@pytest.mark.parametrize("path", [
    "/exports/at-risk.csv?on=9999-12-31", "/exports/headcounts.csv?on=0001-01-01",
    "/exports/wishes.csv?submittedFrom=9999-01-01T00:00:00%2B00:00",
])
async def test_a_csv_parameter_outside_the_calendar_is_refused(http, database, admin, path):
    _, portal = await new_client(database, Role.PORTAL)
    key = portal if "wishes" in path else admin.key
    answer = await http.get(path, headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 400
    extensions = answer.json()["errors"][0]["extensions"]
    assert (extensions["code"], extensions["reason"]) == ("BAD_USER_INPUT", "INVALID_DATE")


async def poison(connection, ine_hash_of: str) -> None:
    """What a batch stored before dates were checked: a contract ending on 9999-12-31."""
    await connection.execute(text(
        "UPDATE step_event SET contract_end = '9999-12-31' WHERE event_id = :event"), {"event": ine_hash_of})


async def test_inline_a_youth_that_cannot_be_derived_is_set_aside_and_the_batch_goes_on(gql, http, vendor, connection, caplog):
    assert (await gql.data(RECORD, {"input": [step("old", "123456789AB", contractEnd="2027-08-31")]}, key=vendor))
    await poison(connection, "old")
    caplog.set_level(logging.WARNING, logger="hub.derivation")
    later = [step("new", "123456789AB", "CONTRACT_BROKEN"), step("other", "223456789AB", "REGISTERED")]
    assert (await gql.data(RECORD, {"input": later}, key=vendor))["recordSteps"] == {"accepted": 2, "rejected": []}
    aside = (await connection.execute(text("SELECT y.ine_hash IS NOT NULL, f.error, f.attempts FROM derivation_failure f"
                                           " JOIN youth y ON y.id = f.youth_id"))).all()
    assert [(row[1].split(":")[0], row[2]) for row in aside] == [("OverflowError", 1)]
    other = (await connection.execute(text(
        "SELECT p.statuses FROM youth_path p JOIN step_event e ON e.youth_id = p.youth_id WHERE e.event_id = 'other'"
    ))).scalar_one()
    assert other == ["REGISTERED", "DROPPED_OUT"]  # derived (90 days without a contract ahead)
    lines = [r.getMessage() for r in caplog.records if r.name == "hub.derivation"]
    assert lines == ["derivation failed for 1 youth(s), set aside (OverflowError); the others were derived"]
    ready = (await http.get("/readyz")).json()
    assert ready["derivation"] == {"setAside": 1}


async def test_deferred_the_deriver_sets_aside_one_youth_and_derives_the_others(settings, database, vendor, connection):
    deferred = settings.model_copy(update={"derivation": Derivation.DEFERRED})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(deferred, database)), base_url="http://hub") as http:
        gql = Gql(http)
        assert (await gql.data(RECORD, {"input": [step("old", "123456789AB", contractEnd="2027-08-31")]}, key=vendor))
        await poison(connection, "old")
        batch = [step(f"e{i}", f"{i:09d}AB", "REGISTERED") for i in range(1, 9)] + [step("new", "123456789AB", "MEETING")]
        assert (await gql.data(RECORD, {"input": batch}, key=vendor))["recordSteps"]["accepted"] == 9
        assert await drain(database, deferred) == 9  # every queued youth taken: 8 derived, 1 set aside
        assert (await connection.execute(text("SELECT count(*) FROM youth_path"))).scalar_one() == 8
        assert (await connection.execute(text("SELECT count(*) FROM derivation_failure"))).scalar_one() == 1
        assert (await connection.execute(text("SELECT count(*) FROM pending_derivation"))).scalar_one() == 0
        ready = (await http.get("/readyz")).json()
        assert ready["derivation"]["setAside"] == 1
        # mended (a correction replaced the bad event), the youth is derived and taken off
        fixed = step("old", "123456789AB", contractEnd="2027-08-31") | {"effectiveDate": (TODAY - timedelta(days=31)).isoformat()}
        assert (await gql.data(RECORD, {"input": [fixed]}, key=vendor))["recordSteps"]["accepted"] == 1
        await drain(database, deferred)
        assert (await connection.execute(text("SELECT count(*) FROM derivation_failure"))).scalar_one() == 0
        assert (await connection.execute(text("SELECT count(*) FROM youth_path"))).scalar_one() == 9


async def test_hub_derive_retry_queues_the_youths_set_aside_again(live):
    from tests.test_cli import hub

    settings, database = live
    vendor = await consenting_vendor(database, settings.key_pepper.get_secret_value(), uai=X)
    app = create_app(settings, database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as http:
        gql = Gql(http)
        assert (await gql.data(RECORD, {"input": [step("old", "123456789AB", contractEnd="2027-08-31"),
                                                  step("fine", "223456789AB")]}, key=vendor.api_key))
    async with database.engine.begin() as connection:
        await poison(connection, "old")
        await connection.execute(text("INSERT INTO pending_derivation (youth_ids, paths) SELECT array_agg(id), array_agg(true)"
                                      " FROM youth"))
    still = hub(settings.database_url, "derive")
    assert still.returncode == 1 and "1 youths are set aside" in still.stderr, still.stderr
    again = hub(settings.database_url, "derive", "--retry")
    assert again.returncode == 1 and "1 of them set aside before" in again.stderr, again.stderr
    async with database.engine.begin() as connection:
        await connection.execute(text("UPDATE step_event SET contract_end = '2027-08-31' WHERE event_id = 'old'"))
        assert (await connection.execute(text("SELECT attempts FROM derivation_failure"))).scalar_one() == 2
    mended = hub(settings.database_url, "derive", "--retry")
    assert mended.returncode == 0 and "derived 1 youths" in mended.stderr, mended.stderr
    async with database.engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM derivation_failure"))).scalar_one() == 0
        assert (await connection.execute(text("SELECT count(*) FROM youth_path"))).scalar_one() == 2


@pytest.fixture
async def live(own_database):
    return await own_database(derivation=Derivation.DEFERRED)


@pytest.mark.parametrize("path", [
    "/exports/at-risk.csv?on=1900-01-01", "/exports/at-risk.csv?on=2100-12-31", "/exports/headcounts.csv?on=1900-01-01",
    "/exports/headcounts.csv?on=2100-12-31&groupBy=CFA", "/exports/wishes.csv?submittedFrom=2100-12-31T23:59:59%2B00:00",
])
async def test_csv_exports_answer_at_the_ends_of_the_calendar(http, database, admin, path):
    _, portal = await new_client(database, Role.PORTAL)
    key = portal if "wishes" in path else admin.key
    answer = await http.get(path, headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 200, answer.text
