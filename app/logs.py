"""Structured logs: one JSON object per line (time, level, logger, message, and the request's id,
client, operation, status and duration when there is one). Never an identifier of a youth, a key
or a variable's value: the hub logs what happened and to whom it answered, not what it was sent."""

from __future__ import annotations

import json
import logging
import sys
import time
import traceback
from typing import Any

FIELDS = ("request_id", "client_id", "operation", "method", "path", "status", "duration_ms")


def is_database_error(error: BaseException) -> bool:
    """An error raised by the database or its driver, whose message may quote a value the hub
    sent (PostgreSQL echoes a value it could not take: ``invalid input syntax … "<the value>"``)."""
    return type(error).__module__.split(".")[0] in {"asyncpg", "sqlalchemy"} or hasattr(error, "sqlstate")


class SafeExceptions(logging.Formatter):
    """Tracebacks whose database errors keep their kind and SQLSTATE, not their message: the
    statement's parameters are hidden already (the engine's ``hide_parameters``), and this
    hides what the server's message quotes of them."""

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's name
        _, error, tb = ei
        if error is None:
            return super().formatException(ei)
        trace = traceback.TracebackException(type(error), error, tb)
        _withhold(trace, error, set())
        return "".join(trace.format()).rstrip("\n")


def _withhold(trace: traceback.TracebackException, error: BaseException | None, seen: set[int]) -> None:
    """Replace the message of every database error of the chain (the traceback's links follow
    the exceptions' ``__cause__`` and ``__context__``)."""
    if error is None or id(error) in seen:
        return
    seen.add(id(error))
    if is_database_error(error):
        state = getattr(error, "sqlstate", None) or getattr(getattr(error, "orig", None), "sqlstate", None)
        setattr(trace, "_str", f"(message withheld: SQLSTATE {state or '?'})")  # what the trace prints (private)
    if trace.__cause__ is not None:
        _withhold(trace.__cause__, error.__cause__, seen)
    if trace.__context__ is not None:
        _withhold(trace.__context__, error.__context__, seen)


class JsonFormatter(SafeExceptions):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = str(value) if not isinstance(value, int | float) else value
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str = "INFO", fmt: str = "json") -> None:
    """The root logger writes JSON lines (or plain text with ``fmt="text"``) on standard error;
    uvicorn's own loggers go through it, and its access log is replaced by the hub's request log."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else SafeExceptions("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("alembic").setLevel(logging.WARNING)
