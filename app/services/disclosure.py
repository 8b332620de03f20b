"""Where aggregates leave the hub: the one place that applies the disclosure rule
(app/domain/disclosure.py) as the reader's scope says (app/domain/scope.py). Every count of
youths or wishes a role that must not see persons reads goes through :func:`shown` (rows of
counts) or :func:`shown_offer` (an offer's enrolled and vacancies)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.domain.disclosure import Shown, protect, protect_counts, vacancies
from app.domain.scope import Scope


def shown(scope: Scope, counts: Mapping[str, int]) -> Shown:
    """A row's counts as ``scope`` reads them: exact, or protected with the suppressed fields."""
    if not scope.protected_counts:
        return Shown(dict(counts), [])
    return protect_counts(counts)


def shown_count(scope: Scope, count: int) -> int:
    """One count of youths or wishes in an aggregate, as ``scope`` reads it."""
    return protect(count) if scope.protected_counts else count


def offers_enrolled(scope: Scope) -> str:
    """How the offers' enrolled enter the places of aggregate rows (their vacancies and excess,
    summed in SQL, app/repositories/headcounts.py): "protected" or "exact"."""
    return "protected" if scope.protected_counts else "exact"


def shown_offer(scope: Scope, row: Mapping[str, Any]) -> dict[str, Any]:
    """An offer row (with its exact ``enrolled``) as ``scope`` reads it, with its ``vacancies``
    computed from the enrolled shown."""
    offer = dict(row)
    if scope.protected_offer_counts:
        offer["enrolled"] = protect(offer["enrolled"])
    capacity = offer["revised_capacity"] if offer["revised_capacity"] is not None else offer["capacity"]
    offer["vacancies"] = vacancies(capacity, offer["enrolled"])
    return offer
