"""What every benchmark does around its measurement: a database of its own on the server given
(or the embedded one), a `hub serve` started on a free port and stopped after, percentiles."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent


def asyncpg_args(url: str) -> dict[str, object]:
    parsed = make_url(url)
    return {
        "user": parsed.username, "password": parsed.password, "port": parsed.port, "database": parsed.database,
        "host": dict(parsed.query).get("host") or parsed.host,
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def server_url(database_url: str | None) -> str:
    """The maintenance database to create benchmark databases from: the one given, else the
    embedded PostgreSQL in .hub/bench."""
    if database_url is not None:
        return database_url
    from app.embedded import embedded_database_url

    return embedded_database_url(ROOT / ".hub" / "bench", database="postgres")


async def create_database(base: str, name: str | None = None) -> tuple[str, str]:
    """(name, url) of a new empty database on the server of ``base``."""
    name = name or f"hub_bench_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(**asyncpg_args(base))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return name, make_url(base).set(database=name).render_as_string(hide_password=False)


async def drop_database(base: str, name: str) -> None:
    connection = await asyncpg.connect(**asyncpg_args(base))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def start_hub(
    url: str, workers: int = 2, *, ready_within: float = 600.0, rate_limits: bool = False
) -> tuple[subprocess.Popen, int]:
    """`hub serve` on a free port, once /readyz answers (it migrates first); its log goes to
    .hub/bench-server.log. The clients' rate limits are lifted (a benchmark measures speed, and
    a 2,000-record batch costs 10 tokens of 60) unless ``rate_limits`` (bench/abuse.py)."""
    port = free_port()
    env = {**os.environ, "HUB_DATABASE_URL": url, "HUB_ENV": "test", "HUB_LOG_LEVEL": "WARNING"}
    if not rate_limits:
        env.setdefault("HUB_RATE_LIMIT_PER_SECOND", "100000")
        env.setdefault("HUB_RATE_LIMIT_BURST", "100000")
    log_path = ROOT / ".hub" / "bench-server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    print(f"server log: {log_path}", file=sys.stderr)
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env=env, cwd=ROOT, stdout=log_path.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    async with httpx.AsyncClient() as probe:
        for _ in range(int(ready_within * 10)):
            try:
                if (await probe.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return server, port
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    stop_hub(server)
    raise SystemExit(f"the hub did not get ready: see {log_path}")


def stop_hub(server: subprocess.Popen | None) -> None:
    if server is not None and server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


async def post_once(port: int, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """One HTTP/1.1 POST on a connection of its own (closed after), with the least client CPU:
    the load generator shares the machine with the hub and PostgreSQL, and a full-featured
    client (httpx) cost a tenth of the machine in the ingestion benchmark. Status and body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\nConnection: close\r\n{head}\r\n".encode()
            + body
        )
        await writer.drain()
        status_line = await reader.readline()
        length = None
        chunked = False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        if chunked:
            parts = []
            while (size := int((await reader.readline()).split(b";")[0], 16)) > 0:
                parts.append(await reader.readexactly(size))
                await reader.readline()
            payload = b"".join(parts)
        else:
            payload = await reader.readexactly(length) if length is not None else await reader.read()
        return int(status_line.split()[1]), payload
    finally:
        writer.close()
