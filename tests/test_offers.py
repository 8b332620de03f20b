"""Offers through HTTP: upsertOffers, the CSV import (HTTP and CLI), vacancies, revisions, lists."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from app.domain.actors import Role
from app.domain.dates import today as france_today
from app.domain.identifiers import uai_check_letter
from tests.factories import new_cfa, new_client

UPSERT = """
mutation($input: [OfferInput!]!) { upsertOffers(input: $input) { accepted unchanged rejected { index ref field code } } }"""
OFFERS = """
query($filter: OfferFilter, $first: Int, $after: String) {
  offers(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id offerRef title capacity revisedCapacity enrolled vacancies sessionStart sessionEnd parcoursupId affelnetId
      cfa { uai } certification { code } department { code } } }
  }
}"""
RECORD = "mutation($input: [StepInput!]!) { recordSteps(input: $input) { accepted rejected { code } } }"
REVISE = "mutation($id: ID!, $c: Int) { reviseCapacity(offerId: $id, capacity: $c) { id capacity revisedCapacity vacancies } }"

X, Z, LYON, CLOSED, OTHER = "0751234J", "0750654D", "0690001B", "6200002H", "0690002C"
CAP, BTS = "50022141", "32031210"
TODAY = france_today()


def offer(ref, uai=X, cert=CAP, department="75", **extra):
    record = {"offerRef": ref, "uai": uai, "certification": cert, "departmentCode": department,
              "sessionStart": "2026-09-01", "sessionEnd": "2028-06-30", "capacity": 12}
    record.update(extra)
    return record


@pytest.fixture
async def world(database, admin):
    vendor, key = await new_client(database, Role.VENDOR, name="Ymag")
    other, other_key = await new_client(database, Role.VENDOR, name="Gesti")
    await new_cfa(database, X, department="75", consent=True, vendors=[vendor.id], admin=admin.principal)
    await new_cfa(database, Z, department="75", consent=True, vendors=[vendor.id], admin=admin.principal)
    await new_cfa(database, LYON, department="69", consent=True, vendors=[vendor.id], admin=admin.principal)
    await new_cfa(database, CLOSED, department="2A", consent=False, vendors=[vendor.id], admin=admin.principal)
    await new_cfa(database, OTHER, department="69", consent=True, vendors=[other.id], admin=admin.principal)
    return {"vendor": key, "other": other_key, "admin": admin.key}


async def upsert(gql, key, records):
    return (await gql.data(UPSERT, {"input": records}, key=key))["upsertOffers"]


async def listed(gql, key, **variables):
    return (await gql.data(OFFERS, variables, key=key))["offers"]


async def test_a_mixed_batch_stores_the_valid_offers_and_reports_each_invalid_one(gql, world, connection):
    batch = [
        offer("o0", title="CAP Pâtissier en 2 ans", parcoursupId="12345", affelnetId="01/2345"),
        offer("o1", uai="0751234A"),
        offer("o2", cert="XYZ"),
        offer("o3", department="20"),
        offer("o4", sessionStart="2027-09-01", sessionEnd="2027-01-01"),
        offer("o5", capacity=-1),
        offer("o6", parcoursupId="abc"),
        offer("o7", affelnetId="nope"),
        offer("o0"),
        offer("o9", uai=CLOSED, department="2A"),
        offer("o10", uai=OTHER, department="69"),
        offer("o11", uai="0752222S"),  # a wrong check letter
        {**offer("o12"), "colour": "blue"},
        offer("o13", uai=Z, cert="rncp 34.567", capacity=None),
        offer("o14", uai="0752222" + uai_check_letter("0752222")),  # valid, but no such CFA
    ]
    payload = await upsert(gql, world["vendor"], batch)
    got = [(e["index"], e["ref"], e["field"], e["code"]) for e in payload["rejected"]]
    assert got == [
        (1, "o1", "uai", "INVALID_UAI"), (2, "o2", "certification", "INVALID_CERTIFICATION"),
        (3, "o3", "departmentCode", "INVALID_DEPARTMENT"), (4, "o4", "sessionEnd", "INVALID_DATE"),
        (5, "o5", "capacity", "INVALID_CAPACITY"), (6, "o6", "parcoursupId", "INVALID_PARCOURSUP_ID"),
        (7, "o7", "affelnetId", "INVALID_AFFELNET_ID"), (8, "o0", "offerRef", "DUPLICATE_IN_BATCH"),
        (9, "o9", "uai", "CONSENT_MISSING"), (10, "o10", "uai", "NOT_AUTHORIZED_FOR_CFA"),
        (11, "o11", "uai", "INVALID_UAI"), (12, "o12", "colour", "UNKNOWN_FIELD"), (14, "o14", "uai", "UNKNOWN_CFA"),
    ]
    assert payload["accepted"] == 2
    rows = (await connection.execute(text("SELECT offer_ref, certification_code, capacity FROM offer ORDER BY offer_ref"))).all()
    assert [tuple(r) for r in rows] == [("o0", CAP, 12), ("o13", "RNCP34567", None)]
    kept = (await connection.execute(text("SELECT count(*) FROM rejection WHERE operation = 'upsertOffers'"))).scalar_one()
    assert kept == 13


async def test_a_resend_is_unchanged_a_change_replaces_and_the_revision_stays(gql, world):
    first = await upsert(gql, world["vendor"], [offer("r1")])
    assert (first["accepted"], first["unchanged"]) == (1, 0)
    assert (await upsert(gql, world["vendor"], [offer("r1")]))["unchanged"] == 1
    offer_id = (await listed(gql, world["vendor"]))["edges"][0]["node"]["id"]
    revised = (await gql.data(REVISE, {"id": offer_id, "c": 5}, key=world["admin"]))["reviseCapacity"]
    assert revised == {"id": offer_id, "capacity": 12, "revisedCapacity": 5, "vacancies": 5}
    assert (await upsert(gql, world["vendor"], [offer("r1", capacity=20)]))["accepted"] == 1
    node = (await listed(gql, world["vendor"]))["edges"][0]["node"]
    assert (node["capacity"], node["revisedCapacity"], node["vacancies"]) == (20, 5, 5)  # the authorities' revision holds
    withdrawn = (await gql.data(REVISE, {"id": offer_id, "c": None}, key=world["admin"]))["reviseCapacity"]
    assert (withdrawn["revisedCapacity"], withdrawn["vacancies"]) == (None, 20)
    assert (await gql.error(REVISE, {"id": offer_id, "c": 5}, key=world["vendor"]))["extensions"]["code"] == "FORBIDDEN"
    assert (await gql.error(REVISE, {"id": "999999", "c": 5}, key=world["admin"]))["extensions"]["code"] == "BAD_USER_INPUT"


async def test_vacancies_follow_new_steps_and_revised_capacities(gql, world):
    await upsert(gql, world["vendor"], [offer("v1", capacity=2), offer("v2", uai=Z, capacity=3)])
    steps = [
        {"eventId": "s1", "uai": X, "ine": "123456789AB", "certification": CAP, "step": "REGISTERED",
         "effectiveDate": (TODAY - timedelta(days=10)).isoformat()},
        {"eventId": "s2", "uai": X, "ine": "1234567890C", "certification": BTS, "step": "APPRENTICE",
         "effectiveDate": (TODAY - timedelta(days=10)).isoformat()},  # another training: not on this offer
    ]
    await gql.data(RECORD, {"input": steps}, key=world["vendor"])

    async def of(ref, reader="admin"):  # exact for the ADMIN, protected for the others
        edges = (await listed(gql, world[reader], first=500))["edges"]
        return next(e["node"] for e in edges if e["node"]["offerRef"] == ref)

    assert ((await of("v1"))["enrolled"], (await of("v1"))["vacancies"]) == (1, 1)
    assert ((await of("v1", "vendor"))["enrolled"], (await of("v1", "vendor"))["vacancies"]) == (0, 2)
    apprentice = {"eventId": "s3", "uai": X, "ine": "1234A12345D", "certification": CAP, "step": "APPRENTICE",
                  "effectiveDate": (TODAY - timedelta(days=1)).isoformat()}
    await gql.data(RECORD, {"input": [apprentice]}, key=world["vendor"])  # a new apprentice takes a place
    assert ((await of("v1"))["enrolled"], (await of("v1"))["vacancies"]) == (2, 0)
    only = await listed(gql, world["admin"], filter={"withVacanciesOnly": True})
    assert [e["node"]["offerRef"] for e in only["edges"]] == ["v2"] and only["totalCount"] == 1
    # the filter reads the vacancies as the reader sees them: 2 enrolled show as 0, 2 places left
    only = await listed(gql, world["vendor"], filter={"withVacanciesOnly": True})
    assert sorted(e["node"]["offerRef"] for e in only["edges"]) == ["v1", "v2"] and only["totalCount"] == 2
    dropped = {**steps[0], "eventId": "s4", "step": "DROPPED_OUT", "effectiveDate": TODAY.isoformat()}
    await gql.data(RECORD, {"input": [dropped]}, key=world["vendor"])  # a place frees up
    assert (await of("v1"))["vacancies"] == 1
    await gql.data(REVISE, {"id": (await of("v1"))["id"], "c": 1}, key=world["admin"])
    assert (await of("v1"))["vacancies"] == 0


async def test_filters_and_pagination(gql, world):
    records = [offer(f"f{i}", uai=(X, LYON)[i % 2], department=("75", "69")[i % 2], cert=(CAP, BTS)[i % 3 == 0])
               for i in range(9)]
    assert (await upsert(gql, world["vendor"], records))["accepted"] == 9

    async def refs(**variables):
        page = await listed(gql, world["vendor"], first=500, **variables)
        return sorted(e["node"]["offerRef"] for e in page["edges"])

    assert await refs(filter={"departments": ["69"]}) == ["f1", "f3", "f5", "f7"]
    assert await refs(filter={"regions": ["84"]}) == ["f1", "f3", "f5", "f7"]  # Auvergne-Rhône-Alpes
    assert await refs(filter={"regions": ["11"], "departments": ["69"]}) == []  # both narrow
    assert await refs(filter={"uai": X.lower()}) == ["f0", "f2", "f4", "f6", "f8"]
    assert await refs(filter={"certification": BTS}) == ["f0", "f3", "f6"]
    seen, after = [], None
    while True:
        page = await listed(gql, world["vendor"], first=4, after=after)
        seen += [e["node"]["offerRef"] for e in page["edges"]]
        assert page["totalCount"] == 9
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(seen) == sorted(f"f{i}" for i in range(9)) and len(seen) == 9
    assert (await gql.error(OFFERS, {"filter": {"uai": "nope"}}, key=world["vendor"]))["extensions"]["field"] == "filter.uai"


CSV_FR = (
    "\ufeffCode UAI;Clé offre;Code diplôme;Intitulé;Département;Date début;Date fin;Capacité d'accueil;"
    "ID Parcoursup;ID Affelnet;Commentaire\n"
    f"{X};o0;{CAP};CAP Pâtissier en 2 ans;75;01/09/2026;30/06/2028;12;12345;01/2345;interne\n"
    f"{Z};o13;RNCP34567;;75;01/09/2026;30/06/2028;;;;\n"
)


async def test_the_file_and_the_mutation_give_the_same_offers(gql, world, http, connection):
    columns = ("uai, offer_ref, title, certification_code, department_code, session_start, session_end, capacity,"
               " parcoursup_id, affelnet_id, content_hash")
    await upsert(gql, world["vendor"], [
        offer("o0", title="CAP Pâtissier en 2 ans", parcoursupId="12345", affelnetId="01/2345", sessionEnd="2028-06-30"),
        offer("o13", uai=Z, cert="RNCP34567", capacity=None),
    ])
    by_mutation = (await connection.execute(text(f"SELECT {columns} FROM offer ORDER BY offer_ref"))).all()
    response = await http.post("/imports/offers", content=CSV_FR.encode(), headers={
        "Authorization": f"Bearer {world['vendor']}", "Content-Type": "text/csv"})
    assert response.status_code == 200, response.text
    assert response.json() | {"rejected": []} == {
        "lines": 2, "accepted": 0, "unchanged": 2, "rejected": [], "ignoredColumns": ["Commentaire"]}
    await connection.execute(text("DELETE FROM offer"))
    response = await http.post("/imports/offers", files={"file": ("catalogue.csv", CSV_FR.encode(), "text/csv")},
                               headers={"Authorization": f"Bearer {world['vendor']}"})
    assert (response.json()["accepted"], response.json()["rejected"]) == (2, [])
    by_file = (await connection.execute(text(f"SELECT {columns} FROM offer ORDER BY offer_ref"))).all()
    assert by_file == by_mutation


async def test_bad_lines_are_reported_with_line_and_column_and_good_ones_stored(gql, world, http, connection):
    csv_text = (
        "uai,offer_ref,certification,department,session_start,session_end,capacity\n"
        f"{X},a,{CAP},75,2026-09-01,2028-06-30,10\n"
        f"{X},b,{CAP},75,31/02/2026,2028-06-30,10\n"
        "\n"
        f"0751234A,c,{CAP},75,,,\n"
        f"{X},d,{CAP},75,,,douze\n"
        f"{CLOSED},e,{CAP},2A,,,\n"
        f"{X},a,{CAP},75,,,3\n"
        f"{LYON},f,{BTS},69,01/09/2026,15/07/2027,8\n"
    )
    response = await http.post("/imports/offers", content=csv_text.encode(), headers={
        "Authorization": f"Bearer {world['vendor']}", "Content-Type": "text/csv"})
    report = response.json()
    got = [(e["line"], e["column"], e["code"]) for e in report["rejected"]]
    assert sorted(got) == [
        (3, "session_start", "INVALID_DATE"), (5, "uai", "INVALID_UAI"), (6, "capacity", "INVALID_CAPACITY"),
        (7, "uai", "CONSENT_MISSING"), (8, "offer_ref", "DUPLICATE_IN_FILE"),
    ]
    assert (report["lines"], report["accepted"]) == (7, 2)
    stored = (await connection.execute(text("SELECT offer_ref, session_end FROM offer ORDER BY offer_ref"))).all()
    assert [tuple(r) for r in stored] == [("a", date(2028, 6, 30)), ("f", date(2027, 7, 15))]


async def test_the_import_checks_its_key_and_its_columns(world, http):
    body = CSV_FR.encode()
    assert (await http.post("/imports/offers", content=body)).status_code == 401
    forbidden = await http.post("/imports/offers", content=body, headers={"Authorization": f"Bearer {world['admin']}"})
    assert forbidden.status_code == 403
    missing = await http.post("/imports/offers", content=b"uai;title\n0751234J;x\n",
                              headers={"Authorization": f"Bearer {world['vendor']}"})
    assert missing.status_code == 400 and missing.json()["errors"][0]["extensions"]["reason"] == "MISSING_COLUMN"
    latin1 = await http.post("/imports/offers", content="uai;intitulé\n".encode("latin-1"),
                             headers={"Authorization": f"Bearer {world['vendor']}"})
    assert latin1.status_code == 400 and latin1.json()["errors"][0]["extensions"]["reason"] == "INVALID_ENCODING"


async def test_a_session_end_completes_the_contracts_that_end_with_it(gql, world, admin):
    ended = TODAY - timedelta(days=10)
    contract = {"eventId": "c1", "uai": X, "ine": "123456789AB", "certification": CAP, "step": "APPRENTICE",
                "effectiveDate": (ended - timedelta(days=700)).isoformat(),
                "contractStart": (ended - timedelta(days=700)).isoformat(), "contractEnd": ended.isoformat()}
    await gql.data(RECORD, {"input": [contract]}, key=world["vendor"])
    query = 'query { youth(ine: "123456789AB") { situation { status cause } } }'
    # no training end known: the contract's end completes it (rules 2027.1, rule 2)
    assert (await gql.data(query, key=admin.key))["youth"]["situation"] == {"status": "COMPLETED", "cause": "CONTRACT_COMPLETED"}
    await upsert(gql, world["vendor"], [offer("e1", sessionEnd=(ended + timedelta(days=200)).isoformat())])
    # the session ends 200 days after the contract: it ended early, a rupturant
    assert (await gql.data(query, key=admin.key))["youth"]["situation"] == {"status": "CONTRACT_BROKEN", "cause": "CONTRACT_ENDED"}
    await upsert(gql, world["vendor"], [offer("e1", sessionEnd=(ended + timedelta(days=5)).isoformat())])
    assert (await gql.data(query, key=admin.key))["youth"]["situation"] == {"status": "COMPLETED", "cause": "CONTRACT_COMPLETED"}


async def test_other_roles_cannot_upsert_and_every_role_lists(gql, world, database):
    _, portal = await new_client(database, Role.PORTAL)
    _, pilot = await new_client(database, Role.PILOT)
    assert (await gql.error(UPSERT, {"input": [offer("x")]}, key=portal))["extensions"]["code"] == "FORBIDDEN"
    await upsert(gql, world["vendor"], [offer("x")])
    for key in (portal, pilot, world["admin"], world["other"]):
        assert (await listed(gql, key))["totalCount"] == 1


def test_the_cli_imports_a_file_with_a_progress_bar(tmp_path, fresh_database_url):
    import asyncio

    from app.auth import Principal
    from app.db import Database, make_engine
    from app.migrate import upgrade
    from app.services import cfas, clients
    from app.settings import Settings

    async def setup() -> str:
        settings = Settings(database_url=fresh_database_url)
        database = Database(make_engine(fresh_database_url, settings))
        await upgrade(database.engine)
        db = database.session()
        pepper = settings.key_pepper.get_secret_value()
        admin = await clients.create_client(db, pepper, name="admin", role=Role.ADMIN)
        vendor = await clients.create_client(db, pepper, name="vendor", role=Role.VENDOR)
        principal = Principal(admin.client.id, "admin", Role.ADMIN, None, None, admin.client.created_at, admin.client.id)
        for uai in (X, Z):
            await cfas.register_cfa(db, uai=uai, siret=None, name=uai, department_code="75")
            await cfas.set_consent(db, principal, uai=uai, given=True, vendor_client_ids=[str(vendor.client.id)])
        await db.commit()
        await db.close()
        await database.dispose()
        return vendor.api_key

    key = asyncio.run(setup())
    path = tmp_path / "catalogue.csv"
    path.write_text(CSV_FR + f"{X};bad;XYZ;;75;;;;;;\n", encoding="utf-8")
    env = {**os.environ, "HUB_DATABASE_URL": fresh_database_url, "HUB_LOG_LEVEL": "WARNING", "HUB_VENDOR_KEY": key}
    done = subprocess.run([sys.executable, "-m", "app.cli", "import", "offers", str(path)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr  # one line rejected
    assert "3 lines: 2 stored, 0 unchanged, 1 rejected" in done.stdout
    assert "line 4, column Code diplôme: INVALID_CERTIFICATION" in done.stdout
    assert "100%" in done.stderr
    again = subprocess.run([sys.executable, "-m", "app.cli", "import", "offers", str(path), "--key", "hub_nope"],
                           env={**env, "HUB_VENDOR_KEY": ""}, capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and "not a valid VENDOR key" in again.stderr
