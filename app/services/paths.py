"""Recomputing the derived path segments of youths from their stored steps."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from app.db import RequestSession
from app.domain.timeline import Rules, Step, StepFact, timeline
from app.repositories.paths import PathRepository
from app.repositories.steps import StepRepository
from app.settings import Settings


def rules_of(settings: Settings) -> Rules:
    return Rules(
        version=settings.rule_version,
        registered_dropout_days=settings.registered_dropout_days,
        broken_dropout_days=settings.broken_dropout_days,
        completion_window_days=settings.completion_window_days,
    )


async def recompute(db: RequestSession, settings: Settings, youth_ids: Sequence[int]) -> int:
    """Replace the segments of these youths; returns how many segments they now have."""
    youth_ids = sorted(set(youth_ids))
    if not youth_ids:
        return 0
    steps = StepRepository(db)
    rows = await steps.of_youths(youth_ids)
    by_youth: dict[int, list[StepFact]] = defaultdict(list)
    contract_uais: set[str] = set()
    for row in rows:
        by_youth[row.youth_id].append(
            StepFact(Step(row.step), row.effective_date, row.id, row.uai, row.certification_code, row.contract_start, row.contract_end)
        )
        if row.contract_end is not None:
            contract_uais.add(row.uai)
    ends: dict[tuple[str, str], date] = {}
    if contract_uais:
        ends = {(r.uai, r.certification_code): r.session_end for r in await steps.training_ends(sorted(contract_uais))}
    rules = rules_of(settings)
    columns: dict[str, list[Any]] = {
        key: [] for key in ("youth_id", "valid_from", "valid_to", "status", "uai", "certification", "cause", "rule_version")
    }
    for youth_id, facts in by_youth.items():
        for segment in timeline(facts, rules, lambda uai, cert: ends.get((uai, cert))):
            columns["youth_id"].append(youth_id)
            columns["valid_from"].append(segment.start)
            columns["valid_to"].append(segment.end)
            columns["status"].append(segment.status.value)
            columns["uai"].append(segment.uai)
            columns["certification"].append(segment.certification)
            columns["cause"].append(segment.cause.value)
            columns["rule_version"].append(rules.version)
    await PathRepository(db).replace(youth_ids, columns)
    return len(columns["youth_id"])
