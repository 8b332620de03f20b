"""Who may come in: the request's key looked up once, its rate limits, and its cost charged.

For the API's paths (/graphql, /exports/…, /imports/…), in two steps: :class:`Gate`, before the
body is read, refuses what it can without the database; :class:`Admission`, once the body was
read (app/bodies.py), looks the key up. In short:

- a request without a valid key (none, malformed, or unknown to the store) takes a token from
  its client address's bucket, kept in this process (``HUB_ANONYMOUS_*``; IPv6 addresses by
  /64). Once that bucket is empty, the address's requests are refused (429) before anything
  touches the database, except those bearing a key this process recently admitted, and one
  other key a second, looked up: a flood of anonymous or made-up keys never turns into more
  than a look-up a second, and a valid client behind the same address is not locked out by it.
  A key costs a keyed hash and, unless refused so, one indexed look-up;
- a valid key takes a token from its client's bucket in the store (app/ratelimit.py), shared by
  every worker, by the statement that looks it up; once the store said the bucket is empty, the
  process refuses that key by itself until it refills (a flooding client costs no statement);
- once the request is answered, what it cost beyond its token (its bulk records, exported rows,
  estimated cost: ``RequestCost``, filled by the layers that know) is owed, and taken from the
  client's bucket with the key's next admission in this process (no statement of its own): a
  client that keeps sending costly requests finds its bucket empty, as its costs deserve.

The principal (or None) and the cost are left in the request's state for the endpoints.
"""

from __future__ import annotations

import asyncio
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


class Doorkeeper:
    """What a process remembers of who comes in: the addresses' buckets, the keys it admitted
    lately, the keys whose client's bucket is empty until when, what answered requests owe."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.pepper = settings.key_pepper.get_secret_value()
        self.addresses = AddressBuckets(settings.anonymous_rate_per_second, settings.anonymous_burst)
        # once an address's bucket is empty, a key this process does not know is still looked up,
        # once a second per address (by default): a valid client behind it gets in (and is known
        # from then on)
        self.probes = AddressBuckets(settings.unknown_key_lookups_per_second, 1)
        self.known_keys = KnownKeys()
        # key hash -> (when its client's bucket has tokens again, the client's id for the request log)
        self.refused_until: dict[bytes, tuple[float, object]] = {}
        self.owing: dict[bytes, float] = {}  # key hash -> tokens its answered requests owe

    def refuse_key_until(self, key_hash: bytes, seconds: float, client_id: object) -> None:
        if len(self.refused_until) >= 10_000:
            self.refused_until.clear()
        self.refused_until[key_hash] = (time.monotonic() + seconds, client_id)

    async def too_many(self, send: Send, wait: float, why: str, *, pause: bool = True) -> None:
        """429 with Retry-After, after a pause (``HUB_REFUSAL_DELAY_S``, at most ``wait``): a
        client that retries at once on the same connection is slowed down to the pace of its
        refusals, and the hub spends a sleeping coroutine, not its cores, on it."""
        seconds = max(1, math.ceil(wait))
        delay = min(self.settings.refusal_delay_s, wait) if pause else 0.0
        if delay > 0:
            await asyncio.sleep(delay)
        await refuse(send, 429, "RATE_LIMITED", f"{why}: retry in {seconds} s", [(b"retry-after", str(seconds).encode())])

    def owe(self, key_hash: bytes, cost: RequestCost) -> None:
        owed = cost.tokens(self.settings)
        if owed > 0:
            if len(self.owing) >= 10_000:
                self.owing.clear()  # rather forgotten than hoarded: a worker holds at most that many
            self.owing[key_hash] = self.owing.get(key_hash, 0.0) + owed


class _AtTheDoor:
    """An ASGI middleware of the API's paths (GET /graphql, the development IDE's page or
    refused by GraphQLGuard, aside), sharing the process's :class:`Doorkeeper`."""

    def __init__(self, app: ASGIApp, doorkeeper: Doorkeeper):
        self.app = app
        self.door = doorkeeper

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(GUARDED) and not (
                scope["method"] == "GET" and scope["path"] == "/graphql"):
            await self.enter(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def enter(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class Gate(_AtTheDoor):
    """The refusals that need no database, before the body is read: a request without a
    well-formed key when its address's bucket is empty; a key whose client's bucket the store
    said empty, until it refills; a key this process does not know from an address whose bucket
    is empty. The key's keyed hash is left in the request's state for :class:`Admission`."""

    async def enter(self, scope: Scope, receive: Receive, send: Send) -> None:
        door = self.door
        token = auth.bearer_token(dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1") or None)
        address = client_address(scope)
        key_hash = None
        if token is None or not looks_like_api_key(token):
            wait = door.addresses.take(address)
            if wait:
                await door.too_many(send, wait, "too many requests without a valid key from this address")
                return
        else:
            key_hash = hash_api_key(door.pepper, token)
            refused = door.refused_until.get(key_hash)
            if refused is not None and refused[0] > time.monotonic():
                scope.setdefault("state", {})["client_id"] = str(refused[1])  # for the request log
                await door.too_many(send, refused[0] - time.monotonic(), "rate limit reached")
                return
            if key_hash not in door.known_keys and door.addresses.wait(address):
                wait = door.probes.take(address)
                if wait:
                    await door.too_many(send, wait, "too many requests without a valid key from this address")
                    return
        state = scope.setdefault("state", {})
        state["key_hash"], state["address"] = key_hash, address
        await self.app(scope, receive, send)


class Admission(_AtTheDoor):
    """The key's look-up (one statement: key, client, last use, the client's bucket), once the
    body was read and the request's session opened; the principal (or None) and the request's
    cost are left in its state; what the request cost is owed once it is answered."""

    async def enter(self, scope: Scope, receive: Receive, send: Send) -> None:
        door = self.door
        state = scope["state"]
        cost = state["cost"] = RequestCost()
        key_hash: bytes | None = state.get("key_hash")
        principal = None
        if key_hash is not None:
            owing = door.owing.pop(key_hash, 0.0)
            try:
                principal = await auth.admit_key(state["db"], key_hash, door.settings, 1.0 + owing)
            except RateLimited as refused:
                state["client_id"] = str(refused.client_id)  # for the request log
                door.refuse_key_until(key_hash, refused.retry_after, refused.client_id)
                # at once: this request holds a pooled connection (the gate pauses the next ones)
                await door.too_many(send, refused.retry_after, "rate limit reached", pause=False)
                return
            if principal is None:
                door.addresses.take(state["address"])  # a made-up key counts as a request without one
            else:
                door.known_keys.add(key_hash)
                state["client_id"] = str(principal.client_id)
        state["principal"] = principal
        try:
            await self.app(scope, receive, send)
        finally:
            if principal is not None and key_hash is not None:
                door.owe(key_hash, cost)


