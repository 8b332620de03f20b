"""Recomputing youths' derived paths from their stored steps, and reading them back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from app.db import RequestSession
from app.domain.timeline import Rules, StepFact, timeline
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


async def recompute(
    db: RequestSession,
    settings: Settings,
    youth_ids: Sequence[int],
    *,
    histories: Mapping[int, list[StepFact]] | None = None,
) -> int:
    """Rewrite the paths of these youths from all their steps; returns the segments written.

    The caller holds the youths' row locks (or created them in this transaction): concurrent
    batches touching one youth then recompute it one after the other, each reading the steps the
    previous one committed. ``histories`` gives the complete steps of some youths (created by
    this transaction), which are then not read back.
    """
    youth_ids = sorted(set(youth_ids))
    if not youth_ids:
        return 0
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
