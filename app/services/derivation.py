"""Deferred derivation (``HUB_DERIVATION=deferred``): recordSteps stores the facts, the deriver
keeps the derived rows.

In inline mode (the default) recordSteps recomputes, in its own transaction, everything the reads
need: the youths' paths, the headcounts' change points, the spans of risk and the wishes'
outcomes. That is two thirds of a batch's cost. In deferred mode the batch only queues the youths
it touched (``pending_derivation``: one row a batch), and a deriver running in every hub process
merges the queued rows (a youth touched by several batches in between is derived once) and takes
them by thousands, recomputing them with the same functions as inline mode.

Correctness under concurrency rests on three rules:

1. a batch queues the youths it wrote steps for (found, created or whose event it replaced) in
   the transaction that writes their steps, so the queue row and the steps commit together; it
   need not lock the youths (by INE alone, youths are never merged);
2. a deriver merges queued rows into coalesced ones in a transaction of its own (the youths stay
   queued throughout: rows are moved, never dropped), then, in the transaction that derives
   them, deletes one coalesced row and locks its youths, skipping the locked ones (a youth held
   by another deriver, an erasure or a NIR-matching batch is queued again) *before* it reads
   their steps and wishes: what a batch committed before that deletion is read, and the row of
   a batch committing after it is not deleted and brings the youth back in a later round;
3. derivations of one youth never overlap (the lock), so the change points, which are sums of
   differences between a youth's old and new paths, stay exact.

What is not covered: reads of derived data (situations, headcounts, offers' enrolment, outcomes,
youths at risk) lag the facts by the queue's age: under a second when batches pause, at most
about HUB_DERIVATION_MAX_WAIT_S plus a round under continuous load. ``hub derive`` drains the
queue from the command line, and ``/readyz`` reports the backlog.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

import asyncpg
from sqlalchemy.exc import DBAPIError

from app.db import Database, RequestSession, is_unavailable
from app.domain.dates import today as france_today
from app.domain.timeline import StepFact
from app.repositories.derivation import DerivationFailures, DerivationQueue, RecomputeProgress
from app.repositories.headcounts import HeadcountRepository
from app.repositories.wishes import WishRepository
from app.repositories.youths import YouthRepository
from app.services import outcomes
from app.services.paths import recompute
from app.settings import Settings

log = logging.getLogger("hub.derivation")
T = TypeVar("T")
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
REDERIVE_CHUNK = 2000  # youths locked and derived together by rederive


class Activity:
    """Batches in flight in this process, for the deriver to give way to them."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.last_end = 0.0

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1
            self.last_end = time.monotonic()

    def quiet_for(self) -> float:
        """Seconds since the last batch ended (0 while one runs)."""
        return 0.0 if self.in_flight else time.monotonic() - self.last_end


activity = Activity()


@dataclass(frozen=True, slots=True)
class Round:
    youths: int  # youths taken from the queue and derived
    paths: int  # of which paths recomputed


async def derive_round(db: RequestSession, settings: Settings) -> Round:
    """Take one coalesced row of queued youths and derive them, in the caller's transaction
    (the caller commits)."""
    taken = await DerivationQueue(db).take()
    if not taken:
        return Round(0, 0)
    youth_ids = sorted(taken)
    # As inline: every step moves something derived (the risks at least), so every youth queued
    # is recomputed (the queue's ``paths`` flags, from before rules 2027.1, are not read).
    await derive(db, settings, youth_ids, youth_ids)
    return Round(len(youth_ids), len(youth_ids))


async def backlog(db: RequestSession) -> tuple[int, float | None]:
    """Youths queued for the deriver, and the age in seconds of the oldest (/readyz, hub derive)."""
    return await DerivationQueue(db).backlog()


async def set_aside_count(db: RequestSession) -> int:
    """Youths set aside after a failed derivation."""
    return await DerivationFailures(db).count()


async def rederive(db: RequestSession, settings: Settings, youth_ids: Sequence[int], *, with_outcomes: bool) -> None:
    """Derive these youths' paths and spans of risk again (and their wishes' outcomes with
    ``with_outcomes``), in the caller's transaction: a chunk of REDERIVE_CHUNK youths at a time, each
    locked first (a change of consent or of sessions touches youths no batch is holding)."""
    repository = YouthRepository(db)
    for offset in range(0, len(youth_ids), REDERIVE_CHUNK):
        chunk = youth_ids[offset:offset + REDERIVE_CHUNK]
        await repository.lock(chunk)
        await derive(db, settings, chunk, chunk if with_outcomes else ())


async def derive(
    db: RequestSession, settings: Settings, path_youths: Collection[int], outcome_youths: Collection[int], *,
    histories: Mapping[int, list[StepFact]] | None = None, links: Sequence[tuple[str, str]] = (),
) -> int:
    """Recompute the paths (and spans of risk) of ``path_youths`` and the wishes' outcomes of
    ``outcome_youths`` and of ``links``, in the caller's transaction; returns how many youths
    were set aside.

    One youth's derivation that fails (bad data stored before a check existed, a bug) must not
    stop the others': the work runs inside a savepoint, and when it fails it is done again by
    halves, down to the youths that fail on their own, which are set aside in
    ``derivation_failure`` (with their error; a log line without identifiers says how many). A
    database that went away, or a deadlock (retried by the caller), is not a youth's failure."""
    paths, outcome_ids = sorted(set(path_youths)), sorted(set(outcome_youths))

    async def work(youths: set[int] | None, with_links: bool) -> None:
        chosen = paths if youths is None else [y for y in paths if y in youths]
        known = histories if histories is None or youths is None else {y: h for y, h in histories.items() if y in youths}
        await recompute(db, settings, chosen, histories=known)
        await outcomes.refresh(db, settings, youth_ids=outcome_ids if youths is None else [y for y in outcome_ids if y in youths],
                               links=links if with_links else ())

    if await _attempt(db, lambda: work(None, True)) is None:
        return 0
    failures: dict[int, BaseException] = {}
    await _halves(db, sorted(set(paths) | set(outcome_ids)), lambda youths: work(set(youths), False), failures)
    if links:  # the linked wishes' outcomes, which no youth of these names
        error = await _attempt(db, lambda: outcomes.refresh(db, settings, links=links))
        if error is not None:
            raise error
    if failures:
        await DerivationFailures(db).set_aside([(y, f"{type(e).__name__}: {e}") for y, e in sorted(failures.items())])
        kinds = sorted({type(e).__name__ for e in failures.values()})
        log.warning("derivation failed for %d youth(s), set aside (%s); the others were derived", len(failures),
                    ", ".join(kinds))
    return len(failures)


async def _attempt(db: RequestSession, work: Callable[[], Awaitable[object]]) -> BaseException | None:
    """``work`` inside a savepoint: None when it succeeded, else its error (rolled back to the
    savepoint). Errors that are no youth's fault are raised."""
    await db.run("SAVEPOINT derivation")
    try:
        await work()
    except Exception as error:
        if is_unavailable(error) or _sqlstate(error) in RETRYABLE_SQLSTATES:
            raise
        await db.run("ROLLBACK TO SAVEPOINT derivation")
        return error
    await db.run("RELEASE SAVEPOINT derivation")
    return None


async def _halves(
    db: RequestSession, youths: list[int], work: Callable[[list[int]], Awaitable[None]], failures: dict[int, BaseException]
) -> None:
    """Derive ``youths`` by halves until each failure is a youth's own."""
    if not youths:
        return
    error = await _attempt(db, lambda: work(youths))
    if error is None:
        return
    if len(youths) == 1:
        failures[youths[0]] = error
        return
    middle = len(youths) // 2
    await _halves(db, youths[:middle], work, failures)
    await _halves(db, youths[middle:], work, failures)


def _sqlstate(error: BaseException) -> str | None:
    original = error.orig if isinstance(error, DBAPIError) else error
    return getattr(original, "sqlstate", None)


def rules_key(settings: Settings) -> str:
    """The rules a derivation applies: their version and every threshold."""
    return "|".join(str(value) for value in (
        settings.rule_version, settings.registered_dropout_days, settings.broken_dropout_days,
        settings.completion_window_days, settings.no_contract_alert_days, settings.wish_not_handled_days,
        settings.handled_not_registered_days, settings.dropped_out_shown_days,
    ))


@dataclass(frozen=True, slots=True)
class Recomputed:
    youths: int  # youths recomputed by this run
    resumed_from: int  # youths an interrupted run had done before
    total: int  # youths in the store


async def recompute_everyone(
    database: Database, settings: Settings, *, chunk: int = 2_000, restart: bool = False,
    on_start: Callable[[int, int], None] | None = None, on_chunk: Callable[[int], None] | None = None,
) -> Recomputed:
    """Every youth's path, spans of risk, change points and wishes' outcomes again with the
    current rules (``hub recompute``), a chunk of youths per transaction, each locked as the
    derivers lock them so that the hub keeps running. An interrupted run resumes after the last
    chunk it committed (unless ``restart``); a youth whose derivation fails is set aside."""
    rules = rules_key(settings)

    async def begin(db: RequestSession) -> tuple[tuple[int, int] | None, int]:
        progress = RecomputeProgress(db)
        point = None if restart else await progress.resume_point(rules)
        if point is None:
            await progress.forget()
        return point, await progress.youths()

    point, total = await _committed(database, begin) or (None, 0)
    after, before = point or (0, 0)
    if on_start is not None:
        on_start(total, before)
    done = 0
    while True:
        async def one_chunk(db: RequestSession) -> list[int]:
            progress = RecomputeProgress(db)
            youths = await progress.youths_after(after, chunk)
            if youths:
                await derive(db, settings, youths, youths)
                await progress.advance(rules, youths[-1], before + done + len(youths))
            return youths

        youths = await _committed(database, one_chunk)
        if youths is None:
            continue  # a deadlock was rolled back: again
        if not youths:
            break
        after, done = youths[-1], done + len(youths)
        if on_chunk is not None:
            on_chunk(len(youths))
    await _committed(database, lambda db: RecomputeProgress(db).forget())
    return Recomputed(done, before, total)


async def sweep_outcomes(database: Database, settings: Settings, today: date | None = None, *, chunk: int = 2_000) -> int:
    """Refresh the wishes' outcomes a rule changes by ``today`` (an abandon on the 91st day
    without contract), a chunk per transaction; returns how many changed (``hub sweep``, and the
    sweeper of every hub process)."""
    day = today or france_today()
    changed = 0
    while True:
        async def one_chunk(db: RequestSession) -> tuple[int, int]:
            due = await WishRepository(db).due_for_sweep(day, chunk)
            return len(due), (await outcomes.refresh(db, settings, wish_ids=due, today=day) if due else 0)

        done = await _committed(database, one_chunk)
        if done is None:
            continue
        changed += done[1]
        if done[0] < chunk:
            return changed


async def advance_cut(database: Database, today: date | None = None) -> bool:
    """Move the CFAs' headcount sums (``cfa_status_base``) and the offers' intakes on to today, so
    that a headcount by CFA on today reads them alone (the batches add what they write for days
    up to the cut, today's steps included; a later day adds the change points dated between);
    False when they were there (the sweeper of every hub process, ``hub sweep``)."""
    day = today or france_today()

    async def move(db: RequestSession) -> bool:
        return await HeadcountRepository(db).advance_cut(day)

    return bool(await _committed(database, move))


class Sweeper:
    """The outcome sweeper of one hub process: every ``outcome_sweep_s``, the outcomes whose day
    has come (processes share the work: each chunk skips the wishes another holds)."""

    def __init__(self, database: Database, settings: Settings):
        self.database, self.settings = database, settings
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name="hub-sweeper")

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
            self.task = None

    async def _run(self) -> None:
        while True:
            try:
                changed = await sweep_outcomes(self.database, self.settings)
                if changed:
                    log.info("outcome sweep: %d outcomes changed by the rules", changed)
                await advance_cut(self.database)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - the loop must outlive any failure
                log.warning("outcome sweep failed: %s", "database unavailable" if is_unavailable(error) else type(error).__name__)
            await asyncio.sleep(self.settings.outcome_sweep_s)


async def retry_set_aside(database: Database, settings: Settings) -> int:
    """Queue again every youth set aside (``hub derive --retry``); returns how many."""
    async def requeue(db: RequestSession) -> int:
        youths = await DerivationFailures(db).youths()
        if youths:
            await DerivationQueue(db).add(youths, [True] * len(youths))
        return len(youths)

    queued = await _committed(database, requeue)
    return queued or 0


async def drain(
    database: Database, settings: Settings, *, on_round: Callable[[Round], None] | None = None,
) -> int:
    """Derive until the queue is empty (or holds only youths that other transactions keep
    locked); one transaction per round. Returns the youths derived."""
    total = 0
    while True:
        derived = await _one_round(database, settings)
        if derived is None:
            continue  # a deadlock was rolled back: try again
        if on_round is not None:
            on_round(derived)
        total += derived.youths
        if derived.youths == 0:
            return total


async def _one_round(database: Database, settings: Settings) -> Round | None:
    """Coalesce what batches queued (a short transaction), then derive one coalesced row (a
    transaction of its own). None when a deadlock was rolled back."""
    if await _committed(database, lambda db: DerivationQueue(db).coalesce(settings.derivation_batch)) is None:
        return None
    return await _committed(database, lambda db: derive_round(db, settings))


async def _committed(database: Database, work: Callable[[RequestSession], Awaitable[T]]) -> T | None:
    """``work`` in a transaction of its own, committed; None when it met a deadlock (rolled back)."""
    db = database.session()
    try:
        result = await work(db)
        await db.commit()
        return result
    except (DBAPIError, asyncpg.PostgresError) as error:
        await db.rollback()
        original = error.orig if isinstance(error, DBAPIError) else error
        if getattr(original, "sqlstate", None) in RETRYABLE_SQLSTATES:
            await asyncio.sleep(random.uniform(0.01, 0.05))
            return None
        raise
    finally:
        await db.close()


class Deriver:
    """The background deriver of one hub process: rounds while there is work, a short pause when
    the queue is empty, a longer one while the database is away. Several processes share the
    queue without overlapping (row locks)."""

    def __init__(self, database: Database, settings: Settings):
        self.database = database
        self.settings = settings
        self.task: asyncio.Task[None] | None = None
        self.derived = 0

    def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name="hub-deriver")

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            try:
                await self.task
            except asyncio.CancelledError:
                pass
            self.task = None

    async def _give_way(self) -> bool:
        """Wait while batches keep coming, in this process or another (the newest batch's queue
        row tells), up to ``derivation_max_wait_s``; True when the wait ran out (batches never
        paused). A process whose own batches paused would otherwise derive while the others'
        still come, and take the machine from them."""
        quiet, longest, started = self.settings.derivation_quiet_s, self.settings.derivation_max_wait_s, time.monotonic()
        while True:
            waited = activity.quiet_for()
            if waited >= quiet:
                age = await self._newest_batch_age()
                if age is None or age >= quiet:
                    return False
                waited = age
            left = longest - (time.monotonic() - started)
            if left <= 0:
                return True
            await asyncio.sleep(min(max(quiet - waited, 0.05), left))

    async def _newest_batch_age(self) -> float | None:
        """Seconds since the newest batch waiting for coalescing was queued (None: none waits, or
        the database cannot say)."""
        db = self.database.session()
        try:
            return await DerivationQueue(db).newest_batch_age()
        except Exception as error:  # noqa: BLE001 - the round itself will meet the same problem and say it
            if not is_unavailable(error):
                log.warning("derivation queue unreadable: %s", type(error).__name__)
            return None
        finally:
            await db.rollback()
            await db.close()

    async def _run(self) -> None:
        idle = self.settings.derivation_idle_s
        # Once the wait ran out, rounds follow one another until the queue is drained: under
        # sustained ingestion the derived rows keep up (and batches share the machine with them)
        # instead of falling further behind by a round every max_wait_s.
        catching_up = False
        while True:
            if not catching_up:
                catching_up = await self._give_way()
            try:
                started = time.perf_counter()
                derived = await _one_round(self.database, self.settings)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - the loop must outlive any failure
                unavailable = is_unavailable(error)
                log.warning("derivation round failed: %s", "database unavailable" if unavailable else type(error).__name__)
                await asyncio.sleep(max(idle, 1.0) if unavailable else idle)
                continue
            if derived is None:
                continue
            if derived.youths:
                self.derived += derived.youths
                log.debug("derived %d youths (%d paths) in %.0f ms", derived.youths, derived.paths,
                          (time.perf_counter() - started) * 1000)
                if derived.youths < self.settings.derivation_batch:
                    catching_up = False  # drained (or only youths held by batches are left)
                continue
            catching_up = False
            await asyncio.sleep(idle)
