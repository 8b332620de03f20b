"""Organisations as they are (issue 18, part 4): CFAs formateurs under an organisme responsable,
consent given once by the responsible for the formateurs without a decision of their own, and the
steps' ``responsibleUai`` checked against the registry. Everything through HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from app.domain.actors import Role
from app.domain.dates import today as france_today
from tests.factories import new_client

REGISTER = """mutation($uai: String!, $name: String!, $dep: String!, $responsible: String) {
  registerCfa(uai: $uai, name: $name, departmentCode: $dep, responsibleUai: $responsible) {
    uai consentGiven responsible { uai name consentGiven responsible { uai } } } }"""
CONSENT = """mutation($uai: String!, $given: Boolean!, $vendors: [ID!]) {
  setCfaConsent(uai: $uai, given: $given, vendorClientIds: $vendors) { uai consentGiven } }"""
CFA = "query($uai: String!) { cfa(uai: $uai) { uai consentGiven responsible { uai } transmission { vendors } } }"
RECORD = """mutation($input: [StepInput!]!) { recordSteps(input: $input) {
  accepted rejected { index field code message } } }"""
HEADCOUNTS = "query { headcounts(groupBy: CFA) { key apprentices } }"

RESPONSIBLE, PARIS, NANTERRE, OWN = "0750001U", "0750002V", "0920004E", "0750005Y"
CAP = "50022141"
TODAY = france_today()


@pytest.fixture
async def world(gql, admin, database):
    _, vendor_key = await new_client(database, Role.VENDOR, name="Ypareo")
    vendor_id = (await gql.data("query { me { id } }", key=vendor_key))["me"]["id"]
    for uai, name, dep in ((RESPONSIBLE, "Organisme gestionnaire", "75"), (OWN, "CFA autonome", "75")):
        await gql.data(REGISTER, {"uai": uai, "name": name, "dep": dep}, key=admin.key)
    for uai, name, dep in ((PARIS, "Site de Paris", "75"), (NANTERRE, "Site de Nanterre", "92")):
        await gql.data(REGISTER, {"uai": uai, "name": name, "dep": dep, "responsible": RESPONSIBLE}, key=admin.key)
    return {"admin": admin.key, "vendor": vendor_key, "vendor_id": vendor_id}


def step(n: int, uai: str, *, responsible: str | None = None, ine: int | None = None) -> dict:
    record = {"eventId": f"e{n}", "uai": uai, "ine": f"{ine if ine is not None else n:09d}AB", "certification": CAP,
              "step": "APPRENTICE", "effectiveDate": (TODAY - timedelta(days=10)).isoformat()}
    if responsible is not None:
        record["responsibleUai"] = responsible
    return record


async def consent_of(gql, world, uai: str) -> bool:
    return (await gql.data(CFA, {"uai": uai}, key=world["admin"]))["cfa"]["consentGiven"]


async def test_a_formateur_names_its_responsible_and_reads_it_back(gql, world):
    paris = (await gql.data(CFA, {"uai": PARIS}, key=world["admin"]))["cfa"]
    assert paris["responsible"] == {"uai": RESPONSIBLE}
    assert (await gql.data(CFA, {"uai": RESPONSIBLE}, key=world["admin"]))["cfa"]["responsible"] is None
    # registering again without responsibleUai keeps it; "" makes the CFA its own
    again = (await gql.data(REGISTER, {"uai": PARIS, "name": "Site de Paris 2", "dep": "75"}, key=world["admin"]))
    assert again["registerCfa"]["responsible"]["uai"] == RESPONSIBLE
    own = (await gql.data(REGISTER, {"uai": PARIS, "name": "Site", "dep": "75", "responsible": ""}, key=world["admin"]))
    assert own["registerCfa"]["responsible"] is None


async def test_the_responsibles_consent_covers_its_formateurs_without_a_decision(gql, world):
    assert [await consent_of(gql, world, uai) for uai in (RESPONSIBLE, PARIS, NANTERRE)] == [False, False, False]
    await gql.data(CONSENT, {"uai": RESPONSIBLE, "given": True, "vendors": [world["vendor_id"]]}, key=world["admin"])
    assert [await consent_of(gql, world, uai) for uai in (RESPONSIBLE, PARIS, NANTERRE, OWN)] == [True, True, True, False]
    # its vendor writes for both sites, and the youths are counted where they are trained
    sent = (await gql.data(RECORD, {"input": [step(1, PARIS), step(2, NANTERRE, responsible=RESPONSIBLE)]},
                           key=world["vendor"]))["recordSteps"]
    assert (sent["accepted"], sent["rejected"]) == (2, [])
    rows = {r["key"]: r["apprentices"] for r in (await gql.data(HEADCOUNTS, key=world["admin"]))["headcounts"]}
    assert rows == {PARIS: 1, NANTERRE: 1}
    # a vendor of the responsible reads the sites' transmission
    paris = (await gql.data(CFA, {"uai": PARIS}, key=world["vendor"]))["cfa"]
    assert paris["transmission"]["vendors"] == ["Ypareo"]
    # Nanterre decides for itself: withdrawn, though its responsible consents
    await gql.data(CONSENT, {"uai": NANTERRE, "given": False}, key=world["admin"])
    assert [await consent_of(gql, world, uai) for uai in (RESPONSIBLE, PARIS, NANTERRE)] == [True, True, False]
    refused = (await gql.data(RECORD, {"input": [step(3, NANTERRE)]}, key=world["vendor"]))["recordSteps"]
    assert [(e["field"], e["code"]) for e in refused["rejected"]] == [("uai", "CONSENT_MISSING")]
    # the responsible withdraws: Paris (no decision of its own) follows; Nanterre keeps its own
    await gql.data(CONSENT, {"uai": RESPONSIBLE, "given": False}, key=world["admin"])
    assert [await consent_of(gql, world, uai) for uai in (RESPONSIBLE, PARIS, NANTERRE)] == [False, False, False]
    refused = (await gql.data(RECORD, {"input": [step(4, PARIS)]}, key=world["vendor"]))["recordSteps"]
    assert [(e["field"], e["code"]) for e in refused["rejected"]] == [("uai", "CONSENT_MISSING")]
    # and gives it again: Paris follows, Nanterre's own withdrawal stands
    await gql.data(CONSENT, {"uai": RESPONSIBLE, "given": True}, key=world["admin"])
    assert [await consent_of(gql, world, uai) for uai in (RESPONSIBLE, PARIS, NANTERRE)] == [True, True, False]


async def test_a_formateur_given_a_responsible_later_follows_it_and_the_history_says_so(gql, world, connection):
    await gql.data(CONSENT, {"uai": RESPONSIBLE, "given": True, "vendors": [world["vendor_id"]]}, key=world["admin"])
    assert await consent_of(gql, world, OWN) is False
    moved = (await gql.data(REGISTER, {"uai": OWN, "name": "CFA rattaché", "dep": "75", "responsible": RESPONSIBLE},
                            key=world["admin"]))["registerCfa"]
    assert moved["consentGiven"] is True and moved["responsible"]["uai"] == RESPONSIBLE
    # back on its own: no decision of its own, no consent
    alone = (await gql.data(REGISTER, {"uai": OWN, "name": "CFA autonome", "dep": "75", "responsible": ""},
                            key=world["admin"]))["registerCfa"]
    assert alone["consentGiven"] is False
    # the consent history records the formateurs that followed their responsible
    events = (await connection.execute(text(
        "SELECT uai, given FROM cfa_consent_event WHERE uai IN (:p, :n) ORDER BY id"), {"p": PARIS, "n": NANTERRE})).all()
    assert [tuple(e) for e in events] == [(PARIS, True), (NANTERRE, True)]


@pytest.mark.parametrize(("responsible", "reason"), [
    ("0750001A", "INVALID_UAI"),  # a wrong check letter
    (PARIS, "RESPONSIBLE_IS_FORMATEUR"),  # one level only
    ("0750006Z", "UNKNOWN_CFA"),
    (OWN, "RESPONSIBLE_IS_SELF"),
])
async def test_register_cfa_refuses_a_responsible_that_cannot_be(gql, world, responsible, reason):
    error = await gql.error(REGISTER, {"uai": OWN, "name": "x", "dep": "75", "responsible": responsible},
                            key=world["admin"])
    assert (error["extensions"]["code"], error["extensions"]["field"], error["extensions"]["reason"]) == (
        "BAD_USER_INPUT", "responsibleUai", reason)


async def test_a_responsible_cannot_become_a_formateur(gql, world):
    error = await gql.error(REGISTER, {"uai": RESPONSIBLE, "name": "x", "dep": "75", "responsible": OWN},
                            key=world["admin"])
    assert error["extensions"]["reason"] == "CFA_IS_RESPONSIBLE"


async def test_a_steps_responsible_is_checked_against_the_registry_and_the_rest_is_stored(gql, world):
    await gql.data(CONSENT, {"uai": RESPONSIBLE, "given": True, "vendors": [world["vendor_id"]]}, key=world["admin"])
    await gql.data(CONSENT, {"uai": OWN, "given": True, "vendors": [world["vendor_id"]]}, key=world["admin"])
    batch = [
        step(1, PARIS, responsible=RESPONSIBLE),  # as registered
        step(2, PARIS, responsible=OWN),  # another registered CFA
        step(3, PARIS, responsible="0750006Z"),  # no such CFA
        step(4, PARIS, responsible="0750001A"),  # not a UAI
        step(5, PARIS, responsible=PARIS),  # itself
        step(6, OWN, responsible=RESPONSIBLE),  # a CFA that is its own
        step(7, OWN, responsible=" 750001u "),  # normalised like uai: as registered? no: OWN has none
        step(8, NANTERRE, responsible=" 750001u "),  # normalised: its registered responsible
        step(9, OWN),
    ]
    sent = (await gql.data(RECORD, {"input": batch}, key=world["vendor"]))["recordSteps"]
    assert sent["accepted"] == 3
    assert [(e["index"], e["field"], e["code"]) for e in sent["rejected"]] == [
        (1, "responsibleUai", "RESPONSIBLE_MISMATCH"),
        (2, "responsibleUai", "UNKNOWN_CFA"),
        (3, "responsibleUai", "INVALID_UAI"),
        (4, "responsibleUai", "RESPONSIBLE_IS_SELF"),
        (5, "responsibleUai", "RESPONSIBLE_MISMATCH"),
        (6, "responsibleUai", "RESPONSIBLE_MISMATCH"),
    ]
    mismatch = sent["rejected"][0]["message"]
    assert RESPONSIBLE in mismatch and "000000002AB" not in mismatch  # says what the registry has, no INE
    rows = {r["key"]: r["apprentices"] for r in (await gql.data(HEADCOUNTS, key=world["admin"]))["headcounts"]}
    assert rows == {PARIS: 1, NANTERRE: 1, OWN: 1}


async def test_an_employers_siret_is_checked_and_kept_on_contract_steps(gql, world, connection):
    """Issue 18, part 5: employerSiret (Luhn, La Poste's rule) on APPRENTICE and CONTRACT_BROKEN,
    per record, the rest of the batch stored; a replay changes nothing, a new employer replaces."""
    await gql.data(CONSENT, {"uai": OWN, "given": True, "vendors": [world["vendor_id"]]}, key=world["admin"])

    def contract(n: int, siret: str | None, step_name: str = "APPRENTICE") -> dict:
        record = {**step(n, OWN), "step": step_name}
        if siret is not None:
            record["employerSiret"] = siret
        return record

    batch = [
        contract(1, "732 829 320 00074"),  # spaced: compacted
        contract(2, "35600000000010"),  # La Poste: valid by its digit sum, not by Luhn
        contract(3, "73282932000075"),  # a wrong check digit
        contract(4, "7328293200007"),  # 13 digits
        contract(5, "73282932000074", "REGISTERED"),  # not a contract's step
        contract(6, "73282932000074", "CONTRACT_BROKEN"),
        contract(7, None),
    ]
    sent = (await gql.data(RECORD, {"input": batch}, key=world["vendor"]))["recordSteps"]
    assert sent["accepted"] == 4
    assert [(e["index"], e["field"], e["code"]) for e in sent["rejected"]] == [
        (2, "employerSiret", "INVALID_SIRET"), (3, "employerSiret", "INVALID_SIRET"),
        (4, "employerSiret", "NOT_A_CONTRACT_STEP"),
    ]
    stored = dict((await connection.execute(text(
        "SELECT event_id, employer_siret FROM step_event WHERE uai = :uai ORDER BY event_id"), {"uai": OWN})).all())
    assert stored == {"e1": "73282932000074", "e2": "35600000000010", "e6": "73282932000074", "e7": None}
    again = (await gql.data(RECORD, {"input": [contract(1, "73282932000074"), contract(7, "35600000000010")]},
                            key=world["vendor"]))["recordSteps"]
    assert again["accepted"] == 1  # e1 unchanged (the same employer, compacted), e7 gains its employer
    stored = dict((await connection.execute(text(
        "SELECT event_id, employer_siret FROM step_event WHERE uai = :uai ORDER BY event_id"), {"uai": OWN})).all())
    assert stored["e7"] == "35600000000010"


async def test_the_v2_step_fields_are_declared_for_inline_input_too(gql, world):
    """Variables of a bulk type skip graphql-core's coercion (graphql_schema/bulk.py): an inline
    literal does not, so it proves StepInput declares the fields."""
    await gql.data(CONSENT, {"uai": RESPONSIBLE, "given": True, "vendors": [world["vendor_id"]]}, key=world["admin"])
    inline = f"""mutation {{ recordSteps(input: [{{eventId: "i1", uai: "{PARIS}", responsibleUai: "{RESPONSIBLE}",
      learnerRef: "APP-1", certification: "{CAP}", step: APPRENTICE, effectiveDate: "{(TODAY - timedelta(days=3)).isoformat()}",
      employerSiret: "73282932000074"}}]) {{ accepted rejected {{ code }} }} }}"""
    assert (await gql.data(inline, key=world["vendor"]))["recordSteps"] == {"accepted": 1, "rejected": []}
