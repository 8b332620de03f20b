"""The derivation queue's protocol with real transactions: batches append a row each; derivers
coalesce rows (a youth queued by several batches is derived once) and take one coalesced row
a round, skipping what other transactions hold; erasure and retention exclude batches through
the youth deletion lock instead of row locks."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from app.db import Database, make_engine
from app.migrate import upgrade
from app.repositories.derivation import DerivationQueue
from app.repositories.youths import YouthRepository


@pytest.fixture
async def database(fresh_database_url, settings):
    database = Database(make_engine(fresh_database_url, settings))
    await upgrade(database.engine)
    yield database
    await database.dispose()


async def youths(database: Database, count: int) -> list[int]:
    db = database.session()
    try:
        rows = await db.fetch(
            "INSERT INTO youth (ine_hash) SELECT sha256(i::text::bytea) FROM generate_series(1, $1) AS i RETURNING id", count
        )
        await db.commit()
        return sorted(row[0] for row in rows)
    finally:
        await db.close()


async def queue_rows(database: Database) -> list[tuple]:
    async with database.engine.connect() as connection:
        return [tuple(r) for r in (await connection.execute(text(
            "SELECT youth_ids, paths, coalesced FROM pending_derivation ORDER BY queued_at, id"
        ))).all()]


async def committed(database: Database, work) -> object:
    db = database.session()
    try:
        result = await work(db)
        await db.commit()
        return result
    finally:
        await db.close()


async def test_rows_of_batches_coalesce_into_rounds_of_distinct_youths_in_queueing_order(database):
    a, b, c, d, e = await youths(database, 5)
    for ids, paths in (([c, a], [False, True]), ([a, b, d], [False, False, True]), ([e, c], [False, True])):
        await committed(database, lambda db, ids=ids, paths=paths: DerivationQueue(db).add(ids, paths, ()))
    queued, oldest = await committed(database, lambda db: DerivationQueue(db).backlog())
    assert queued == 7 and oldest >= 0  # c and a twice until coalesced
    merged = await committed(database, lambda db: DerivationQueue(db).coalesce(3))
    assert merged == 5
    assert (await committed(database, lambda db: DerivationQueue(db).backlog()))[0] == 5
    # first queued first; a youth's flags or-ed; at most 3 a row
    assert await queue_rows(database) == [([c, a, b], [True, True, False], True), ([d, e], [True, False], True)]
    assert await committed(database, lambda db: DerivationQueue(db).coalesce(3)) == 0  # nothing left to merge
    taken = await committed(database, lambda db: DerivationQueue(db).take())
    assert taken == {a: True, b: False, c: True}
    assert await queue_rows(database) == [([d, e], [True, False], True)]


async def test_a_deriver_skips_youths_another_transaction_holds_and_queues_them_again(database):
    a, b, c = await youths(database, 3)
    await committed(database, lambda db: DerivationQueue(db).add([a, b, c], [True, False, True], ()))
    await committed(database, lambda db: DerivationQueue(db).coalesce(10))
    holder = database.session()
    try:
        await holder.fetch("SELECT id FROM youth WHERE id = $1 FOR UPDATE", b)  # another deriver, an erasure
        taken = await committed(database, lambda db: DerivationQueue(db).take())
    finally:
        await holder.rollback()
        await holder.close()
    assert taken == {a: True, c: True}
    assert await queue_rows(database) == [([b], [False], False)]  # back in the queue, to be coalesced again
    await committed(database, lambda db: DerivationQueue(db).coalesce(10))
    assert await committed(database, lambda db: DerivationQueue(db).take()) == {b: False}


async def test_erased_youths_leave_the_queue_and_a_taken_row_comes_back_when_its_round_fails(database):
    a, b = await youths(database, 2)
    await committed(database, lambda db: DerivationQueue(db).add([a, b], [True, True], ()))
    await committed(database, lambda db: DerivationQueue(db).coalesce(10))
    failed = database.session()
    try:
        assert await DerivationQueue(failed).take() == {a: True, b: True}
        await failed.rollback()  # the round failed: nothing was taken
    finally:
        await failed.close()
    assert await queue_rows(database) == [([a, b], [True, True], True)]
    await committed(database, lambda db: db.run("DELETE FROM youth WHERE id = $1", a))
    assert await committed(database, lambda db: DerivationQueue(db).take()) == {b: True}
    assert await queue_rows(database) == []


async def test_two_derivers_coalesce_and_take_different_rows_at_once(database):
    ids = await youths(database, 12)
    for start in range(0, 12, 3):
        await committed(database, lambda db, start=start: DerivationQueue(db).add(ids[start:start + 3], [True] * 3, ()))
    await committed(database, lambda db: DerivationQueue(db).coalesce(4))
    first, second = database.session(), database.session()
    try:
        taken_first = await DerivationQueue(first).take()
        taken_second = await DerivationQueue(second).take()  # the first one's row is skipped, not waited for
        assert len(taken_first) == len(taken_second) == 4 and not set(taken_first) & set(taken_second)
        await first.commit()
        await second.commit()
    finally:
        await first.close()
        await second.close()
    assert await committed(database, lambda db: DerivationQueue(db).take()) == {y: True for y in ids[8:]}


async def test_an_erasure_waits_for_the_batches_in_flight_and_new_batches_wait_for_it(database):
    batch = database.session()
    erasure = database.session()
    later = database.session()
    try:
        await YouthRepository(batch).share_deletion_lock()
        another = database.session()
        await YouthRepository(another).share_deletion_lock()  # batches share it
        await another.rollback()
        await another.close()
        waiting = asyncio.create_task(YouthRepository(erasure).take_deletion_lock())
        await asyncio.sleep(0.3)
        assert not waiting.done()  # the erasure waits for the batch
        await batch.commit()
        await asyncio.wait_for(waiting, 5)
        blocked = asyncio.create_task(YouthRepository(later).share_deletion_lock())
        await asyncio.sleep(0.3)
        assert not blocked.done()  # a new batch waits for the erasure
        await erasure.commit()
        await asyncio.wait_for(blocked, 5)
        await later.commit()
    finally:
        for session in (batch, erasure, later):
            await session.close()


async def test_a_deferred_batch_matching_by_ine_leaves_its_youths_unlocked(database, settings):
    """The deriver of another process can lock a youth while a batch giving it steps is in flight."""
    from app.domain.matching import Identity
    from app.security import IdentityVault
    from app.services.identity import resolve_youths

    vault = IdentityVault(b"hash-key", b"k" * 32)
    identity = Identity("123456789AB", vault.hash_ine("123456789AB"), None, False)
    [youth_id] = (await committed(database, lambda db: resolve_youths(db, vault, [identity]))).youth_ids
    batch = database.session()
    deriver = database.session()
    try:
        await YouthRepository(batch).share_deletion_lock()
        assert (await resolve_youths(batch, vault, [identity], lock=False)).youth_ids == [youth_id]
        rows = await deriver.fetch("SELECT id FROM youth WHERE id = $1 FOR UPDATE NOWAIT", youth_id)
        assert [row[0] for row in rows] == [youth_id]
        await deriver.rollback()
        assert (await resolve_youths(batch, vault, [identity])).youth_ids == [youth_id]  # locking, as inline
        with pytest.raises(Exception, match="could not obtain lock"):
            await deriver.fetch("SELECT id FROM youth WHERE id = $1 FOR UPDATE NOWAIT", youth_id)
        await deriver.rollback()
    finally:
        await batch.rollback()
        await batch.close()
        await deriver.close()
