"""Per-client rate limit: a token bucket in the store, so that every worker process shares it.

Each request takes one token; a bucket holds ``rate_limit_burst`` tokens and refills at
``rate_limit_per_second``. A refused request is counted too (down to one bucket in debt), so a
flood stays refused until it stops; the answer is ``429`` with ``Retry-After``. The bucket's row is
updated in a transaction of its own, committed at once (without waiting for the disk), so that a
client's concurrent requests do not queue behind one another's work.
"""

from __future__ import annotations

import math
import uuid

from app.db import RequestSession
from app.settings import Settings


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        super().__init__(f"rate limit reached: retry in {retry_after} s")
        self.retry_after = retry_after


async def take(db: RequestSession, client_id: uuid.UUID, settings: Settings, cost: float = 1.0) -> None:
    """Take ``cost`` tokens from the client's bucket, or raise RateLimited."""
    burst, rate = float(settings.rate_limit_burst), settings.rate_limit_per_second
    await db.run("SET LOCAL synchronous_commit = off")
    rows = await db.fetch(
        "INSERT INTO rate_bucket AS b (client_id, tokens, updated_at) VALUES ($1, $2::float8 - $4::float8, clock_timestamp())"
        " ON CONFLICT (client_id) DO UPDATE SET tokens = greatest(-$2::float8,"
        " least($2::float8, b.tokens + extract(epoch FROM clock_timestamp() - b.updated_at)::float8 * $3::float8) - $4::float8),"
        " updated_at = clock_timestamp() RETURNING tokens",
        client_id, burst, rate, cost,
    )
    await db.commit()
    tokens = rows[0][0]
    if tokens < 0:
        raise RateLimited(max(1, math.ceil(-tokens / rate)))
