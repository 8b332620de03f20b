"""The README and docs/ say what is true: the README is short and complete, its layout names
what the repository holds, and every setting is documented (and only those). Links between the
pages are checked by `mkdocs build --strict` in `make test`."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_the_readme_is_short_and_has_what_a_newcomer_needs():
    assert len(README.encode()) < 16_000
    for needed in ("make run", "make test", "## Roles", "## One example per role", "## Layout", "## Where to read more"):
        assert needed in README, needed
    for role in ("VENDOR", "PORTAL", "ADVISER", "PILOT", "ADMIN"):
        assert f"# {role}:" in README, role  # one example each


def test_the_layout_names_every_top_level_folder_and_nothing_else():
    tree = README.split("## Layout", 1)[1].split("```")[1]
    named = {match.split("/")[0] for match in re.findall(r"(?m)^(\.?\w+/)", tree)}
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    folders = {path.split("/")[0] for path in tracked if "/" in path}
    assert named == folders


def test_every_setting_is_documented_and_every_documented_setting_exists():
    documented = set(re.findall(r"`(HUB_[A-Z0-9_]+)`", (ROOT / "docs" / "configuration.md").read_text()))
    settings = {f"HUB_{name.upper()}" for name in Settings.model_fields}
    assert settings - documented == set(), "settings missing from docs/configuration.md"
    assert documented - settings == set(), "docs/configuration.md names settings that do not exist"


def test_every_docs_page_is_in_the_site():
    nav = (ROOT / "mkdocs.yml").read_text()
    pages = {p.name for p in (ROOT / "docs").glob("*.md")}
    assert pages == set(re.findall(r":\s*(\w+\.md)$", nav, re.M))
