"""Recomputing youths' derived paths from their stored steps, and reading them back."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from app.db import RequestSession
from app.domain.timeline import Rules, Segment, StepFact, timeline
from app.repositories.paths import PathRepository
from app.repositories.steps import StepRepository
from app.repositories.youths import YouthRepository
from app.settings import Settings


def rules_of(settings: Settings) -> Rules:
    return Rules(
        version=settings.rule_version,
        registered_dropout_days=settings.registered_dropout_days,
        broken_dropout_days=settings.broken_dropout_days,
        completion_window_days=settings.completion_window_days,
    )


async def recompute(
    db: RequestSession,
    settings: Settings,
    youth_ids: Sequence[int],
    *,
    locked: bool = False,
    histories: Mapping[int, list[StepFact]] | None = None,
) -> int:
    """Rewrite the paths of these youths from all their steps; returns the segments written.

    Concurrent batches touching one youth must recompute it one after the other, each reading
    the steps the previous one committed: the youths are locked first, unless the caller
    (``locked=True``) already holds their locks. ``histories`` gives the complete steps of some
    youths (created by this transaction), which are then not read back.
    """
    youth_ids = sorted(set(youth_ids))
    if not youth_ids:
        return 0
    if not locked:
        await YouthRepository(db).lock(youth_ids)
    steps = StepRepository(db)
    known = histories or {}
    facts_of: dict[int, list[StepFact]] = dict(known)
    stored = [y for y in youth_ids if y not in known]
    if stored:
        make = StepFact._make
        for row in await steps.histories(stored):
            facts_of[row.youth_id] = [make(fact) for fact in row.facts]
    contract_uais = {f.uai for facts in facts_of.values() for f in facts if f.contract_end is not None}
    ends: dict[tuple[str, str], date] = {}
    if contract_uais:
        ends = {(r.uai, r.certification_code): r.session_end for r in await steps.training_ends(sorted(contract_uais))}
    rules = rules_of(settings)
    training_end = (lambda uai, certification: ends.get((uai, certification))) if ends else None
    # One array literal per youth and column: codes, UAIs and dates never hold a comma, a
    # brace, a quote or a space, so they need no quoting.
    ids: list[int] = []
    starts: list[str] = []
    statuses: list[str] = []
    uais: list[str] = []
    certifications: list[str] = []
    causes: list[str] = []
    written = 0
    for youth_id, facts in facts_of.items():
        segments = timeline(facts, rules, training_end)
        if not segments:
            continue
        ids.append(youth_id)
        starts.append("{" + ",".join([s.start.isoformat() for s in segments]) + "}")
        statuses.append("{" + ",".join([s.status for s in segments]) + "}")
        uais.append("{" + ",".join([s.uai for s in segments]) + "}")
        certifications.append("{" + ",".join([s.certification for s in segments]) + "}")
        causes.append("{" + ",".join([s.cause for s in segments]) + "}")
        written += len(segments)
    with_path = set(ids)
    columns = {
        "youth_id": ids, "starts": starts, "statuses": statuses, "uais": uais,
        "certifications": certifications, "causes": causes,
    }
    await PathRepository(db).write(columns, [y for y in youth_ids if y not in with_path], rules.version)
    return written


def segment_on(row: Any, day: date) -> Segment | None:
    """The segment of a stored path (a youth_path row) covering ``day``."""
    position = bisect_right(row.starts, day) - 1
    if position < 0:
        return None
    end = row.starts[position + 1] if position + 1 < len(row.starts) else None
    return Segment(
        row.starts[position], end, row.statuses[position], row.uais[position], row.certifications[position], row.causes[position]
    )


async def paths(db: RequestSession, youth_ids: Sequence[int]) -> dict[int, Any]:
    return {row.youth_id: row for row in await PathRepository(db).of_youths(youth_ids)}
