"""Status rules 2027.1 end to end (DOMAIN.md, "Status rules 2027.1"): each rule sent through HTTP as a
vendor or a portal sends it, and read back as its readers read it (the youth's situation for the
ADMIN, the pilots' headcounts, the portals' outcomes, the advisers' lists and export) on the day
before, of and after its boundary; the outcomes a rule changes at midnight; bad input."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from app.domain.actors import Portal, Role
from app.domain.dates import today as france_today
from app.services.derivation import sweep_outcomes
from tests.factories import new_cfa, new_client

RECORD = "mutation($input: [StepInput!]!) { recordSteps(input: $input) { accepted rejected { index field code } } }"
SUBMIT = "mutation($input: [WishInput!]!) { submitWishes(input: $input) { accepted rejected { index field code } } }"
OFFERS = "mutation($input: [OfferInput!]!) { upsertOffers(input: $input) { accepted rejected { index code } } }"
SITUATION = """query($ine: String!, $on: Date) { youth(ine: $ine) {
  situation(on: $on) { status since cause ruleVersion cfa { uai } } } }"""
HEADCOUNTS = """query($on: Date) { headcounts(on: $on, groupBy: CFA) {
  key registered apprentices contractBroken droppedOut ruleVersion } }"""
WISH = """query($id: String!) { wish(portalWishId: $id) { outcomeChangedAt
  outcome { stage match since cfa { uai } handledByWishedCfa } } }"""
CHANGED = """query($since: DateTime) { wishes(filter: {outcomeChangedSince: $since}, first: 50) {
  edges { node { portalWishId outcome { stage } } } } }"""
AT_RISK = """query($on: Date) { atRiskYouths(on: $on, first: 100) {
  edges { node { youth { ine } reasons since department { code } } } } }"""
CONSENT = "mutation($uai: String!, $given: Boolean!) { setCfaConsent(uai: $uai, given: $given) { consentGiven } }"

X, Z, LYON = "0751234J", "0750654D", "0690001B"  # 75, 75, 69
CAP, BTS = "50022141", "32031210"
TODAY = france_today()
INE = "123456789AB"


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def iso(days_ago: int) -> str:
    return ago(days_ago).isoformat()


def school_year(day: date) -> date:
    return date(day.year if day.month >= 8 else day.year - 1, 8, 1)


def step(event_id: str, kind: str, days_ago: int, uai: str = X, ine: str = INE, certification: str = CAP, **extra):
    record = {"eventId": event_id, "uai": uai, "ine": ine, "certification": certification, "step": kind,
              "effectiveDate": iso(days_ago)}
    record.update({k: v.isoformat() if isinstance(v, date) else v for k, v in extra.items()})
    return record


def wish(wish_id: str, days_ago: int, uai: str = X, ine: str = INE, **extra):
    submitted = datetime.combine(ago(days_ago), datetime.min.time(), UTC).isoformat()
    return {"portalWishId": wish_id, "ine": ine, "uai": uai, "certification": CAP, "submittedAt": submitted, **extra}


@pytest.fixture
async def world(database, admin):
    vendor, vendor_key = await new_client(database, Role.VENDOR)
    for uai, department in ((X, "75"), (Z, "75"), (LYON, "69")):
        await new_cfa(database, uai, department=department, consent=True, vendors=[vendor.id], admin=admin.principal)
    _, portal = await new_client(database, Role.PORTAL, portal=Portal.PARCOURSUP)
    _, paris = await new_client(database, Role.ADVISER, name="ML Paris", departments=["75"])
    _, marseille = await new_client(database, Role.ADVISER, name="ML Marseille", departments=["13"])
    return {"vendor": vendor_key, "portal": portal, "admin": admin.key, "paris": paris, "marseille": marseille}


@pytest.fixture
def hub(gql, world):
    class Hub:
        async def record(self, *steps):
            payload = (await gql.data(RECORD, {"input": list(steps)}, key=world["vendor"]))["recordSteps"]
            assert payload["rejected"] == [], payload

        async def wishes(self, *wishes):
            payload = (await gql.data(SUBMIT, {"input": list(wishes)}, key=world["portal"]))["submitWishes"]
            assert payload["rejected"] == [], payload

        async def situation(self, on: date, ine: str = INE):
            found = (await gql.data(SITUATION, {"ine": ine, "on": on.isoformat()}, key=world["admin"]))["youth"]
            s = found["situation"]
            return None if s is None else (s["status"], date.fromisoformat(s["since"]), s["cause"])

        async def status(self, on: date, ine: str = INE):
            s = await self.situation(on, ine)
            return None if s is None else s[0]

        async def counts(self, on: date, uai: str = X):
            rows = {r["key"]: r for r in (await gql.data(HEADCOUNTS, {"on": on.isoformat()}, key=world["admin"]))["headcounts"]}
            row = rows.get(uai)
            assert row is None or row["ruleVersion"] == "2027.1"
            return (0, 0, 0, 0) if row is None else (row["registered"], row["apprentices"], row["contractBroken"], row["droppedOut"])

        async def outcome(self, wish_id: str):
            found = (await gql.data(WISH, {"id": wish_id}, key=world["portal"]))["wish"]
            o = found["outcome"]
            return (o["stage"], o["match"], o["since"] and date.fromisoformat(o["since"]), o["cfa"] and o["cfa"]["uai"],
                    o["handledByWishedCfa"])

        async def at_risk(self, on: date, key: str = "admin"):
            edges = (await gql.data(AT_RISK, {"on": on.isoformat()}, key=world[key]))["atRiskYouths"]["edges"]
            return {e["node"]["youth"]["ine"]: (sorted(e["node"]["reasons"]), date.fromisoformat(e["node"]["since"]),
                                                e["node"]["department"]["code"]) for e in edges}

    return Hub()


# Rule 1 ------------------------------------------------------------------------------------------

async def test_rule_1_a_first_step_handles_without_a_status_until_45_days(hub):
    await hub.wishes(wish("w1", 100))
    await hub.record(step("m", "MEETING", 90))
    assert await hub.situation(TODAY) is None
    assert await hub.counts(TODAY) == (0, 0, 0, 0)
    assert await hub.outcome("w1") == ("HANDLED", "AS_WISHED", ago(90), X, True)
    assert await hub.at_risk(ago(46)) == {}  # 44 days after the meeting
    assert await hub.at_risk(ago(45)) == {INE: (["HANDLED_NOT_REGISTERED"], ago(45), "75")}
    await hub.record(step("r", "REGISTERED", 30))
    assert await hub.at_risk(ago(30)) == {}  # a status since: handled, then registered


# Rule 2 ------------------------------------------------------------------------------------------

async def test_rule_2_a_contract_runs_from_its_start_to_its_end_then_is_a_rupturant(hub):
    # reported 100 days ago, starting 90 days ago, ended 20 days ago, training to go on 200 more days
    await hub.record(step("a", "APPRENTICE", 100, contractStart=ago(90), contractEnd=ago(20), trainingEnd=ago(-200)))
    assert await hub.situation(ago(91)) is None
    assert await hub.situation(ago(90)) == ("APPRENTICE", ago(90), "REPORTED")
    assert await hub.counts(ago(20)) == (0, 1, 0, 0)
    assert await hub.situation(ago(19)) == ("CONTRACT_BROKEN", ago(19), "CONTRACT_ENDED")
    assert await hub.counts(ago(19)) == (0, 0, 1, 0)
    assert (await hub.at_risk(TODAY))[INE][:2] == (["CONTRACT_BROKEN"], ago(19))


@pytest.mark.parametrize(("left", "status"), [(59, "COMPLETED"), (60, "COMPLETED"), (61, "CONTRACT_BROKEN")])
async def test_rule_2_a_contract_ending_within_60_days_of_the_training_end_completes(hub, left, status):
    await hub.record(step("a", "APPRENTICE", 300, contractEnd=ago(30), trainingEnd=ago(30 - left)))
    assert await hub.status(ago(30)) == "APPRENTICE"
    assert await hub.status(ago(29)) == status
    assert await hub.counts(ago(29)) == ((0, 0, 0, 0) if status == "COMPLETED" else (0, 0, 1, 0))
    assert (INE in await hub.at_risk(ago(29))) is (status == "CONTRACT_BROKEN")


async def test_rule_2_without_an_end_a_contract_ends_with_the_training_or_goes_on(hub, gql, world):
    await hub.record(step("a", "APPRENTICE", 300, trainingEnd=ago(10)),
                     step("b", "APPRENTICE", 300, ine="223456789AB"),  # no end, no training end, no offer
                     step("c", "APPRENTICE", 300, ine="323456789AB", uai=Z))  # its offer's session ends
    payload = (await gql.data(OFFERS, {"input": [
        {"offerRef": "z", "uai": Z, "certification": CAP, "departmentCode": "75", "sessionStart": iso(320),
         "sessionEnd": iso(5), "capacity": 10}]}, key=world["vendor"]))["upsertOffers"]
    assert payload["rejected"] == []
    assert [await hub.status(ago(10)), await hub.status(ago(9))] == ["APPRENTICE", "COMPLETED"]
    assert await hub.situation(ago(9)) == ("COMPLETED", ago(9), "CONTRACT_COMPLETED")
    assert await hub.status(ago(-1000), "223456789AB") == "APPRENTICE"  # an apprentice until told otherwise
    assert [await hub.status(ago(5), "323456789AB"), await hub.status(ago(4), "323456789AB")] == ["APPRENTICE", "COMPLETED"]
    assert await hub.counts(TODAY) == (0, 1, 0, 0) and await hub.counts(TODAY, Z) == (0, 0, 0, 0)


# Rule 3 ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("left", "status"), [(59, "COMPLETED"), (60, "COMPLETED"), (61, "CONTRACT_BROKEN")])
async def test_rule_3_a_rupture_near_the_training_end_is_a_completion(hub, left, status):
    await hub.wishes(wish("w1", 300))
    await hub.record(step("a", "APPRENTICE", 200), step("b", "CONTRACT_BROKEN", 10, trainingEnd=ago(10 - left)))
    assert await hub.status(ago(10)) == status
    expected = ("APPRENTICE", "AS_WISHED", ago(200), X, True) if status == "COMPLETED" else (
        "CONTRACT_BROKEN", "AS_WISHED", ago(10), X, True)
    assert await hub.outcome("w1") == expected
    assert (await hub.at_risk(TODAY)).get(INE) == (None if status == "COMPLETED" else (["CONTRACT_BROKEN"], ago(10), "75"))


async def test_rule_3_a_rupture_carrying_its_contracts_end_starts_the_day_after_it(hub):
    await hub.record(step("a", "APPRENTICE", 200), step("b", "CONTRACT_BROKEN", 10, contractEnd=ago(40)))
    assert await hub.situation(ago(40)) == ("APPRENTICE", ago(200), "REPORTED")
    assert await hub.situation(ago(39)) == ("CONTRACT_BROKEN", ago(39), "REPORTED")


# Rule 4 ------------------------------------------------------------------------------------------

async def test_rule_4_a_registration_after_a_contract_there_is_a_rupture_with_180_days(hub):
    await hub.wishes(wish("w1", 300))
    await hub.record(step("a", "APPRENTICE", 200), step("r", "REGISTERED", 100))  # the rupturant re-sent as "inscrit"
    assert await hub.situation(ago(100)) == ("CONTRACT_BROKEN", ago(100), "BROKEN_BY_REGISTRATION")
    assert await hub.status(ago(100 - 91)) == "CONTRACT_BROKEN"  # not an abandon after 90 days ...
    assert await hub.situation(ago(100 - 181)) == ("DROPPED_OUT", ago(100 - 181), "BROKEN_TOO_LONG")  # ... after 180
    assert await hub.outcome("w1") == ("CONTRACT_BROKEN", "AS_WISHED", ago(100), X, True)
    assert await hub.counts(TODAY) == (0, 0, 1, 0)
    await hub.record(step("b", "CONTRACT_BROKEN", 120))  # the break reported late, earlier: the earliest date wins
    assert await hub.situation(ago(100)) == ("CONTRACT_BROKEN", ago(120), "REPORTED")


async def test_rule_4_at_another_cfa_it_is_a_new_registration(hub):
    await hub.wishes(wish("w1", 300))
    await hub.record(step("a", "APPRENTICE", 200), step("r", "REGISTERED", 100, uai=LYON))
    assert await hub.situation(ago(100)) == ("REGISTERED", ago(100), "REPORTED")
    assert await hub.outcome("w1") == ("LEFT", "OTHER_CFA", ago(9), LYON, True)  # registered for more than 90 days


# Rule 5 ------------------------------------------------------------------------------------------

async def test_rule_5_repeated_registrations_restart_nothing(hub):
    await hub.wishes(wish("w1", 150))
    await hub.record(step("r1", "REGISTERED", 100), step("r2", "REGISTERED", 60), step("r3", "REGISTERED", 20))
    assert await hub.situation(ago(10)) == ("REGISTERED", ago(100), "REPORTED")
    assert await hub.situation(ago(9)) == ("DROPPED_OUT", ago(9), "REGISTERED_TOO_LONG")
    assert await hub.outcome("w1") == ("LEFT", "AS_WISHED", ago(9), X, True)
    assert await hub.counts(TODAY) == (0, 0, 0, 1 if ago(9) >= school_year(TODAY) else 0)
    assert (await hub.at_risk(ago(40)))[INE][:2] == (["NO_CONTRACT"], ago(40))  # 60 days from the first report


# Rule 6 ------------------------------------------------------------------------------------------

async def test_rule_6_an_abandon_is_shown_to_advisers_for_180_days(hub):
    await hub.record(step("d", "DROPPED_OUT", 200))
    assert await hub.at_risk(ago(21)) == {INE: (["DROPPED_OUT"], ago(200), "75")}  # the 179th day
    assert await hub.at_risk(ago(20)) == {}  # the 180th: no longer
    await hub.record(step("b", "CONTRACT_BROKEN", 400, ine="223456789AB", uai=Z))
    assert await hub.situation(ago(400 - 180), "223456789AB") == ("CONTRACT_BROKEN", ago(400), "REPORTED")
    assert await hub.situation(ago(400 - 181), "223456789AB") == ("DROPPED_OUT", ago(219), "BROKEN_TOO_LONG")


# The portals' outcomes that a rule changes at midnight --------------------------------------------

async def test_a_rule_changes_the_outcome_on_its_day_without_any_new_step(hub, gql, world, database, settings):
    await hub.wishes(wish("w1", 95))
    await hub.record(step("r", "REGISTERED", 90))  # 90 days today: registered; tomorrow an abandon
    assert await hub.outcome("w1") == ("REGISTERED", "AS_WISHED", ago(90), X, True)
    before = (await gql.data(WISH, {"id": "w1"}, key=world["portal"]))["wish"]["outcomeChangedAt"]
    assert await sweep_outcomes(database, settings, TODAY) == 0  # nothing due today
    assert (await gql.data(CHANGED, {"since": before}, key=world["portal"]))["wishes"]["edges"] == []
    assert await sweep_outcomes(database, settings, ago(-1)) == 1  # the sweep just after midnight
    assert await hub.outcome("w1") == ("LEFT", "AS_WISHED", ago(-1), X, True)
    changed = (await gql.data(CHANGED, {"since": before}, key=world["portal"]))["wishes"]["edges"]
    assert [(e["node"]["portalWishId"], e["node"]["outcome"]["stage"]) for e in changed] == [("w1", "LEFT")]
    assert await sweep_outcomes(database, settings, ago(-1)) == 0  # done once


async def test_handled_by_the_wished_cfa_only_for_its_own_steps_since_the_wish(hub):
    await hub.wishes(wish("w1", 50))
    await hub.record(step("m", "MEETING", 60), step("r", "REGISTERED", 40, uai=LYON))
    assert await hub.outcome("w1") == ("REGISTERED", "OTHER_CFA", ago(40), LYON, False)
    await hub.record(step("i", "INFO_SESSION", 30))
    assert (await hub.outcome("w1"))[4] is True


# Advisers: consent, territory by residence, the export ---------------------------------------------

async def test_a_wish_to_a_cfa_that_withdrew_its_consent_is_nobodys_to_handle(hub, gql, world):
    await hub.wishes(wish("w1", 40))
    assert await hub.at_risk(TODAY) == {INE: (["WISH_NOT_HANDLED"], ago(10), "75")}
    assert (await gql.data(CONSENT, {"uai": X, "given": False}, key=world["admin"]))["setCfaConsent"]["consentGiven"] is False
    assert await hub.at_risk(TODAY) == {}
    await gql.data(CONSENT, {"uai": X, "given": True}, key=world["admin"])
    assert await hub.at_risk(TODAY) == {INE: (["WISH_NOT_HANDLED"], ago(10), "75")}


async def test_the_territory_is_where_the_youth_lives(hub, http, world):
    await hub.wishes(wish("w1", 100, residenceDepartment="13"))
    assert await hub.at_risk(TODAY, "marseille") == {INE: (["WISH_NOT_HANDLED"], ago(70), "13")}
    assert await hub.at_risk(TODAY, "paris") == {}  # the wished CFA is in 75, the youth lives in 13
    await hub.record(step("m", "MEETING", 60, uai=Z))  # a step without residence: still 13
    assert (await hub.at_risk(TODAY, "marseille"))[INE] == (["HANDLED_NOT_REGISTERED"], ago(15), "13")
    await hub.record(step("m2", "MEETING", 55, uai=Z, residenceDepartment="75"))  # moved to Paris
    assert await hub.at_risk(TODAY, "marseille") == {}
    assert await hub.at_risk(TODAY, "paris") == {INE: (["HANDLED_NOT_REGISTERED"], ago(10), "75")}
    assert await hub.at_risk(ago(65), "marseille") == {INE: (["WISH_NOT_HANDLED"], ago(70), "13")}  # where it lived then
    rows = list(csv.DictReader(io.StringIO((await http.get(
        "/exports/at-risk.csv", params={"on": iso(65)}, headers={"Authorization": f"Bearer {world['marseille']}"})).text)))
    assert [(r["ine"], r["department"], r["reasons"]) for r in rows] == [(INE, "13", "WISH_NOT_HANDLED")]


# Bad input -------------------------------------------------------------------------------------

async def test_bad_dates_and_departments_are_refused_one_by_one(gql, world, connection):
    from sqlalchemy import text

    steps = [
        step("ok", "APPRENTICE", 30, contractStart=ago(30), contractEnd=ago(-300), trainingStart=ago(30),
             trainingEnd=ago(-330), residenceDepartment="2A"),
        step("late", "APPRENTICE", 30, trainingStart=ago(10), trainingEnd=ago(20)),
        step("swap", "APPRENTICE", 30, contractStart=ago(5), contractEnd=ago(9)),
        step("nowhere", "MEETING", 30, residenceDepartment="96"),
        step("long", "MEETING", 30, residenceDepartment="7501"),
        step("dom", "MEETING", 30, ine="223456789AB", residenceDepartment="971"),
    ]
    payload = (await gql.data(RECORD, {"input": steps}, key=world["vendor"]))["recordSteps"]
    assert payload["accepted"] == 2
    assert [(r["index"], r["field"], r["code"]) for r in payload["rejected"]] == [
        (1, "trainingEnd", "INVALID_DATE"), (2, "contractEnd", "INVALID_DATE"),
        (3, "residenceDepartment", "INVALID_DEPARTMENT"), (4, "residenceDepartment", "INVALID_DEPARTMENT")]
    stored = (await connection.execute(text(
        "SELECT event_id, training_start, training_end, residence_department FROM step_event ORDER BY 1"))).all()
    assert [tuple(r) for r in stored] == [("dom", None, None, "971"), ("ok", ago(30), ago(-330), "2A")]
    wishes = [wish("w1", 10, residenceDepartment="13"), wish("w2", 10, residenceDepartment="20"),
              wish("w3", 10, residenceDepartment="750")]
    payload = (await gql.data(SUBMIT, {"input": wishes}, key=world["portal"]))["submitWishes"]
    assert payload["accepted"] == 1
    assert [(r["index"], r["field"], r["code"]) for r in payload["rejected"]] == [
        (1, "residenceDepartment", "INVALID_DEPARTMENT"), (2, "residenceDepartment", "INVALID_DEPARTMENT")]
