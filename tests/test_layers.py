"""The layers, checked on every import statement (module level and inside functions):
requests go graphql_schema → app.services → app.repositories → app.models, the domain imports
none of them, and SQL lives in the repositories."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\b")


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


RULES = [  # (folder or file, prefixes it must not import)
    ("app/domain", ("app.", "graphql_schema")),
    ("app/models", ("app.services", "app.repositories", "graphql_schema")),
    ("app/repositories", ("app.services", "graphql_schema")),
    # the statements of the session, under every layer (app/db.py imports them)
    ("app/repositories/session.py", ("app.", "graphql_schema")),
    ("app/services", ("graphql_schema",)),
    ("graphql_schema/loaders.py", ("graphql_schema.types", "graphql_schema.context")),
    ("graphql_schema/context.py", ("graphql_schema.types",)),
]


@pytest.mark.parametrize(("where", "forbidden"), RULES)
def test_no_import_runs_back_up(where, forbidden):
    paths = [ROOT / where] if where.endswith(".py") else modules(where)
    allowed_inside = "app.domain" if where == "app/domain" else None
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}" for path in paths for name in sorted(imported(path))
        if name.startswith(forbidden) and not (allowed_inside and name.startswith(allowed_inside))
    ]
    assert wrong == []


def test_sql_lives_in_the_repositories():
    found = [
        f"{path.relative_to(ROOT)}:{number}" for path in modules("app") + modules("graphql_schema")
        if not str(path.relative_to(ROOT)).startswith("app/repositories/")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if SQL.search(line) and not line.lstrip().startswith("#")
    ]
    assert found == []
