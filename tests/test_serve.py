"""`hub serve` as a real process: it migrates, listens, and answers through uvicorn."""

from __future__ import annotations

import os
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
