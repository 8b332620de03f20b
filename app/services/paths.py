"""Recomputing youths' derived paths from their stored steps, and reading them back."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from app.db import RequestSession
from app.domain.change_points import change_points
from app.domain.intake import intake_points
from app.domain.risk import Residence, RiskRules, RiskSpan, WishFact, risk_spans
from app.domain.sessions import Session, training_end_on
from app.domain.timeline import CONTRACT_STEPS, Fact, Rules, Segment, StepFact, TrainingEnd, timeline
from app.repositories.paths import PathRepository
from app.repositories.steps import StepRepository
from app.repositories.wishes import WishRepository
from app.settings import Settings


def rules_of(settings: Settings) -> Rules:
    return Rules(
        version=settings.rule_version,
        registered_dropout_days=settings.registered_dropout_days,
        broken_dropout_days=settings.broken_dropout_days,
        completion_window_days=settings.completion_window_days,
    )


def risk_rules_of(settings: Settings) -> RiskRules:
    return RiskRules(
        wish_not_handled_days=settings.wish_not_handled_days, no_contract_days=settings.no_contract_alert_days,
        handled_not_registered_days=settings.handled_not_registered_days,
        dropped_out_shown_days=settings.dropped_out_shown_days,
    )


async def training_ends(db: RequestSession, facts: Iterable[Sequence[Any]]) -> TrainingEnd | None:
    """The training end the offers give to the contracts and ruptures among ``facts`` (StepFact
    tuples) that do not carry their own (app/domain/sessions.py); None when no offer has one."""
    uais = sorted({f[3] for f in facts if f[0] in CONTRACT_STEPS and (len(f) < 8 or f[7] is None)})
    if not uais:
        return None
    sessions: dict[tuple[str, str], list[Session]] = {}
    for uai, certification, start, end in await StepRepository(db).sessions(uais):
        sessions.setdefault((uai, certification), []).append(Session(start, end))
    if not sessions:
        return None
    return lambda uai, certification, day: training_end_on(sessions.get((uai, certification), ()), day)


async def recompute(
    db: RequestSession,
    settings: Settings,
    youth_ids: Sequence[int],
    *,
    histories: Mapping[int, list[StepFact]] | None = None,
) -> int:
    """Rewrite the paths and the spans of risk of these youths from all their steps (and their
    wishes); returns the segments written.

    The caller holds the youths' row locks (or created them in this transaction): concurrent
    batches touching one youth then recompute it one after the other, each reading the steps the
    previous one committed. ``histories`` gives the complete steps of some youths (created by
    this transaction, so without wishes), which are then not read back.
    """
    youth_ids = sorted(set(youth_ids))
    if not youth_ids:
        return 0
    steps = StepRepository(db)
    known = histories or {}
    facts_of: dict[int, list[Fact]] = {youth_id: list(facts) for youth_id, facts in known.items()}
    stored = [y for y in youth_ids if y not in known]
    wishes_of: dict[int, list[WishFact]] = {}
    residences_of: dict[int, list[Residence]] = {}
    if stored:
        facts_of.update(await steps.histories(stored))
        for youth_id, submitted_on, uai, consented, residence in await WishRepository(db).of_youths(stored):
            wishes_of.setdefault(youth_id, []).append(WishFact(submitted_on, uai, consented))
            if residence is not None:
                residences_of.setdefault(youth_id, []).append(Residence(submitted_on, residence))
    for youth_id, facts in facts_of.items():
        given = [Residence(f[1], f[8]) for f in facts if len(f) > 8 and f[8] is not None]
        if given:
            residences_of.setdefault(youth_id, []).extend(given)
    rules, risk_rules = rules_of(settings), risk_rules_of(settings)
    training_end = await training_ends(db, (f for facts in facts_of.values() for f in facts))
    # One array literal per youth and column: codes, UAIs and dates never hold a comma, a
    # brace, a quote or a space, so they need no quoting.
    ids: list[int] = []
    new_segments: list[list[Segment]] = []
    starts: list[str] = []
    statuses: list[str] = []
    uais: list[str] = []
    certifications: list[str] = []
    causes: list[str] = []
    risks: list[tuple[int, RiskSpan]] = []
    written = 0
    for youth_id in youth_ids:
        facts = facts_of.get(youth_id) or []
        segments = timeline(facts, rules, training_end) if facts else []
        wishes = wishes_of.get(youth_id, ())
        if facts or wishes:
            spans = risk_spans(segments, facts, wishes, risk_rules, residences_of.get(youth_id, ()))
            risks.extend((youth_id, span) for span in spans)
        if not segments:
            continue
        ids.append(youth_id)
        new_segments.append(segments)
        columns = list(zip(*segments))  # start, end, status, uai, certification, cause
        starts.append("{" + ",".join([day.isoformat() for day in columns[0]]) + "}")
        statuses.append("{" + ",".join(columns[2]) + "}")
        uais.append("{" + ",".join(columns[3]) + "}")
        certifications.append("{" + ",".join(columns[4]) + "}")
        causes.append("{" + ",".join(columns[5]) + "}")
        written += len(segments)
    with_path = set(ids)
    paths = PathRepository(db)
    replaced = await paths.write(
        [ids, starts, statuses, uais, certifications, causes], [y for y in youth_ids if y not in with_path], rules.version
    )
    new_paths = dict(zip(ids, new_segments))
    await paths.add_changes(change_points(replaced, new_paths))
    await paths.add_intake(intake_points(replaced, new_paths))
    await paths.write_risks(youth_ids, risks, rules.version)
    return written


async def forget(db: RequestSession, youth_ids: Sequence[int]) -> None:
    """Remove what was derived for these youths (erased, or merged into another): their paths,
    taken out of the change points, and their spans of risk."""
    paths = PathRepository(db)
    deleted = await paths.delete(youth_ids)
    await paths.add_changes(change_points(deleted, {}))
    await paths.add_intake(intake_points(deleted, {}))
    await paths.delete_risks(youth_ids)
