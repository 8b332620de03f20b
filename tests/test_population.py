"""The hub's figures against an independent recomputation (tests/reference_rules.py, written from
DOMAIN.md, "Status rules 2027.1", day by day) on a generated population of thousands of paths with
random gaps, late reports, re-sends and corrections (tests/population.py).

First the pure rules against the reference, on every day of every path; then the whole hub through
HTTP: the population is sent as vendors and portals send it, and the pilots' headcounts, the
portals' outcomes (today, and after a sweep months later) and the advisers' lists on past and future
dates must equal the reference's, figure by figure."""

from __future__ import annotations

import importlib.util
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from app.domain.actors import Portal, Role
from app.domain.dates import today as france_today
from app.domain.outcome import OutcomeStep, Target, outcome
from app.domain.risk import Residence, RiskRules, WishFact, risk_on, risk_spans
from app.domain.sessions import Session, training_end_on
from app.domain.timeline import Rules, StepFact, status_on, timeline
from app.services.derivation import advance_cut, sweep_outcomes
from tests.factories import new_cfa, new_client
from tests.helpers import STORED_INTAKE_POINTS
from tests.population import CONSENTING, DEPARTMENT, NORD, Population, generate, youth_of
from tests.reference_rules import ONE, Reference, Reported

TODAY = france_today()


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def reported(population: Population, arrival: dict[str, int]) -> dict[str, list[Reported]]:
    """The final version of every stored step, by youth (INE), with its arrival order."""
    owner = youth_of(population)
    out: dict[str, list[Reported]] = {}
    for s in population.steps:
        out.setdefault(owner[s["eventId"]], []).append(Reported(
            s["step"], date.fromisoformat(s["effectiveDate"]), arrival[s["eventId"]], s["uai"], s["certification"],
            _day(s.get("contractStart")), _day(s.get("contractEnd")), _day(s.get("trainingEnd")),
            s.get("residenceDepartment"), (s["portal"], s["portalWishId"]) if s.get("portal") else None))
    return out


def wishes_by_youth(population: Population) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for wish in population.wishes:
        out.setdefault(wish["ine"], []).append(wish)
    return out


def submitted(wish: dict) -> date:
    return date.fromisoformat(wish["submittedAt"][:10])


def residences(steps: list[Reported], wishes: list[dict]) -> list[tuple[date, str]]:
    return [(submitted(w), w["residenceDepartment"]) for w in wishes if w.get("residenceDepartment")] + [
        (s.day, s.residence) for s in steps if s.residence]


# --- the pure rules, day by day ------------------------------------------------------------------

@pytest.mark.parametrize("seed", [1, 2])
def test_the_rules_equal_the_reference_on_every_day_of_every_path(seed):
    population = generate(seed, 2_500, TODAY)
    reference = Reference(sessions=population.sessions())
    sessions = {key: [Session(*s) for s in value] for key, value in population.sessions().items()}

    def training_end(uai, certification, day):
        return training_end_on(sessions.get((uai, certification), ()), day)

    paths = reported(population, {s["eventId"]: n for n, s in enumerate(population.steps)})
    wishes = wishes_by_youth(population)
    until = TODAY + timedelta(days=400)
    risk_days = [TODAY + timedelta(days=n) for n in range(-300, 301, 25)]
    checked = Counter()
    for ine in set(paths) | set(wishes):
        steps, own = paths.get(ine, []), wishes.get(ine, [])
        facts = [StepFact(s.step, s.day, s.arrival, s.uai, s.certification, s.contract_start, s.contract_end,
                          s.training_end, s.residence) for s in steps]
        segments = timeline(facts, Rules(), training_end)
        states = reference.states(steps, until)
        for day, state in states.items():  # every day from the first status on
            segment = status_on(segments, day)
            assert (segment.status, segment.uai, segment.certification) == (state.status, state.uai, state.certification), (
                ine, day)
        if states:
            assert status_on(segments, min(states) - ONE) is None
        checked["days"] += len(states)
        for wish in own:
            link = ("PARCOURSUP", wish["portalWishId"])
            target = Target(wish["uai"], wish["certification"], submitted(wish))
            counted = [OutcomeStep(s.step, s.day, s.arrival, s.uai, s.certification, s.link == link, s.contract_start,
                                   s.contract_end, s.training_end) for s in steps]
            for day in (TODAY, TODAY + timedelta(days=45), TODAY + timedelta(days=181)):
                got = outcome(target, counted, Rules(), day, training_end)
                assert (got.stage, got.match, got.since, got.uai, got.certification, got.handled_by_wished_cfa) == \
                    reference.outcome(steps, wish["uai"], wish["certification"], submitted(wish), link, day), (ine, day)
                checked["outcomes"] += 1
        wish_facts = [WishFact(submitted(w), w["uai"], w["uai"] in CONSENTING) for w in own]
        spans = risk_spans(segments, facts, wish_facts, RiskRules(), [Residence(*r) for r in residences(steps, own)])
        memo: dict = {}
        for day in risk_days:
            span = risk_on(spans, day)
            got = None if span is None else (sorted(span.reasons), span.since, span.department or DEPARTMENT[span.uai])
            expected = reference.at_risk(states, steps, [(w.submitted_on, w.uai, w.consented) for w in wish_facts],
                                         residences(steps, own), DEPARTMENT, day, memo)
            assert got == expected, (ine, day)
            checked[expected[0][0] if expected and len(expected[0]) == 1 else "several" if expected else "none"] += 1
    # the population plays every rule: each reason alone, several at once, thousands of days
    assert checked["days"] > 300_000 and checked["outcomes"] > 4_000, checked
    assert all(checked[reason] > 100 for reason in (
        "WISH_NOT_HANDLED", "HANDLED_NOT_REGISTERED", "NO_CONTRACT", "CONTRACT_BROKEN", "DROPPED_OUT", "several")), checked


# --- the hub through HTTP ------------------------------------------------------------------------

RECORD = "mutation($input: [StepInput!]!) { recordSteps(input: $input) { accepted unchanged rejected { index ref field code } } }"
SUBMIT = "mutation($input: [WishInput!]!) { submitWishes(input: $input) { accepted rejected { index code } } }"
OFFERS = "mutation($input: [OfferInput!]!) { upsertOffers(input: $input) { accepted rejected { index code } } }"
HEADCOUNTS = """query($on: Date, $by: HeadcountDimension!) {
  headcounts(on: $on, groupBy: $by) { key registered apprentices contractBroken droppedOut ruleVersion } }"""
ROOT = Path(__file__).resolve().parent.parent
OFFER_LIST = """query($after: String) { offers(first: 500, after: $after) {
  pageInfo { hasNextPage endCursor } edges { node { id offerRef enrolled } } } }"""
PLACES = """query($on: Date, $by: HeadcountDimension!) {
  headcounts(on: $on, groupBy: $by) { key capacity vacancies overCapacity } }"""
WISHES = """query($after: String) { wishes(first: 500, after: $after) {
  pageInfo { hasNextPage endCursor }
  edges { node { portalWishId outcome { stage match since cfa { uai } certification { code } handledByWishedCfa } } } } }"""
SERIES = """query($from: Date!, $to: Date!) {
  headcountSeries(from: $from, to: $to, interval: MONTH, groupBy: CERTIFICATION) {
    on rows { key registered apprentices contractBroken droppedOut } } }"""
AT_RISK = """query($on: Date, $after: String) { atRiskYouths(on: $on, first: 500, after: $after) {
  pageInfo { hasNextPage endCursor } edges { node { youth { ine } reasons since department { code } } } } }"""
GROUP = {"DEPARTMENT": lambda uai, certification: DEPARTMENT[uai], "CFA": lambda uai, certification: uai,
         "CERTIFICATION": lambda uai, certification: certification}
FIELD = {"REGISTERED": "registered", "APPRENTICE": "apprentices", "CONTRACT_BROKEN": "contractBroken"}


@pytest.fixture
async def world(database, admin):
    vendor, vendor_key = await new_client(database, Role.VENDOR)
    for uai in CONSENTING:
        await new_cfa(database, uai, department=DEPARTMENT[uai], consent=True, vendors=[vendor.id], admin=admin.principal)
    await new_cfa(database, NORD, department=DEPARTMENT[NORD])  # never consents: its wishes are nobody's to handle
    _, portal = await new_client(database, Role.PORTAL, portal=Portal.PARCOURSUP)
    return {"vendor": vendor_key, "portal": portal, "admin": admin.key}


async def pages(gql, query, key, field, **variables):
    after, nodes = None, []
    while True:
        page = (await gql.data(query, {**variables, "after": after}, key=key))[field]
        nodes.extend(edge["node"] for edge in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


def abandons(by_day: dict) -> list[tuple[date, str, str]]:
    """(day, uai, certification) of each entry into the abandon status (a new place is a new one)."""
    out = []
    for day, state in by_day.items():
        before = by_day.get(day - ONE)
        if state.status == "DROPPED_OUT" and (before is None or before.status != "DROPPED_OUT" or (
                before.uai, before.certification) != (state.uai, state.certification)):
            out.append((day, state.uai, state.certification))
    return out


def expected_headcounts(states: dict[str, dict], entries: dict[str, list], day: date, group: str) -> dict[str, Counter]:
    key = GROUP[group]
    school_year = date(day.year if day.month >= 8 else day.year - 1, 8, 1)
    counts: dict[str, Counter] = {}
    for ine, by_day in states.items():
        now = by_day.get(day)
        if now is not None and now.status in FIELD:
            counts.setdefault(key(now.uai, now.certification), Counter())[FIELD[now.status]] += 1
        for entered, uai, certification in entries[ine]:  # the abandons dated from 1 August to the day
            if school_year <= entered <= day:
                counts.setdefault(key(uai, certification), Counter())["droppedOut"] += 1
    return counts


def intake_backfill() -> str:
    """The SQL by which migration 0022 filled the intakes' change points from the stored paths."""
    path = next((ROOT / "migrations" / "versions").glob("*-0022_intake_change.py"))
    spec = importlib.util.spec_from_file_location("migration_0022", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.BACKFILL)


def covers(offer: dict, day: date) -> bool:
    """Whether an offer's session covers ``day`` (an offer without dates: every day)."""
    start, end = _day(offer["sessionStart"]), _day(offer["sessionEnd"])
    return (start is None or start <= day) and (end is None or day <= end)


def intake_enrolled(states: dict[str, dict], offers: list[dict], day: date) -> Counter:
    """offerRef -> the youths of its intake filling a place on ``day``, written again from DOMAIN.md:
    a youth enters a place on its first REGISTERED or APPRENTICE day there; the offer whose
    session (from 30 days before its start to its end; its school year without dates) takes the
    entry in, the latest started, counts it while it is REGISTERED, APPRENTICE or rupturant there."""
    first = date(day.year if day.month >= 8 else day.year - 1, 8, 1)
    last = date(first.year + 1, 7, 31)

    def window(offer: dict) -> tuple[date, date, date]:
        start, end = _day(offer["sessionStart"]), _day(offer["sessionEnd"])
        if start is None and end is None:
            return first, last, first
        return (start - timedelta(days=30) if start else date.min), (end or date.max), (start or date.min)

    counts: Counter = Counter()
    for by_day in states.values():
        now = by_day.get(day)
        if now is None or now.status not in ("REGISTERED", "APPRENTICE", "CONTRACT_BROKEN"):
            continue
        place = (now.uai, now.certification)
        entered = min((d for d, state in by_day.items() if d <= day and (state.uai, state.certification) == place
                       and state.status in ("REGISTERED", "APPRENTICE")), default=None)
        if entered is None:
            continue
        taking = [o for o in offers if (o["uai"], o["certification"]) == place and window(o)[0] <= entered <= window(o)[1]]
        if taking:
            counts[max(taking, key=lambda o: (window(o)[2], -o["id"]))["offerRef"]] += 1
    return counts


async def test_the_hub_equals_the_reference_on_a_generated_population(gql, world, connection, database, settings):
    population = generate(7, 3_000, TODAY)
    for k in range(0, len(population.wishes), 1_000):
        payload = (await gql.data(SUBMIT, {"input": population.wishes[k:k + 1_000]}, key=world["portal"]))["submitWishes"]
        assert payload["rejected"] == [], payload["rejected"][:3]
    rejected = []
    for batch in population.stream:  # re-sends, corrections and late reports, as they come
        payload = (await gql.data(RECORD, {"input": batch}, key=world["vendor"]))["recordSteps"]
        rejected.extend((batch[r["index"]]["eventId"], r["ref"], r["field"], r["code"]) for r in payload["rejected"])
    # every invalid record is reported with its field and code; nothing else is refused
    assert sorted(rejected) == sorted((record["eventId"], record["eventId"], field, code)
                                      for record, field, code in population.invalid)
    # the offers come last: their sessions' ends re-derive the contracts that depend on them
    payload = (await gql.data(OFFERS, {"input": population.offers}, key=world["vendor"]))["upsertOffers"]
    assert payload["rejected"] == [], payload

    stored = (await connection.execute(text(
        "SELECT event_id, id, youth_id, step, effective_date, uai, certification_code, contract_start, contract_end,"
        " training_end, residence_department FROM step_event"))).all()
    assert {r.event_id: (r.step, r.effective_date, r.uai, r.certification_code, r.contract_start, r.contract_end,
                         r.training_end, r.residence_department) for r in stored} == {
        s["eventId"]: (s["step"], date.fromisoformat(s["effectiveDate"]), s["uai"], s["certification"],
                       _day(s.get("contractStart")), _day(s.get("contractEnd")), _day(s.get("trainingEnd")),
                       s.get("residenceDepartment")) for s in population.steps}  # the last version of each event
    owner = youth_of(population)
    youth_of_event = {r.event_id: r.youth_id for r in stored}
    assert len({(owner[e], y) for e, y in youth_of_event.items()}) == len(set(owner.values())) == len(
        set(youth_of_event.values()))  # linked steps without INE joined their wish's youth
    paths = reported(population, {r.event_id: r.id for r in stored})
    wishes = wishes_by_youth(population)
    reference = Reference(sessions=population.sessions())
    horizon = TODAY + timedelta(days=200)
    states = {ine: reference.states(steps, horizon) for ine, steps in paths.items()}
    entries = {ine: abandons(by_day) for ine, by_day in states.items()}

    # pilots: headcounts by department, CFA and certification, past, today and to come (by CFA
    # today: from the CFAs' sums up to today, moved on as the sweeper does)
    assert await advance_cut(database)
    for day in (TODAY - timedelta(days=400), TODAY - timedelta(days=91), TODAY - timedelta(days=45), TODAY,
                TODAY + timedelta(days=61)):
        for group in GROUP:
            rows = {r["key"]: r for r in (await gql.data(HEADCOUNTS, {"on": day.isoformat(), "by": group},
                                                         key=world["admin"]))["headcounts"]}
            assert {r["ruleVersion"] for r in rows.values()} <= {"2027.1"}
            expected = expected_headcounts(states, entries, day, group)
            for key in set(rows) | set(expected):
                row, counts = rows.get(key, {}), expected.get(key, Counter())
                assert [row.get(f, 0) for f in ("registered", "apprentices", "contractBroken", "droppedOut")] == [
                    counts[f] for f in ("registered", "apprentices", "contractBroken", "droppedOut")], (day, group, key)

    # the intakes' change points kept batch after batch equal the migration's backfill from the paths
    incremental = sorted(tuple(r) for r in (await connection.execute(text(STORED_INTAKE_POINTS))).all())
    assert incremental
    await connection.execute(text("DELETE FROM intake_change"))
    await connection.execute(text(intake_backfill()))
    assert sorted(tuple(r) for r in (await connection.execute(text(STORED_INTAKE_POINTS))).all()) == incremental

    # places: each offer's intake (DOMAIN.md, "Places and vacancies"), recounted from the day-by-day states
    listed = {n["offerRef"]: n for n in await pages(gql, OFFER_LIST, world["admin"], "offers")}
    offers = [{**offer, "id": int(listed[offer["offerRef"]]["id"])} for offer in population.offers]
    enrolled_today = intake_enrolled(states, offers, TODAY)
    assert sum(enrolled_today.values()) > 0
    assert {ref: node["enrolled"] for ref, node in listed.items()} == {o["offerRef"]: enrolled_today[o["offerRef"]] for o in offers}
    for day in (TODAY - timedelta(days=45), TODAY, TODAY + timedelta(days=61)):
        enrolled = intake_enrolled(states, offers, day)
        for group in ("CFA", "DEPARTMENT"):
            rows = {r["key"]: r for r in (await gql.data(PLACES, {"on": day.isoformat(), "by": group},
                                                         key=world["admin"]))["headcounts"]}
            expected: dict[str, list] = {}
            for offer in offers:
                if covers(offer, day) and offer["capacity"] is not None:
                    key = offer["uai"] if group == "CFA" else offer["departmentCode"]
                    capacity, taken = offer["capacity"], enrolled[offer["offerRef"]]
                    places = expected.setdefault(key, [0, 0, False])
                    places[0] += capacity
                    places[1] += max(capacity - taken, 0)
                    places[2] = places[2] or taken > capacity
            assert {k: [r["capacity"], r["vacancies"], r["overCapacity"]] for k, r in rows.items()
                    if r["capacity"] is not None} == expected, (day, group)

    series = (await gql.data(SERIES, {"from": (TODAY - timedelta(days=330)).isoformat(), "to": TODAY.isoformat()},
                             key=world["admin"]))["headcountSeries"]
    assert len(series) >= 10
    for point in series:  # the same figures at every month end
        expected = expected_headcounts(states, entries, date.fromisoformat(point["on"]), "CERTIFICATION")
        rows = {r["key"]: r for r in point["rows"]}
        for key in set(rows) | set(expected):
            row, counts = rows.get(key, {}), expected.get(key, Counter())
            assert [row.get(f, 0) for f in ("registered", "apprentices", "contractBroken", "droppedOut")] == [
                counts[f] for f in ("registered", "apprentices", "contractBroken", "droppedOut")], (point["on"], key)

    # portals: every wish's outcome today, then after a sweep 100 days later (rules firing alone)
    async def outcomes_equal_the_reference(day: date) -> Counter:
        stages = Counter()
        got = {n["portalWishId"]: n["outcome"] for n in await pages(gql, WISHES, world["portal"], "wishes")}
        assert len(got) == len(population.wishes)
        for ine, own in wishes.items():
            for wish in own:
                o = got[wish["portalWishId"]]
                observed = (o["stage"], o["match"], _day(o["since"]), o["cfa"] and o["cfa"]["uai"],
                            o["certification"] and o["certification"]["code"], o["handledByWishedCfa"])
                assert observed == reference.outcome(paths.get(ine, []), wish["uai"], wish["certification"],
                                                     submitted(wish), ("PARCOURSUP", wish["portalWishId"]), day), wish
                stages[o["stage"]] += 1
        return stages

    stages = await outcomes_equal_the_reference(TODAY)
    assert all(stages[s] for s in ("NO_NEWS", "HANDLED", "REGISTERED", "APPRENTICE", "CONTRACT_BROKEN", "LEFT")), stages
    later = TODAY + timedelta(days=100)
    assert await sweep_outcomes(database, settings, later) > 0
    await outcomes_equal_the_reference(later)

    # advisers: the at-risk list on past, present and future dates, reasons, since and territory
    memos: dict[str, dict] = {}
    for day in (TODAY - timedelta(days=200), TODAY - timedelta(days=30), TODAY, TODAY + timedelta(days=1),
                TODAY + timedelta(days=46), TODAY + timedelta(days=181)):
        got = {n["youth"]["ine"]: (sorted(n["reasons"]), _day(n["since"]), n["department"]["code"])
               for n in await pages(gql, AT_RISK, world["admin"], "atRiskYouths", on=day.isoformat())}
        expected = {}
        for ine in set(paths) | set(wishes):
            steps, own = paths.get(ine, []), wishes.get(ine, [])
            at_risk = reference.at_risk(states.get(ine, {}), steps,
                                        [(submitted(w), w["uai"], w["uai"] in CONSENTING) for w in own],
                                        residences(steps, own), DEPARTMENT, day, memos.setdefault(ine, {}))
            if at_risk is not None:
                expected[ine] = at_risk
        assert got == expected, day
