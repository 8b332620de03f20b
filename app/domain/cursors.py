"""Opaque pagination cursors: a tagged tuple of sort-key values, base64url-encoded JSON.

The tag ties a cursor to one list so that a cursor from another list (or forged) is refused
as BAD_USER_INPUT rather than silently misread.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any


class CursorError(ValueError):
    pass


def encode_cursor(tag: str, *values: Any) -> str:
    parts = [_plain(value) for value in (tag, *values)]
    if None in parts:
        raw = json.dumps([tag, *values], separators=(",", ":"), default=str).encode()
    else:  # the same bytes as json.dumps, four times faster (a page encodes a cursor per edge)
        raw = ("[" + ",".join(parts) + "]").encode()  # type: ignore[arg-type]
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _plain(value: Any) -> str | None:
    """``value`` as json.dumps writes it, for integers and strings that need no escape; None
    for anything else."""
    if type(value) is int:
        return str(value)
    if type(value) is str and value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return '"' + value + '"'
    return None


def decode_cursor(tag: str, cursor: str, arity: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise CursorError("the cursor is not one this list gave") from exc
    if not isinstance(decoded, list) or len(decoded) != arity + 1 or decoded[0] != tag:
        raise CursorError("the cursor is not one this list gave")
    return decoded[1:]
