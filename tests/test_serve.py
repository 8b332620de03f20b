"""`hub serve` as a real process: it migrates, listens, and answers through uvicorn."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("workers", [1, 2])
async def test_hub_serve_migrates_and_answers(fresh_database_url, workers):
    port = free_port()
    env = {**os.environ, "HUB_DATABASE_URL": fresh_database_url, "HUB_LOG_LEVEL": "WARNING", "HUB_ENV": "test"}
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        status = None
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            while time.monotonic() < deadline:
                try:
                    response = await client.get("/readyz")
                    status = response.status_code
                    if status == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
            assert status == 200, process.stdout.read1().decode() if process.poll() is not None else status
            body = (await client.post("/graphql", json={"query": "{ me { id } }", "variables": {}})).json()
            assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    finally:
        process.terminate()
        process.wait(timeout=20)
        process.stdout.close()


def test_sigterm_stops_the_embedded_postgresql_with_the_hub(tmp_path):
    """`hub serve` on the embedded database, stopped by SIGTERM (docker stop, systemd): the
    PostgreSQL it started must not be left running."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "HUB_DATABASE_URL"}
    env.update({"HUB_DATA_DIR": str(tmp_path / "hub"), "HUB_LOG_LEVEL": "WARNING", "HUB_ENV": "test"})
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    pidfile = tmp_path / "hub" / "pgdata" / "postmaster.pid"
    postmaster = None
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        assert pidfile.exists()
        postmaster = int(pidfile.read_text().splitlines()[0])
        process.terminate()
        assert process.wait(timeout=60) == 0
        for _ in range(100):
            if not os.path.exists(f"/proc/{postmaster}"):
                break
            time.sleep(0.1)
        assert not os.path.exists(f"/proc/{postmaster}"), "the embedded PostgreSQL is still running"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if postmaster is not None and os.path.exists(f"/proc/{postmaster}"):
            os.kill(postmaster, signal.SIGTERM)  # never leave a server behind, even on failure
