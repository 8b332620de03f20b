"""CFA and certification reads: any role, real pagination, no N+1."""

from __future__ import annotations

import pytest

from app.domain.actors import Role
from app.domain.identifiers import uai_check_letter
from tests.factories import new_cfa, new_client

PAGE = """
query($first: Int, $after: String) {
  cfas(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { uai name consentGiven department { code region { code } } region { name } } }
  }
}"""


def uai(department_prefix: str, number: int) -> str:
    seven = f"{department_prefix}{number:04d}"
    return seven + uai_check_letter(seven)


async def seed_cfas(database, n: int) -> list[str]:
    prefixes = [("075", "75"), ("069", "69"), ("620", "2A"), ("971", "971"), ("035", "35")]
    uais = []
    for i in range(n):
        prefix, department = prefixes[i % len(prefixes)]
        code = uai(prefix, i)
        await new_cfa(database, code, name=f"CFA {i}", department=department)
        uais.append(code)
    return sorted(uais)


@pytest.mark.parametrize("role", list(Role))
async def test_every_role_reads_a_cfa(gql, database, role):
    await new_cfa(database, "0751234J", name="CFA Paris", department="75")
    _, key = await new_client(database, role, departments=["69"] if role == Role.ADVISER else None)
    cfa = (await gql.data('{ cfa(uai: "0751234j") { uai name region { code } } }', key=key))["cfa"]
    assert cfa == {"uai": "0751234J", "name": "CFA Paris", "region": {"code": "11"}}


async def test_unknown_or_invalid_uai_gives_null(gql, admin):
    data = await gql.data('{ a: cfa(uai: "0751234J") { uai } b: cfa(uai: "garbage") { uai } }', key=admin.key)
    assert data == {"a": None, "b": None}


async def test_pages_cover_every_cfa_exactly_once_in_uai_order(gql, database, admin):
    expected = await seed_cfas(database, 23)
    seen, after, pages = [], None, 0
    while True:
        page = (await gql.data(PAGE, {"first": 5, "after": after}, key=admin.key))["cfas"]
        assert page["totalCount"] == 23
        seen += [edge["node"]["uai"] for edge in page["edges"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
    assert seen == expected
    assert pages == 5


async def test_default_page_size_is_50(gql, database, admin):
    await seed_cfas(database, 3)
    page = (await gql.data("{ cfas { edges { node { uai } } pageInfo { hasNextPage endCursor } } }", key=admin.key))["cfas"]
    assert len(page["edges"]) == 3 and page["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize("first", [0, -1, 501])
async def test_page_size_out_of_range_is_bad_input(gql, admin, first):
    error = await gql.error(PAGE, {"first": first}, key=admin.key)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "first", "reason": "PAGE_SIZE"}


@pytest.mark.parametrize("cursor", ["garbage", "WyJvZmZlciIsMV0", ""])
async def test_a_foreign_or_forged_cursor_is_bad_input(gql, admin, cursor):
    error = await gql.error(PAGE, {"first": 5, "after": cursor}, key=admin.key)
    assert error["extensions"]["reason"] == "INVALID_CURSOR"


async def test_nested_cfa_pages_use_a_constant_number_of_queries(gql, database, admin, queries):
    await seed_cfas(database, 40)
    counts = {}
    for first in (5, 40):
        queries.reset()
        page = (await gql.data(PAGE, {"first": first}, key=admin.key))["cfas"]
        assert len(page["edges"]) == first
        counts[first] = queries.count
    # auth + page + count + one batch of departments + one batch of regions, whatever the size
    assert counts[5] == counts[40] <= 9, queries.statements  # 3 of them: the key, its last use, the rate limit
