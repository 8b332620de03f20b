"""The embedded PostgreSQL (``pgserver`` package) used when ``HUB_DATABASE_URL`` is unset.

The server runs from a data folder (``HUB_DATA_DIR``/pgdata), listens on a Unix socket in
that folder only, and stops when the last process using it exits.
"""

from __future__ import annotations

import logging
import threading
import warnings
from pathlib import Path
from typing import Any

from app.repositories.session import DATABASE_EXISTS

log = logging.getLogger(__name__)

_servers: dict[Path, Any] = {}  # kept alive for the process: the server stops with it
_lock = threading.Lock()


def embedded_database_url(data_dir: Path, database: str = "hub") -> str:
    """Start (or join) the embedded server and return an asyncpg URL to ``database``."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI): harmless here.
        warnings.simplefilter("ignore")
        import pgserver  # imported here: only embedded set-ups pay for it
    logging.getLogger("pgserver").setLevel(logging.WARNING)

    pgdata = (data_dir / "pgdata").resolve()
    with _lock:
        server = _servers.get(pgdata)
        if server is None:
            pgdata.mkdir(parents=True, exist_ok=True)
            log.info("starting embedded PostgreSQL in %s", pgdata)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                server = pgserver.get_server(pgdata, cleanup_mode="stop")  # type: ignore[attr-defined]  # not re-exported
            _servers[pgdata] = server
        exists = server.psql(DATABASE_EXISTS.format(database=database))
        if "(0 rows)" in exists:
            server.psql(f'CREATE DATABASE "{database}";')
    return f"postgresql+asyncpg://postgres@/{database}?host={pgdata}"
