"""A hub killed (SIGKILL) in the middle of a stream of 2,000-record batches loses no acknowledged
batch and stores no half batch; after a restart, sending everything again changes nothing."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import text

from app.db import Database, make_engine
from app.domain.dates import today as france_today
from app.migrate import upgrade
from app.settings import Settings
from tests.factories import consenting_vendor

ROOT = Path(__file__).resolve().parent.parent
RECORD = "mutation($input: [StepInput!]!) { recordSteps(input: $input) { accepted unchanged rejected { code } } }"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(url: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "HUB_DATABASE_URL": url, "HUB_ENV": "test", "HUB_LOG_LEVEL": "WARNING",
           "HUB_RATE_LIMIT_BURST": "100000"}
    server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("the hub did not start")


def batch(number: int) -> list[dict]:
    day = (france_today() - timedelta(days=10)).isoformat()
    return [{"eventId": f"b{number}-{i}", "uai": "0751234J", "ine": f"{number:03d}{i:06d}AB", "certification": "50022141",
             "step": "REGISTERED", "effectiveDate": day} for i in range(2000)]


async def test_a_killed_hub_keeps_every_acknowledged_batch_whole(fresh_database_url):
    settings = Settings(database_url=fresh_database_url)
    database = Database(make_engine(fresh_database_url, settings))
    await upgrade(database.engine)
    vendor = await consenting_vendor(database, settings.key_pepper.get_secret_value())
    headers = {"Authorization": f"Bearer {vendor.api_key}"}
    port = free_port()
    server = start(fresh_database_url, port)
    acknowledged: list[int] = []
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            for number in range(3):
                body = (await client.post("/graphql", json={"query": RECORD, "variables": {"input": batch(number)}},
                                          headers=headers)).json()
                assert body["data"]["recordSteps"]["accepted"] == 2000
                acknowledged.append(number)
            in_flight = asyncio.ensure_future(client.post(
                "/graphql", json={"query": RECORD, "variables": {"input": batch(3)}}, headers=headers))
            await asyncio.sleep(0.15)  # the batch is being taken in
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
            try:
                answer = await in_flight
                if answer.status_code == 200 and answer.json()["data"]["recordSteps"]["accepted"] == 2000:
                    acknowledged.append(3)
            except httpx.HTTPError:
                pass  # no answer: not acknowledged
        async with database.engine.connect() as connection:
            counts = dict((await connection.execute(text(
                "SELECT split_part(event_id, '-', 1), count(*) FROM step_event GROUP BY 1"))).all())
        for number in acknowledged:
            assert counts.get(f"b{number}") == 2000, counts  # whole
        assert counts.get("b3", 0) in (0, 2000), counts  # never half a batch
        server = start(fresh_database_url, port)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            for number in range(4):
                result = (await client.post("/graphql", json={"query": RECORD, "variables": {"input": batch(number)}},
                                            headers=headers)).json()["data"]["recordSteps"]
                expected = (0, 2000) if counts.get(f"b{number}") == 2000 else (2000, 0)
                assert (result["accepted"], result["unchanged"]) == expected, number
        async with database.engine.connect() as connection:
            assert (await connection.execute(text("SELECT count(*) FROM step_event"))).scalar_one() == 8000
            assert (await connection.execute(text("SELECT count(*) FROM youth_path"))).scalar_one() == 8000
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        await database.dispose()


async def test_a_database_stopped_immediately_loses_no_acknowledged_batch(tmp_path):
    """PostgreSQL itself stopped with ``pg_ctl stop -m immediate`` (a crash: no checkpoint) in the
    middle of a stream, then started again: the committed batches are all there, whole."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

    pgdata = tmp_path / "pgdata"
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    server.psql('CREATE DATABASE "hub";')
    url = f"postgresql+asyncpg://postgres@/hub?host={pgdata}"
    settings = Settings(database_url=url)
    database = Database(make_engine(url, settings))
    await upgrade(database.engine)
    vendor = await consenting_vendor(database, settings.key_pepper.get_secret_value())
    await database.dispose()
    port = free_port()
    hub = start(url, port)
    headers = {"Authorization": f"Bearer {vendor.api_key}"}
    acknowledged = []
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            for number in range(2):
                body = (await client.post("/graphql", json={"query": RECORD, "variables": {"input": batch(number)}},
                                          headers=headers)).json()
                assert body["data"]["recordSteps"]["accepted"] == 2000
                acknowledged.append(number)
            in_flight = asyncio.ensure_future(client.post(
                "/graphql", json={"query": RECORD, "variables": {"input": batch(2)}}, headers=headers))
            await asyncio.sleep(0.1)
            pgserver.pg_ctl(["-w", "stop", "-m", "immediate"], pgdata=pgdata, user=server.system_user)
            answer = await in_flight
            if answer.status_code == 200 and (answer.json().get("data") or {}).get("recordSteps", {}).get("accepted") == 2000:
                acknowledged.append(2)
            down = await client.post("/graphql", json={"query": "{ me { id } }"}, headers=headers)
            assert down.status_code == 503 and down.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
            # started again, as pgserver starts it: crash recovery replays the WAL
            pgserver.pg_ctl(["-w", "-o", '-h ""', "-o", f"-k {pgdata}", "-l", str(pgdata / "restart.log"), "start"],
                            pgdata=pgdata, user=server.system_user, timeout=30)
            for _ in range(100):
                if (await client.get("/readyz")).status_code == 200:
                    break
                await asyncio.sleep(0.1)
            database = Database(make_engine(url, settings))
            async with database.engine.connect() as connection:
                counts = dict((await connection.execute(text(
                    "SELECT split_part(event_id, '-', 1), count(*) FROM step_event GROUP BY 1"))).all())
            await database.dispose()
            for number in acknowledged:
                assert counts.get(f"b{number}") == 2000, counts
            assert counts.get("b2", 0) in (0, 2000), counts
            replay = (await client.post("/graphql", json={"query": RECORD, "variables": {"input": batch(0)}},
                                        headers=headers)).json()["data"]["recordSteps"]
            assert (replay["accepted"], replay["unchanged"]) == (0, 2000)  # the hub recovered by itself
    finally:
        os.killpg(hub.pid, signal.SIGTERM)
        hub.wait(timeout=30)
        try:
            pgserver.pg_ctl(["-w", "stop", "-m", "fast"], pgdata=pgdata, user=server.system_user, timeout=30)
        except Exception:  # already stopped, or not stopping: its postmaster goes anyway
            pid_file = pgdata / "postmaster.pid"
            if pid_file.exists():
                with contextlib.suppress(OSError, ValueError):
                    os.kill(int(pid_file.read_text().split()[0]), signal.SIGQUIT)
