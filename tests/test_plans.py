"""The bulk statements reach their rows by index probes from their input arrays, whatever the
planner's statistics say.

A table vacuumed while (nearly) empty keeps ``reltuples = 0`` with pages: the planner then reads
it as empty until the next analyze, which a hub filling up in one long transaction (a first load,
the test suite's rolled-back transactions) never gets. The statement locking the wishes of a batch
was planned as "every wish, then the arrays' matches once per wish": a batch of 2,000 steps against
3,000 wishes took 86 s. These tests set those statistics in the test's transaction (rolled back at
its end), plan the statements with real arrays, and require every read of a table to be an index
probe (an ``Index Cond``), never a scan of the whole table."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text

from app.domain.actors import Portal, Role
from app.domain.dates import today
from app.repositories.wishes import WishRepository
from app.repositories.youths import YouthRepository
from tests.factories import new_cfa, new_client
from tests.population import CONSENTING, DEPARTMENT, NORD, generate

SUBMIT = "mutation($input: [WishInput!]!) { submitWishes(input: $input) { accepted rejected { index code } } }"

TABLES = ("wish", "youth", "step_event")


class Explain:
    """Stands for the request's session: plans each statement (``EXPLAIN``, with the arguments)
    instead of running it."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.plans: list[dict] = []

    async def fetch(self, query: str, *args: Any, record_class: Any = None) -> list[Any]:
        raw = await self.connection.get_raw_connection()
        rows = await raw.driver_connection.fetch("EXPLAIN (FORMAT JSON) " + query, *args)
        plan = rows[0][0]  # the hub's connections decode json themselves
        self.plans.append((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])
        return []


def table_reads(plan: dict) -> list[dict]:
    """Every node of the plan that reads one of TABLES."""
    found = [plan] if plan.get("Relation Name") in TABLES else []
    for child in plan.get("Plans", ()):
        found += table_reads(child)
    return found


def describe(node: dict) -> str:
    return f"{node['Node Type']} on {node['Relation Name']} ({node.get('Index Name', 'no index')})"


async def empty_looking_tables(connection: Any) -> None:
    """Fill the tables a little, then make the planner believe they are empty (the statistics a
    vacuum leaves on a table emptied before a load)."""
    await connection.execute(text(
        "UPDATE pg_class SET reltuples = 0, relpages = 1 WHERE relname = ANY(:tables)"
        " AND relnamespace = 'public'::regnamespace"), {"tables": list(TABLES)})


async def test_the_wishes_and_youths_of_a_batch_are_locked_by_index_probes_whatever_the_statistics(
        connection, database, admin, gql):
    for uai in CONSENTING:
        await new_cfa(database, uai, department=DEPARTMENT[uai], consent=True, admin=admin.principal)
    await new_cfa(database, NORD, department=DEPARTMENT[NORD])
    _, portal = await new_client(database, Role.PORTAL, portal=Portal.PARCOURSUP)
    wishes = generate(3, 5_000, today()).wishes
    for k in range(0, len(wishes), 1_000):  # pages enough that reading them all costs more than a probe
        submitted = (await gql.data(SUBMIT, {"input": wishes[k:k + 1_000]}, key=portal))["submitWishes"]
        assert submitted["rejected"] == [] and submitted["accepted"] == len(wishes[k:k + 1_000])
    assert len(wishes) > 2_000
    youth_ids = [row[0] for row in (await connection.execute(text("SELECT DISTINCT youth_id FROM wish"))).all()]
    wish_ids = [row[0] for row in (await connection.execute(text("SELECT id FROM wish"))).all()]
    hashes = [row[0] for row in (await connection.execute(text("SELECT ine_hash FROM youth"))).all()]
    await empty_looking_tables(connection)

    explain = Explain(connection)
    await WishRepository(explain).outcome_targets(  # type: ignore[arg-type]
        youth_ids, [("PARCOURSUP", w["portalWishId"]) for w in wishes[::3]], wish_ids[:50])
    await YouthRepository(explain).find(hashes, hashes[:20], youth_ids[:10])  # type: ignore[arg-type]

    assert len(explain.plans) == 2
    for plan in explain.plans:
        reads = table_reads(plan)
        assert len(reads) >= 3, plan  # the arrays' probes and the rows locked
        assert all("Index Cond" in node for node in reads), [describe(n) for n in reads if "Index Cond" not in n]
