"""The `hub` command, run as a real process against a fresh database."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text

from app.db import Database, make_engine
from app.domain.dates import today as france_today
from app.domain.identifiers import check_ine, check_siret, check_uai
from app.main import create_app
from app.security import IdentityVault
from app.settings import Environment, Settings


def hub(url: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HUB_DATABASE_URL": url, "HUB_LOG_LEVEL": "WARNING", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


async def me(url: str, key: str) -> dict:
    settings = Settings(env=Environment.TEST, database_url=url, migrate_on_start=False)
    database = Database(make_engine(url, settings))
    try:
        app = create_app(settings, database)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as client:
            response = await client.post(
                "/graphql", json={"query": "{ me { id name role departments } }", "variables": {}},
                headers={"Authorization": f"Bearer {key}"},
            )
        return response.json()
    finally:
        await database.dispose()


async def test_clients_create_prints_the_key_alone_on_the_last_line(fresh_database_url):
    result = hub(fresh_database_url, "clients", "create", "--role", "ADVISER", "--name", "Mission locale Paris", "--departments", "75", "92")
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("hub_") and " " not in key
    body = await me(fresh_database_url, key)
    assert body["data"]["me"]["role"] == "ADVISER"
    assert body["data"]["me"]["departments"] == ["75", "92"]

    listed = hub(fresh_database_url, "clients", "list")
    assert "Mission locale Paris" in listed.stdout and "active" in listed.stdout
    client_id = body["data"]["me"]["id"]
    revoked = hub(fresh_database_url, "clients", "revoke", client_id)
    assert revoked.returncode == 0, revoked.stderr
    assert (await me(fresh_database_url, key))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_clients_create_refuses_bad_input_with_a_clear_message(fresh_database_url):
    result = hub(fresh_database_url, "clients", "create", "--role", "PORTAL", "--name", "x")
    assert result.returncode == 2
    assert "portal" in result.stderr
    assert hub(fresh_database_url, "clients", "revoke", "nope").returncode == 2


async def test_demo_loads_valid_synthetic_data_and_prints_a_key_per_role(fresh_database_url):
    result = hub(fresh_database_url, "demo", "--no-serve", "--cfas", "12", "--youths", "300")
    assert result.returncode == 0, result.stderr
    assert "demo data loaded" in result.stderr
    keys = {}
    for line in result.stdout.splitlines():
        if line.startswith("  Demo ") and line.split()[-1].startswith("hub_"):
            *name, key = line.split()
            keys[" ".join(name)] = key
    roles = set()
    for key in keys.values():
        body = await me(fresh_database_url, key)
        assert "errors" not in body, (key, body)
        roles.add(body["data"]["me"]["role"])
    assert roles == {"ADMIN", "VENDOR", "PORTAL", "ADVISER", "PILOT"}

    settings = Settings(database_url=fresh_database_url)
    engine = make_engine(fresh_database_url, settings)
    vault = IdentityVault(settings.identity_hash_key.get_secret_value().encode(), settings.encryption_key_bytes)
    try:
        async with engine.connect() as connection:
            cfas = (await connection.execute(text("SELECT uai, siret FROM cfa"))).all()
            youths = (await connection.execute(text("SELECT ine_encrypted, nir_hash, nir_given FROM youth"))).all()
            steps = (await connection.execute(text("SELECT count(*) FROM step_event"))).scalar_one()
            paths = (await connection.execute(text("SELECT count(*) FROM youth_path"))).scalar_one()
            stepped = (await connection.execute(text(
                "SELECT count(DISTINCT youth_id) FROM step_event WHERE step NOT IN ('MEETING', 'INFO_SESSION', 'PRE_REGISTERED')"
            ))).scalar_one()
            wishes = (await connection.execute(text("SELECT count(*) FROM wish"))).scalar_one()
            # the wishes' outcomes, as recordSteps and submitWishes keep them: news wherever steps flowed
            stages = dict((await connection.execute(text("SELECT outcome_stage, count(*) FROM wish GROUP BY 1"))).all())
            wrong = (await connection.execute(text(
                "SELECT count(*) FROM wish w WHERE outcome_stage <> 'NO_NEWS' AND NOT EXISTS ("
                "SELECT FROM step_event e WHERE e.youth_id = w.youth_id)"
            ))).scalar_one()
            # the stories of the status rules 2027.1: rupturants re-sent as registered, contracts
            # without end, ruptures at the end of training, youths stuck after a meeting, residences
            stories = (await connection.execute(text(
                "SELECT (SELECT count(*) FROM youth_path WHERE 'BROKEN_BY_REGISTRATION' = ANY(causes)),"
                " (SELECT count(*) FROM step_event WHERE step = 'APPRENTICE' AND contract_end IS NULL),"
                " (SELECT count(*) FROM youth_path WHERE 'BROKEN_AT_COMPLETION' = ANY(causes)),"
                " (SELECT count(*) FROM youth_risk WHERE 'HANDLED_NOT_REGISTERED' = ANY(reasons)),"
                " (SELECT count(*) FROM wish WHERE residence_department IS NOT NULL)"
            ))).one()
    finally:
        await engine.dispose()
    assert len(cfas) == 12 and all(check_uai(u) == u and check_siret(s) == s for u, s in cfas)
    assert len(youths) == 300 and wishes == 300 and steps > 300
    assert paths == stepped > 0  # every youth with a status step has its derived path
    assert stages.get("NO_NEWS", 0) < 300 and len(stages) >= 3 and wrong == 0
    assert all(count > 0 for count in stories), stories
    assert all(check_ine(vault.decrypt_ine(y.ine_encrypted)) == vault.decrypt_ine(y.ine_encrypted) for y in youths)
    assert all(y.nir_hash is None and y.nir_given is False for y in youths)  # the demo carries no NIR

    again = hub(fresh_database_url, "demo", "--no-serve")
    assert "already loaded" in again.stderr
    first_admin = keys["Demo ADMIN"]
    assert (await me(fresh_database_url, first_admin))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_recompute_applies_changed_rules_to_every_youth(fresh_database_url):
    assert hub(fresh_database_url, "demo", "--no-serve", "--youths", "200", "--cfas", "6").returncode == 0
    query = (
        "SELECT (SELECT count(*) FROM youth_path WHERE rule_version = :v), (SELECT count(*) FROM youth_path),"
        " (SELECT count(*) FROM youth_risk WHERE rule_version = :v), (SELECT count(DISTINCT youth_id) FROM youth_risk)"
    )

    async def counts(version: str) -> tuple[int, int, int, int]:
        engine = make_engine(fresh_database_url, Settings(database_url=fresh_database_url))
        try:
            async with engine.connect() as connection:
                return tuple((await connection.execute(text(query), {"v": version})).one())
        finally:
            await engine.dispose()

    paths, all_paths, risks, youths_at_risk = await counts("2027.1")
    assert paths == all_paths > 0 and risks > 0
    changed = {"HUB_RULE_VERSION": "test.2", "HUB_NO_CONTRACT_ALERT_DAYS": "1", "HUB_WISH_NOT_HANDLED_DAYS": "1"}
    done = hub(fresh_database_url, "recompute", "--chunk", "64", env=changed)
    assert done.returncode == 0, done.stderr
    assert "recomputed 200 youths with rule version test.2" in done.stderr and "100%" in done.stderr
    paths, all_paths_after, risks_after, youths_after = await counts("test.2")
    assert paths == all_paths_after == all_paths and risks_after > 0
    assert (await counts("2027.1"))[2] == 0  # no span of the old rules is left
    # registered without contract for one day is enough now: youths who signed within 60 days too
    assert youths_after > youths_at_risk

    # an interrupted run resumes after the last chunk it committed
    from app.services.derivation import rules_key

    again = {**changed, "HUB_RULE_VERSION": "test.3"}
    engine = make_engine(fresh_database_url, Settings(database_url=fresh_database_url))
    try:
        async with engine.begin() as connection:
            middle = (await connection.execute(text("SELECT id FROM youth ORDER BY id OFFSET 119 LIMIT 1"))).scalar_one()
            await connection.execute(text("INSERT INTO recompute_progress (rules, last_youth_id, done) VALUES (:r, :m, 120)"),
                                     {"r": rules_key(Settings(**{k.removeprefix("HUB_").lower(): v for k, v in again.items()})),
                                      "m": middle})
    finally:
        await engine.dispose()
    resumed = hub(fresh_database_url, "recompute", "--chunk", "64", env=again)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming: 120 youths" in resumed.stderr and "recomputed 80 youths" in resumed.stderr, resumed.stderr
    assert (await counts("test.3"))[0] < all_paths  # the first 120 were left as the interrupted run made them
    assert (await counts("test.2"))[0] + (await counts("test.3"))[0] == all_paths
    restarted = hub(fresh_database_url, "recompute", "--restart", env=again)
    assert "recomputed 200 youths" in restarted.stderr and (await counts("test.3"))[0] == all_paths


async def test_sweep_writes_the_outcomes_the_rules_change_by_a_day(fresh_database_url):
    assert hub(fresh_database_url, "demo", "--no-serve", "--youths", "200", "--cfas", "6").returncode == 0
    later = france_today() + timedelta(days=200)
    due = "SELECT count(*) FROM wish WHERE outcome_next_on <= :day"
    engine = make_engine(fresh_database_url, Settings(database_url=fresh_database_url))
    try:
        async with engine.connect() as connection:
            waiting = (await connection.execute(text(due), {"day": later})).scalar_one()
        assert waiting > 0  # the demo's registrations and ruptures run out within 200 days
        swept = hub(fresh_database_url, "sweep", "--on", later.isoformat())
        assert swept.returncode == 0, swept.stderr
        changed = int(swept.stderr.split()[0])
        assert 0 < changed <= waiting, swept.stderr
        async with engine.connect() as connection:
            assert (await connection.execute(text(due), {"day": later})).scalar_one() == 0
    finally:
        await engine.dispose()
    assert hub(fresh_database_url, "sweep", "--on", later.isoformat()).stderr.startswith("0 outcomes changed")
    wrong = hub(fresh_database_url, "sweep", "--on", "tomorrow")
    assert wrong.returncode == 2 and "--on is an ISO date" in wrong.stderr


def test_schema_command_prints_the_committed_sdl():
    from pathlib import Path

    result = subprocess.run([sys.executable, "-m", "app.cli", "schema"], capture_output=True, text=True, timeout=60)
    committed = (Path(__file__).resolve().parent.parent / "graphql_schema" / "schema.graphql").read_text()
    assert result.stdout == committed


async def test_the_audit_log_is_append_only_and_hub_audit_reads_it(fresh_database_url):
    loaded = hub(fresh_database_url, "demo", "--no-serve", "--youths", "50", "--cfas", "4")
    admin_key = next(line.split()[-1] for line in loaded.stdout.splitlines() if line.strip().startswith("Demo ADMIN"))
    settings = Settings(env=Environment.TEST, database_url=fresh_database_url, migrate_on_start=False)
    engine = make_engine(fresh_database_url, settings)
    try:
        async with engine.connect() as connection:
            youth_id = (await connection.execute(text("SELECT min(id) FROM youth"))).scalar_one()
            encrypted = (await connection.execute(text("SELECT ine_encrypted FROM youth WHERE id = :id"), {"id": youth_id})).scalar_one()
        vault = IdentityVault(settings.identity_hash_key.get_secret_value().encode(), settings.encryption_key_bytes)
        database = Database(engine)
        app = create_app(settings, database)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as client:
            body = (await client.post("/graphql", json={"query": 'query($i: String) { youth(ine: $i) { id } }',
                                                         "variables": {"i": vault.decrypt_ine(encrypted)}},
                                      headers={"Authorization": f"Bearer {admin_key}"})).json()
        assert body["data"]["youth"]["id"] == str(youth_id)
        for statement in ("UPDATE audit_log SET operation = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
            async with engine.connect() as connection:
                with pytest.raises(Exception, match="append-only"):
                    await connection.execute(text(statement))
    finally:
        await engine.dispose()
    listed = hub(fresh_database_url, "audit", "--youth", str(youth_id))
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].startswith("at\tclient\trole\toperation") and len(lines) == 2
    assert "\tDemo ADMIN\tADMIN\tyouth\t1\t0\t" + str(youth_id) in lines[1]


async def test_clients_rotate_prints_a_new_key_and_keeps_the_old_one_working(fresh_database_url):
    created = hub(fresh_database_url, "clients", "create", "--role", "PILOT", "--name", "Région")
    old = created.stdout.strip().splitlines()[-1]
    listed = hub(fresh_database_url, "clients", "list")
    client_id = next(line.split()[0] for line in listed.stdout.splitlines() if "Région" in line)
    rotated = hub(fresh_database_url, "clients", "rotate", client_id)
    assert rotated.returncode == 0, rotated.stderr
    new = rotated.stdout.strip().splitlines()[-1]
    assert new.startswith("hub_") and new != old
    for key in (old, new):
        assert (await me(fresh_database_url, key))["data"]["me"]["name"] == "Région"
    assert hub(fresh_database_url, "clients", "rotate", "not-an-id").returncode == 2


async def test_purge_removes_youths_without_recent_steps_or_wishes_and_keeps_the_figures(fresh_database_url):

    from app.migrate import upgrade
    from tests.factories import consenting_vendor

    settings = Settings(env=Environment.TEST, database_url=fresh_database_url, migrate_on_start=False)
    database = Database(make_engine(fresh_database_url, settings))
    await upgrade(database.engine)
    vendor = await consenting_vendor(database, settings.key_pepper.get_secret_value())
    old, recent = france_today() - timedelta(days=6 * 365), france_today() - timedelta(days=30)
    steps = [
        {"eventId": "o1", "uai": "0751234J", "ine": "123456789AB", "certification": "50022141", "step": "REGISTERED", "effectiveDate": old.isoformat()},
        {"eventId": "o2", "uai": "0751234J", "ine": "1234567890C", "certification": "50022141", "step": "REGISTERED", "effectiveDate": old.isoformat()},
        {"eventId": "r2", "uai": "0751234J", "ine": "1234567890C", "certification": "50022141", "step": "APPRENTICE", "effectiveDate": recent.isoformat()},
    ]
    app = create_app(settings, database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as client:
        await client.post("/graphql", json={"query": "mutation($i: [StepInput!]!) { recordSteps(input: $i) { accepted } }",
                                            "variables": {"i": steps}}, headers={"Authorization": f"Bearer {vendor.api_key}"})
    figures = "SELECT sum(entries), sum(exits) FROM status_change"
    async with database.engine.connect() as connection:
        before = tuple((await connection.execute(text(figures))).one())
    dry = hub(fresh_database_url, "purge", "--dry-run")
    assert dry.returncode == 0 and "would purge 1 youths" in dry.stdout
    done = hub(fresh_database_url, "purge")
    assert done.returncode == 0 and "purged 1 youths" in done.stdout, done.stderr
    async with database.engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM youth"))).scalar_one() == 1
        assert (await connection.execute(text("SELECT array_agg(event_id ORDER BY event_id) FROM step_event"))).scalar_one() == ["o2", "r2"]
        assert tuple((await connection.execute(text(figures))).one()) == before  # past figures stay
    await database.dispose()
    assert hub(fresh_database_url, "purge", "--older-than", "3").returncode == 2
