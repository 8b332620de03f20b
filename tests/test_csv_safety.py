"""CSV exports are safe to open in a spreadsheet: a text cell starting like a formula (``=``,
``+``, ``-``, ``@``, a tab, a carriage return) gets a leading ``'`` (OWASP), in every export, for
text the portals (portalWishId) and the operator (CFA names, certification titles) chose."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from app.domain.actors import Role
from app.domain.dates import today as france_today
from app.exports import spreadsheet_safe
from tests.factories import new_cfa, new_client

FORMULAS = ["=HYPERLINK(\"http://x\")", "+1+1", "-2-3", "@SUM(A1)", "\tlabel", "\rlabel"]
# what the hub stores as it came (it strips the spaces, tabs and carriage returns around text)
STORED = FORMULAS[:4] + ["=1;2", "@@"]


@pytest.mark.parametrize(("value", "expected"), [
    *((f, "'" + f) for f in FORMULAS),
    ("CFA de Paris", "CFA de Paris"), ("a=b", "a=b"), ("", ""), ("'=x", "'=x"), (" =x", " =x"),
    (-2, -2), (0, 0), (None, None), (date(2026, 9, 1), date(2026, 9, 1)),
])
def test_a_cell_that_starts_like_a_formula_is_neutralised(value, expected):
    assert spreadsheet_safe(value) == expected


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


async def test_portal_wish_ids_are_neutralised_in_the_wishes_export(gql, http, database):
    await new_cfa(database, "0751234J")
    _, portal = await new_client(database, Role.PORTAL)
    submitted = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    wishes = [{"portalWishId": wish_id, "ine": f"12345678{i}AB", "uai": "0751234J", "certification": "50022141",
               "submittedAt": submitted} for i, wish_id in enumerate(STORED)]
    result = await gql.data("mutation($w: [WishInput!]!) { submitWishes(input: $w) { accepted } }", {"w": wishes}, key=portal)
    assert result["submitWishes"]["accepted"] == len(STORED)
    export = await http.get("/exports/wishes.csv", headers={"Authorization": f"Bearer {portal}"})
    first_column = sorted(row[0] for row in cells(export.text)[1:])
    assert first_column == sorted("'" + f for f in STORED)


async def test_names_and_titles_are_neutralised_in_the_headcounts_export(gql, http, database, admin):
    names = {f"{number:07d}": name for number, name in zip(range(751230, 751240), STORED)}
    from app.domain.identifiers import uai_check_letter

    for digits, name in names.items():
        await new_cfa(database, digits + uai_check_letter(digits), name=name)
    titles = [{"code": f"5002214{i}", "title": title, "level": 3} for i, title in enumerate(STORED)]
    done = await gql.data("mutation($c: [CertificationInput!]!) { registerCertifications(input: $c) { accepted } }",
                          {"c": titles}, key=admin.key)
    assert done["registerCertifications"]["accepted"] == len(STORED)
    vendor_row, vendor = await new_client(database, Role.VENDOR)
    consent = "mutation($u: String!, $v: [ID!]) { setCfaConsent(uai: $u, given: true, vendorClientIds: $v) { uai } }"
    steps = []
    for i, digits in enumerate(names):
        uai = digits + uai_check_letter(digits)
        await gql.data(consent, {"u": uai, "v": [str(vendor_row.id)]}, key=admin.key)
        steps.append({"eventId": f"e{i}", "uai": uai, "ine": f"12345678{i}AB", "certification": f"5002214{i}",
                      "step": "APPRENTICE", "effectiveDate": (france_today() - timedelta(days=5)).isoformat()})
    recorded = await gql.data("mutation($s: [StepInput!]!) { recordSteps(input: $s) { accepted } }", {"s": steps}, key=vendor)
    assert recorded["recordSteps"]["accepted"] == len(STORED)
    for group_by, expected in (("CFA", STORED), ("CERTIFICATION", STORED)):
        export = await http.get("/exports/headcounts.csv", params={"groupBy": group_by},
                                headers={"Authorization": f"Bearer {admin.key}"})
        labels = [row[2] for row in cells(export.text)[1:]]
        assert sorted(labels) == sorted("'" + f for f in expected), (group_by, labels)
