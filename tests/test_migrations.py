"""Migrations: upgrade to head on an empty database, no drift from the models (what `alembic
check` reports), reference data loaded, downgrade to base and back."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.db import make_engine
from app.migrate import downgrade, schema_drift, upgrade
from app.settings import Settings

pytestmark = pytest.mark.migrations


@pytest.fixture
async def fresh_engine(fresh_database_url):
    engine = make_engine(fresh_database_url, Settings(database_url=fresh_database_url))
    yield engine
    await engine.dispose()


async def tables(engine) -> set[str]:
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
        return {row.tablename for row in rows}


async def test_upgrade_head_then_no_drift_then_downgrade_base_and_up_again(fresh_engine):
    await upgrade(fresh_engine)
    assert await schema_drift(fresh_engine) == []
    assert {"cfa", "youth", "wish", "step_event", "api_client", "api_key", "audit_log"} <= await tables(fresh_engine)

    await downgrade(fresh_engine, "base")
    assert await tables(fresh_engine) == {"alembic_version"}

    await upgrade(fresh_engine)
    assert await schema_drift(fresh_engine) == []


async def test_reference_data_is_loaded_by_the_migration(fresh_engine):
    await upgrade(fresh_engine)
    async with fresh_engine.connect() as connection:
        counts = (await connection.execute(text(
            "SELECT (SELECT count(*) FROM region), (SELECT count(*) FROM academie),"
            " (SELECT count(*) FROM department), (SELECT count(*) FROM department WHERE in_101)"
        ))).one()
        corsica = (await connection.execute(text(
            "SELECT code, uai_prefix, region_code FROM department WHERE code IN ('2A', '2B') ORDER BY code"
        ))).all()
    assert tuple(counts) == (26, 35, 108, 101)
    assert [tuple(row) for row in corsica] == [("2A", "620", "94"), ("2B", "720", "94")]


async def test_upgrading_twice_is_harmless(fresh_engine):
    await upgrade(fresh_engine)
    await upgrade(fresh_engine)
    assert await schema_drift(fresh_engine) == []


async def test_the_change_points_are_backfilled_from_existing_paths(fresh_engine):
    from tests.helpers import CHANGE_POINTS_FROM_PATHS, STORED_CHANGE_POINTS

    await upgrade(fresh_engine, "0008_youth_risk")
    async with fresh_engine.begin() as connection:
        await connection.execute(text(
            "INSERT INTO youth_path (youth_id, starts, statuses, uais, certifications, causes, rule_version) VALUES"
            " (1, '{2026-01-05,2026-04-06,2026-06-01}', '{REGISTERED,DROPPED_OUT,APPRENTICE}',"
            "  '{0751234J,0751234J,0750654D}', '{50022141,50022141,50022141}', '{REPORTED,REGISTERED_TOO_LONG,REPORTED}', 'v'),"
            " (2, '{2026-01-05}', '{REGISTERED}', '{0751234J}', '{50022141}', '{REPORTED}', 'v')"
        ))
    await upgrade(fresh_engine)
    async with fresh_engine.connect() as connection:
        stored = [tuple(r) for r in (await connection.execute(text(STORED_CHANGE_POINTS))).all()]
        expected = [tuple(r) for r in (await connection.execute(text(CHANGE_POINTS_FROM_PATHS))).all()]
    assert stored == expected and len(stored) == 5
    assert [r[4:] for r in stored if r[2] == "REGISTERED"] == [(2, 0), (0, 1)]
