"""Deferred derivation (HUB_DERIVATION=deferred): recordSteps stores the facts and queues the
youths; the deriver brings every derived row (paths, change points, spans of risk, wishes'
outcomes) to exactly what inline derivation gives, under concurrency too."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text

from app.domain.actors import Portal, Role
from app.domain.dates import today as france_today
from app.domain.timeline import StepFact, timeline
from app.main import create_app
from app.services.derivation import Deriver, drain, recompute_everyone
from app.services.paths import rules_of
from app.settings import Derivation
from tests.factories import consenting_vendor, new_cfa, new_client
from tests.helpers import STORED_CHANGE_POINTS, STORED_INTAKE_POINTS, Gql, assert_change_points_match_paths
from tests.population import CONSENTING, DEPARTMENT, NORD, Population, generate, youth_of

RECORD = "mutation($input: [StepInput!]!) { recordSteps(input: $input) { accepted unchanged rejected { index code } } }"
SUBMIT = "mutation($input: [WishInput!]!) { submitWishes(input: $input) { accepted rejected { index code } } }"
X, Z = "0751234J", "0750654D"
CERTS = ["50022141", "32031210"]
STEPS = ["MEETING", "INFO_SESSION", "PRE_REGISTERED", "REGISTERED", "APPRENTICE", "CONTRACT_BROKEN", "DROPPED_OUT",
         "COMPLETED"]
TODAY = france_today()


async def derived_state(connection) -> dict:
    """Every derived row, keyed by what does not depend on generated ids."""
    async def rows(query: str) -> list:
        return [tuple(r) for r in (await connection.execute(text(query))).all()]

    return {
        "paths": await rows(
            "SELECT y.ine_hash, p.starts, p.statuses, p.uais, p.certifications, p.causes, p.rule_version"
            " FROM youth_path p JOIN youth y ON y.id = p.youth_id ORDER BY 1"
        ),
        "risks": await rows(
            "SELECT y.ine_hash, r.valid_from, r.valid_to, r.reasons, r.since, r.uai, r.department_code"
            " FROM youth_risk r JOIN youth y ON y.id = r.youth_id ORDER BY 1, 2"
        ),
        "changes": await rows(STORED_CHANGE_POINTS),
        "intake": await rows(STORED_INTAKE_POINTS + " ORDER BY 1, 2, 3, 4"),
        "department_changes": await rows(
            "SELECT department_code, status, day, entries, exits FROM department_status_change"
            " WHERE entries <> 0 OR exits <> 0 ORDER BY 1, 2, 3"
        ),
        "outcomes": await rows(
            "SELECT portal_wish_id, outcome_stage, outcome_match, outcome_since, outcome_uai, outcome_certification,"
            " outcome_handled_by_wished_cfa, outcome_next_on FROM wish ORDER BY 1"
        ),
    }


OFFERS = "mutation($input: [OfferInput!]!) { upsertOffers(input: $input) { accepted rejected { index code } } }"


async def play(gql: Gql, keys: dict, population: Population) -> tuple[int, int]:
    """The population as vendors and portals send it; (accepted, rejected) steps."""
    assert not (await gql.data(OFFERS, {"input": population.offers}, key=keys["vendor"]))["upsertOffers"]["rejected"]
    assert not (await gql.data(SUBMIT, {"input": population.wishes}, key=keys["portal"]))["submitWishes"]["rejected"]
    accepted = rejected = 0
    for batch in population.stream:
        result = (await gql.data(RECORD, {"input": batch}, key=keys["vendor"]))["recordSteps"]
        accepted, rejected = accepted + result["accepted"], rejected + len(result["rejected"])
    return accepted, rejected


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_deferred_derivation_and_recompute_end_where_inline_derivation_is(seed, settings, database, connection, admin):
    """The same rows whichever way they are derived: inline with each batch, deferred by the
    deriver, or all again by ``hub recompute`` (status rules 2027.1: contracts and their ends,
    offers' sessions, residences, wishes to CFAs with and without consent)."""
    vendor, vendor_key = await new_client(database, Role.VENDOR, name="vendor")
    _, portal_key = await new_client(database, Role.PORTAL, name="Parcoursup", portal=Portal.PARCOURSUP)
    for uai in CONSENTING:
        await new_cfa(database, uai, department=DEPARTMENT[uai], consent=True, vendors=[vendor.id], admin=admin.principal)
    await new_cfa(database, NORD, department=DEPARTMENT[NORD])
    keys = {"vendor": vendor_key, "portal": portal_key}
    population = generate(seed, 250, TODAY)

    savepoint = await connection.begin_nested()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings, database)), base_url="http://hub") as http:
        inline_counts = await play(Gql(http), keys, population)
    inline = await derived_state(connection)
    await savepoint.rollback()

    deferred_settings = settings.model_copy(update={"derivation": Derivation.DEFERRED, "derivation_batch": 7})
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(deferred_settings, database)), base_url="http://hub"
    ) as http:
        assert await play(Gql(http), keys, population) == inline_counts
    queued = (await connection.execute(text("SELECT count(DISTINCT u.youth_id) FROM pending_derivation, unnest(youth_ids) AS u(youth_id)"))).scalar_one()
    assert queued > 0
    assert (await connection.execute(text("SELECT count(*) FROM youth_path"))).scalar_one() == 0  # nothing derived yet
    rounds = []
    assert await drain(database, deferred_settings, on_round=rounds.append) == queued
    assert len(rounds) > 2  # 7 youths a round
    assert (await connection.execute(text("SELECT count(*) FROM pending_derivation"))).scalar_one() == 0
    deferred = await derived_state(connection)
    assert inline["paths"] and inline["changes"] and inline["outcomes"] and inline["risks"]
    assert {row[1] for row in inline["outcomes"]} >= {"NO_NEWS", "HANDLED", "REGISTERED", "APPRENTICE", "LEFT"}
    assert any(row[6] for row in inline["risks"])  # residences gave territories
    for part in inline:
        assert deferred[part] == inline[part], part

    await connection.execute(text("TRUNCATE youth_path, youth_risk, status_change, department_status_change, intake_change"))
    await connection.execute(text("UPDATE wish SET outcome_stage = 'NO_NEWS', outcome_match = NULL, outcome_since = NULL,"
                                  " outcome_uai = NULL, outcome_certification = NULL,"
                                  " outcome_handled_by_wished_cfa = false, outcome_next_on = NULL"))
    done = await recompute_everyone(database, settings, chunk=40)
    assert done.youths == len({*youth_of(population).values(), *(w["ine"] for w in population.wishes)})
    recomputed = await derived_state(connection)
    for part in inline:
        assert recomputed[part] == inline[part], part


async def test_a_youth_queued_then_erased_leaves_the_queue(settings, database, connection, admin):
    vendor, vendor_key = await new_client(database, Role.VENDOR, name="vendor")
    await new_cfa(database, X, department="75", consent=True, vendors=[vendor.id], admin=admin.principal)
    deferred_settings = settings.model_copy(update={"derivation": Derivation.DEFERRED})
    record = {"eventId": "e1", "uai": X, "ine": "123456789AB", "certification": "50022141", "step": "REGISTERED",
              "effectiveDate": (TODAY - timedelta(days=3)).isoformat()}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(deferred_settings, database)), base_url="http://hub"
    ) as http:
        gql = Gql(http)
        assert (await gql.data(RECORD, {"input": [record]}, key=vendor_key))["recordSteps"]["accepted"] == 1
        assert (await gql.data('mutation { eraseYouth(ine: "123456789AB") }', key=admin.key))["eraseYouth"]
    assert (await connection.execute(text("SELECT count(*) FROM pending_derivation"))).scalar_one() == 1
    assert await drain(database, deferred_settings) == 0
    assert (await connection.execute(text("SELECT count(*) FROM pending_derivation"))).scalar_one() == 0
    assert (await connection.execute(text("SELECT count(*) FROM youth_path"))).scalar_one() == 0


@pytest.fixture
async def live(own_database):
    return await own_database(derivation=Derivation.DEFERRED, derivation_batch=5, derivation_quiet_s=0.0,
                              derivation_idle_s=0.01)


async def test_concurrent_batches_and_derivers_keep_derived_rows_exact(live):
    """Real transactions: 4 vendors' batches on shared youths while three derivers run; once the
    queue is drained, every path equals the timeline of the stored steps and the change points
    equal what the paths imply."""
    settings, database = live
    pepper = settings.key_pepper.get_secret_value()
    vendor = await consenting_vendor(database, pepper, uai=X)
    derivers = [Deriver(database, settings) for _ in range(3)]
    for deriver in derivers:
        deriver.start()
    steps = ["REGISTERED", "APPRENTICE", "CONTRACT_BROKEN", "MEETING", "DROPPED_OUT"]

    def batch(round_: int, part: int) -> list[dict]:
        return [
            {"eventId": f"{round_}-{part}-{i}", "uai": X, "ine": f"{i % 40:09d}AB", "certification": "50022141",
             "step": steps[(i + part + round_) % len(steps)],
             "effectiveDate": (TODAY - timedelta(days=(i * 7 + part * 3 + round_) % 300)).isoformat()}
            for i in range(80)
        ]

    app = create_app(settings, database)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub", timeout=60) as http:
            gql = Gql(http)
            results = await asyncio.gather(*(
                gql.data(RECORD, {"input": batch(r, p)}, key=vendor.api_key) for r in range(4) for p in range(3)
            ))
        assert sum(r["recordSteps"]["accepted"] for r in results) == 12 * 80
        for _ in range(500):  # the derivers catch up
            async with database.engine.connect() as connection:
                if not (await connection.execute(text("SELECT count(*) FROM pending_derivation"))).scalar_one():
                    break
            await asyncio.sleep(0.02)
        else:
            pytest.fail("the derivers did not drain the queue")
    finally:
        for deriver in derivers:
            await deriver.stop()
    assert sum(d.derived for d in derivers) >= 40  # each youth at least once

    rules = rules_of(settings)
    async with database.engine.connect() as connection:
        rows = (await connection.execute(text(
            "SELECT youth_id, step, effective_date, id, uai, certification_code, contract_start, contract_end FROM step_event"
        ))).all()
        stored = {r.youth_id: r for r in (await connection.execute(text("SELECT * FROM youth_path"))).all()}
        await assert_change_points_match_paths(connection)
    by_youth: dict[int, list[StepFact]] = {}
    for r in rows:
        by_youth.setdefault(r.youth_id, []).append(StepFact(*r[1:]))
    assert len(by_youth) == 40
    for youth_id, facts in by_youth.items():
        expected = [(s.start, s.status, s.uai, s.cause) for s in timeline(facts, rules)]
        path = stored.get(youth_id)
        assert (list(zip(path.starts, path.statuses, path.uais, path.causes)) if path else []) == expected, youth_id


async def test_the_hub_process_derives_in_the_background_and_reports_its_backlog(live):
    settings, database = live
    settings = settings.model_copy(update={"derivation_quiet_s": 0.2})
    pepper = settings.key_pepper.get_secret_value()
    vendor = await consenting_vendor(database, pepper, uai=X)
    app = create_app(settings)  # owns its database: its lifespan starts the deriver
    record = {"eventId": "e1", "uai": X, "ine": "123456789AB", "certification": "50022141", "step": "REGISTERED",
              "effectiveDate": (TODAY - timedelta(days=3)).isoformat()}
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as http:
            gql = Gql(http)
            assert (await gql.data(RECORD, {"input": [record]}, key=vendor.api_key))["recordSteps"]["accepted"] == 1
            first = (await http.get("/readyz")).json()
            assert first["derivation"]["queued"] in (0, 1)
            for _ in range(200):
                body = (await http.get("/readyz")).json()
                if body["derivation"]["queued"] == 0:
                    break
                await asyncio.sleep(0.02)
            assert body["derivation"] == {"setAside": 0, "queued": 0, "oldestSeconds": 0.0}
    async with database.engine.connect() as connection:
        statuses = (await connection.execute(text("SELECT statuses FROM youth_path"))).scalar_one()
    assert statuses == ["REGISTERED", "DROPPED_OUT"]  # 90 days without a contract ahead


async def test_the_hub_process_sweeps_the_outcomes_a_rule_changes_on_the_day(own_database):
    """A wish whose outcome was computed yesterday (registered for 90 days then) is an abandon
    today without any new step: the sweeper of the process (HUB_OUTCOME_SWEEP_S) writes it."""
    settings, database = await own_database(outcome_sweep_s=0.05)
    vendor = await consenting_vendor(database, settings.key_pepper.get_secret_value(), uai=X)
    _, portal = await new_client(database, Role.PORTAL, name="Parcoursup", portal=Portal.PARCOURSUP)
    app = create_app(settings, database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as http:
        gql = Gql(http)
        await gql.data(SUBMIT, {"input": [{"portalWishId": "w1", "ine": "123456789AB", "uai": X, "certification": CERTS[0],
                                           "submittedAt": f"{(TODAY - timedelta(days=100)).isoformat()}T10:00:00Z"}]},
                       key=portal)
        await gql.data(RECORD, {"input": [{"eventId": "r", "uai": X, "ine": "123456789AB", "certification": CERTS[0],
                                           "step": "REGISTERED", "effectiveDate": (TODAY - timedelta(days=91)).isoformat()}]},
                       key=vendor.api_key)
    yesterday = ("UPDATE wish SET outcome_stage = 'REGISTERED', outcome_since = :since, outcome_next_on = :today,"
                 " outcome_changed_at = now() - interval '1 day'")
    async with database.engine.begin() as connection:
        await connection.execute(text(yesterday), {"since": TODAY - timedelta(days=91), "today": TODAY})
    owner = create_app(settings)  # owns its database: its lifespan starts the sweeper
    async with owner.router.lifespan_context(owner):
        for _ in range(200):
            async with database.engine.connect() as connection:
                row = (await connection.execute(text("SELECT outcome_stage, outcome_since, outcome_next_on FROM wish"))).one()
            if row.outcome_stage != "REGISTERED":
                break
            await asyncio.sleep(0.02)
    assert tuple(row) == ("LEFT", TODAY, None)


async def test_a_new_event_sent_twice_at_once_is_stored_once(live):
    """New events go in by COPY; when a concurrent batch of the same vendor brought one of them
    first, the batch falls back to the upsert and reports it unchanged."""
    settings, database = live
    vendor = await consenting_vendor(database, settings.key_pepper.get_secret_value(), uai=X)
    records = [
        {"eventId": f"e{i}", "uai": X, "ine": f"{i:09d}AB", "certification": "50022141", "step": "MEETING",
         "effectiveDate": (TODAY - timedelta(days=3)).isoformat()}
        for i in range(300)
    ]
    app = create_app(settings, database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub", timeout=60) as http:
        gql = Gql(http)
        results = await asyncio.gather(*(gql.data(RECORD, {"input": records}, key=vendor.api_key) for _ in range(4)))
    counts = [r["recordSteps"] for r in results]
    assert sum(c["accepted"] for c in counts) == 300
    assert sum(c["unchanged"] for c in counts) == 900
    async with database.engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM step_event"))).scalar_one() == 300
        assert (await connection.execute(text("SELECT count(DISTINCT youth_id) FROM step_event"))).scalar_one() == 300



async def test_youths_created_at_once_by_concurrent_batches_are_created_once(live):
    """New youths go in by a plain insert inside a savepoint; when a concurrent batch created one
    of them first, the batch rolls back to the savepoint and takes theirs."""
    settings, database = live
    vendor = await consenting_vendor(database, settings.key_pepper.get_secret_value(), uai=X)
    batches = [
        [{"eventId": f"b{b}-{i}", "uai": X, "ine": f"{i:09d}AB", "certification": "50022141", "step": "REGISTERED",
          "effectiveDate": (TODAY - timedelta(days=b + 1)).isoformat()} for i in range(300)]
        for b in range(4)
    ]
    app = create_app(settings, database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub", timeout=60) as http:
        gql = Gql(http)
        results = await asyncio.gather(*(gql.data(RECORD, {"input": batch}, key=vendor.api_key) for batch in batches))
    assert [r["recordSteps"]["accepted"] for r in results] == [300] * 4
    async with database.engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM youth"))).scalar_one() == 300
        assert (await connection.execute(text(
            "SELECT count(*) FROM (SELECT youth_id FROM step_event GROUP BY 1 HAVING count(*) = 4) AS s"
        ))).scalar_one() == 300


async def test_hub_derive_drains_the_queue_from_the_command_line(live):
    from tests.test_cli import hub

    settings, database = live
    vendor = await consenting_vendor(database, settings.key_pepper.get_secret_value(), uai=X)
    records = [
        {"eventId": f"e{i}", "uai": X, "ine": f"{i:09d}AB", "certification": "50022141", "step": "REGISTERED",
         "effectiveDate": (TODAY - timedelta(days=i)).isoformat()}
        for i in range(1, 31)
    ]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(settings, database)), base_url="http://hub"
    ) as http:
        assert (await Gql(http).data(RECORD, {"input": records}, key=vendor.api_key))["recordSteps"]["accepted"] == 30
    done = hub(settings.database_url, "derive", env={"HUB_DERIVATION_BATCH": "8"})
    assert done.returncode == 0, done.stderr
    assert "derived 30 youths" in done.stderr and "100%" in done.stderr
    async with database.engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM pending_derivation"))).scalar_one() == 0
        assert (await connection.execute(text("SELECT count(*) FROM youth_path"))).scalar_one() == 30
        await assert_change_points_match_paths(connection)


async def test_under_sustained_batches_the_deriver_catches_up_once_its_wait_runs_out(live):
    """Batches never pause (an activity held open): after HUB_DERIVATION_MAX_WAIT_S the deriver
    drains the whole queue round after round, instead of one round per wait."""
    from app.services import derivation

    settings, database = live
    settings = settings.model_copy(update={"derivation_quiet_s": 60.0, "derivation_max_wait_s": 1.0, "derivation_batch": 5})
    vendor = await consenting_vendor(database, settings.key_pepper.get_secret_value(), uai=X)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(settings, database)), base_url="http://hub"
    ) as http:
        assert (await Gql(http).data(RECORD, {"input": steps_of(40)}, key=vendor.api_key))["recordSteps"]["accepted"] == 40
    deriver = Deriver(database, settings)
    with derivation.activity.writing():  # a batch in flight all along
        started = asyncio.get_running_loop().time()
        deriver.start()
        try:
            while True:
                async with database.engine.connect() as connection:
                    left = (await connection.execute(text("SELECT count(*) FROM pending_derivation"))).scalar_one()
                if not left:
                    break
                assert asyncio.get_running_loop().time() - started < 4.0, f"{left} still queued"  # 8 rounds of 5
                await asyncio.sleep(0.05)
        finally:
            await deriver.stop()
    assert deriver.derived == 40


def steps_of(count: int) -> list[dict]:
    return [
        {"eventId": f"s{i}", "uai": X, "ine": f"{i:09d}AB", "certification": "50022141", "step": "REGISTERED",
         "effectiveDate": (TODAY - timedelta(days=i + 1)).isoformat()}
        for i in range(count)
    ]


async def test_the_deriver_gives_way_to_batches_of_other_processes_too(live):
    """Another process's batches keep queueing (rows appended every 0.1 s, as its batches do):
    this process's deriver, idle itself, waits until they pause, then derives."""
    settings, database = live
    settings = settings.model_copy(update={"derivation_quiet_s": 0.5, "derivation_max_wait_s": 30.0})
    vendor = await consenting_vendor(database, settings.key_pepper.get_secret_value(), uai=X)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(settings, database)), base_url="http://hub"
    ) as http:
        assert (await Gql(http).data(RECORD, {"input": steps_of(10)}, key=vendor.api_key))["recordSteps"]["accepted"] == 10
    async with database.engine.connect() as connection:
        youth_ids = [r[0] for r in (await connection.execute(text("SELECT id FROM youth ORDER BY id"))).all()]

    async def other_process_batches(seconds: float) -> None:
        loop = asyncio.get_running_loop()
        until = loop.time() + seconds
        while loop.time() < until:
            async with database.engine.begin() as connection:  # what a batch queues, committed
                await connection.execute(text(
                    "INSERT INTO pending_derivation (youth_ids, paths) VALUES (CAST(:ids AS bigint[]), CAST(:paths AS boolean[]))"
                ), {"ids": youth_ids[:1], "paths": [True]})
            await asyncio.sleep(0.1)

    deriver = Deriver(database, settings)
    await asyncio.sleep(0.6)  # this process's own batch is over: locally quiet
    others = asyncio.create_task(other_process_batches(2.0))
    await asyncio.sleep(0.15)  # their first row is in
    deriver.start()
    try:
        await others
        assert deriver.derived == 0  # gave way all along
        for _ in range(100):
            if deriver.derived:
                break
            await asyncio.sleep(0.05)
        assert deriver.derived >= 10  # once they paused
    finally:
        await deriver.stop()
