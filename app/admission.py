"""Who may come in: the request's key looked up once, its rate limits, and its cost charged.

For the API's paths (/graphql, /exports/…, /imports/…), after the body was read (app/bodies.py)
and before the request's work:

- a request without a valid key (none, malformed, or unknown to the store) takes a token from
  its client address's bucket, kept in this process (``HUB_ANONYMOUS_*``; IPv6 addresses by
  /64). Once that bucket is empty, the address's requests are refused (429) before anything
  touches the database, except those bearing a key this process recently admitted: a flood of
  anonymous or made-up keys never turns into database work, and a valid client behind the same
  address is not locked out by it. A key costs a keyed hash and, unless refused so, one indexed
  look-up;
- a valid key takes a token from its client's bucket in the store (app/ratelimit.py), shared by
  every worker, by the statement that looks it up;
- once the request is answered, what it cost beyond its token (its bulk records, exported rows,
  estimated cost: ``RequestCost``, filled by the layers that know) is owed, and taken from the
  client's bucket with the key's next admission in this process (no statement of its own): a
  client that keeps sending costly requests finds its bucket empty, as its costs deserve.

The principal (or None) and the cost are left in the request's state for the endpoints.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict

from starlette.types import ASGIApp, Receive, Scope, Send

from app import auth
from app.bodies import refuse
from app.ratelimit import RateLimited, RequestCost
from app.security import hash_api_key, looks_like_api_key
from app.settings import Settings

GUARDED = ("/graphql", "/exports/", "/imports/")


class AddressBuckets:
    """Token buckets per client address, in this process, the least recently used forgotten
    beyond ``size`` addresses (a forgotten address starts afresh with a full bucket)."""

    def __init__(self, rate: float, burst: int, size: int = 100_000):
        self.rate, self.burst, self.size = rate, float(burst), size
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # address -> (tokens, when)

    def _level(self, address: str, now: float) -> float:
        tokens, when = self._buckets.get(address, (self.burst, now))
        return min(self.burst, tokens + (now - when) * self.rate)

    def wait(self, address: str) -> float:
        """Seconds before the address has a token again (0: it has one)."""
        if address not in self._buckets:
            return 0.0
        level = self._level(address, time.monotonic())
        return 0.0 if level >= 1 else (1 - level) / self.rate

    def take(self, address: str) -> float:
        """Take a token: 0 when there was one, else the seconds to wait (nothing taken)."""
        now = time.monotonic()
        level = self._level(address, now)
        if level < 1:
            return (1 - level) / self.rate
        self._buckets[address] = (level - 1, now)
        self._buckets.move_to_end(address)
        if len(self._buckets) > self.size:
            self._buckets.popitem(last=False)
        return 0.0


class KnownKeys:
    """Keyed hashes of the keys this process admitted lately (``ttl_s``), at most ``size``."""

    def __init__(self, ttl_s: float = 300.0, size: int = 10_000):
        self.ttl_s, self.size = ttl_s, size
        self._until: OrderedDict[bytes, float] = OrderedDict()

    def __contains__(self, key_hash: bytes) -> bool:
        until = self._until.get(key_hash)
        return until is not None and until > time.monotonic()

    def add(self, key_hash: bytes) -> None:
        self._until[key_hash] = time.monotonic() + self.ttl_s
        self._until.move_to_end(key_hash)
        if len(self._until) > self.size:
            self._until.popitem(last=False)


def client_address(scope: Scope) -> str:
    """The client's address (behind a proxy, uvicorn's --forwarded-allow-ips makes it the real
    one); an IPv6 address stands for its /64, which one host usually holds whole."""
    client = scope.get("client")
    host = client[0] if client else "unknown"
    if ":" in host:
        groups = host.split("%")[0].split(":")
        if "" in groups:  # compressed: expand it
            import ipaddress

            try:
                groups = ipaddress.IPv6Address(host.split("%")[0]).exploded.split(":")
            except ValueError:
                return host
        return ":".join(groups[:4]) + "::/64"
    return host


class Admission:
    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.settings = settings
        self.pepper = settings.key_pepper.get_secret_value()
        self.addresses = AddressBuckets(settings.anonymous_rate_per_second, settings.anonymous_burst)
        self.known_keys = KnownKeys()
        self.owing: dict[bytes, float] = {}  # key hash -> tokens its answered requests owe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(GUARDED) or scope["method"] == "GET" and scope["path"] == "/graphql":
            await self.app(scope, receive, send)  # GET /graphql: the development IDE's page, or refused before
            return
        state = scope["state"]
        db = state["db"]
        cost = state["cost"] = RequestCost()
        token = auth.bearer_token(dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1") or None)
        address = client_address(scope)
        principal, key_hash = None, None
        if token is None or not looks_like_api_key(token):
            wait = self.addresses.take(address)
            if wait:
                await self._too_many(send, wait)
                return
        else:
            key_hash = hash_api_key(self.pepper, token)
            if key_hash not in self.known_keys:
                wait = self.addresses.wait(address)
                if wait:
                    await self._too_many(send, wait)
                    return
            owing = self.owing.pop(key_hash, 0.0)
            try:
                principal = await auth.admit_key(db, key_hash, self.settings, 1.0 + owing)
            except RateLimited as refused:
                state["client_id"] = str(refused.client_id)  # for the request log
                await refuse(send, 429, "RATE_LIMITED", str(refused), [(b"retry-after", str(refused.retry_after).encode())])
                return
            if principal is None:
                self.addresses.take(address)  # a made-up key counts as a request without one
            else:
                self.known_keys.add(key_hash)
                state["client_id"] = str(principal.client_id)
        state["principal"] = principal
        try:
            await self.app(scope, receive, send)
        finally:
            if principal is not None and key_hash is not None:
                self._owe(key_hash, cost)

    def _owe(self, key_hash: bytes, cost: RequestCost) -> None:
        owed = cost.tokens(self.settings)
        if owed > 0:
            if len(self.owing) >= 10_000:
                self.owing.clear()  # rather forgotten than hoarded: a worker holds at most that many
            self.owing[key_hash] = self.owing.get(key_hash, 0.0) + owed

    async def _too_many(self, send: Send, wait: float) -> None:
        seconds = max(1, math.ceil(wait))
        await refuse(send, 429, "RATE_LIMITED", f"too many requests without a valid key from this address: retry in {seconds} s",
                     [(b"retry-after", str(seconds).encode())])
