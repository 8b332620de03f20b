"""Per-client rate limit: a token bucket in the store, so that every worker process shares it.

Each request takes one token when it is admitted, and once answered what it cost beyond that
(:class:`RequestCost`: the records of its bulk mutations, the rows it exported, its estimated
cost), so that a client's bulk calls and exports count for what they are; a bucket holds ``rate_limit_burst`` tokens and
refills at ``rate_limit_per_second``. A refused request is counted too (down to one bucket in debt), so a
flood stays refused until it stops; the answer is ``429`` with ``Retry-After``. The bucket's row is
updated by the statement that looks the key up (app/auth.py), in a transaction of its own,
committed at once (without waiting for the disk), so that a client's concurrent requests do not
queue behind one another's work.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.settings import Settings


class RateLimited(Exception):
    def __init__(self, retry_after: int, client_id: object = None):
        super().__init__(f"rate limit reached: retry in {retry_after} s")
        self.retry_after = retry_after
        self.client_id = client_id  # for the request log


def bucket(settings: Settings, cost: float = 1.0) -> tuple[float, float, float]:
    """(burst, rate per second, cost) of admitting one request: a token (and what earlier
    requests of the key left owing, less than a token)."""
    return float(settings.rate_limit_burst), settings.rate_limit_per_second, cost


@dataclass(slots=True)
class RequestCost:
    """What a request cost beyond its admission, charged to its client's bucket once answered."""

    records: int = 0  # records of its bulk mutations (all of them: aliases count together)
    rows: int = 0  # rows it exported
    estimate: int = 0  # its operation's estimated cost (graphql_schema/limits.py)

    def tokens(self, settings: Settings) -> float:
        """Tokens owed beyond the one its admission took: a request costs the larger of one
        token and what it did."""
        did = (
            self.records / settings.rate_cost_records_per_token
            + self.rows / settings.rate_cost_rows_per_token
            + self.estimate / settings.rate_cost_estimate_per_token
        )
        return max(0.0, did - 1.0)


def check(tokens: float | None, settings: Settings, client_id: object) -> None:
    """Raise RateLimited when the bucket went below zero."""
    if tokens is not None and tokens < 0:
        raise RateLimited(max(1, math.ceil(-tokens / settings.rate_limit_per_second)), client_id)
