"""The pilots' dashboard in a real headless Chromium: the page loads, asks the API with a regional
pilot's key, names its territory, shows departments and CFAs (small counts protected), capacity
against enrolled, coverage, wish conversion and the year's series with the API's figures, and
screenshots at 1400x1000 and 390x844 are kept as artefacts (``.hub/artifacts/dashboard-*.png``). Needs Debian's ``chromium`` (``.ci/run`` installs it); skipped,
with the reason, where it is missing."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome") if shutil.which(name)), None)
ARTIFACTS = ROOT / ".hub" / "artifacts"

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (apt-get install chromium; .ci/run does)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    profile = ARTIFACTS / "chromium-profile"
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--lang=fr-FR",
         f"--user-data-dir={profile}", "--virtual-time-budget=30000", *args],
        capture_output=True, text=True, timeout=120,
    )


@pytest.fixture
def hub_with_demo(fresh_database_url):
    # a page costs a pilot about 22 of its 60 tokens (its estimated cost); the screenshots reload it
    # at once, which a pilot would not: the bucket is raised so that they never show "trop de demandes"
    env = {**os.environ, "HUB_DATABASE_URL": fresh_database_url, "HUB_ENV": "test", "HUB_LOG_LEVEL": "WARNING",
           "HUB_RATE_LIMIT_BURST": "1000"}
    loaded = subprocess.run([sys.executable, "-m", "app.cli", "demo", "--no-serve", "--youths", "400", "--cfas", "12"],
                            env=env, capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert loaded.returncode == 0, loaded.stderr
    key = next(line.split()[-1] for line in loaded.stdout.splitlines() if line.strip().startswith("Demo PILOT"))
    created = subprocess.run([sys.executable, "-m", "app.cli", "clients", "create", "--role", "PILOT",
                              "--name", "Pilote Île-de-France", "--regions", "11"],
                             env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert created.returncode == 0, created.stderr
    regional = created.stdout.strip().splitlines()[-1]
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", key, regional
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def api(base: str, key: str, query: str) -> dict:
    body = httpx.post(f"{base}/graphql", headers={"Authorization": f"Bearer {key}"}, json={"query": query}).json()
    assert "errors" not in body, body
    return body["data"]


def cells(html: str, table: str, key: str) -> list[str]:
    """The texts of a table's line (its data-key), spaces of French numbers removed."""
    body = re.search(rf'<table id="{table}">(.*?)</table>', html, re.S)
    assert body, table
    line = re.search(rf'<tr data-key="{re.escape(key)}"[^>]*>(.*?)</tr>', body.group(1), re.S)
    assert line, (table, key)
    return [c.replace("\u202f", "").replace("\xa0", "").replace("&lt;", "<")
            for c in re.findall(r"<td[^>]*>([^<]*)</td>", line.group(1))]


def shown(row: dict, field: str) -> str:
    return "< 5" if field in row["suppressedFields"] else str(row[field])


def screenshot(base: str, key: str, name: str, size: str) -> Path:
    shot = ARTIFACTS / name
    shot.unlink(missing_ok=True)
    done = chromium(f"--screenshot={shot}", f"--window-size={size}", f"{base}/dashboard#key={key}")
    assert done.returncode == 0 and shot.exists() and shot.stat().st_size > 20_000, done.stderr[-2000:]
    return shot


ROW = "key label registered apprentices contractBroken droppedOut capacity vacancies overCapacity suppressedFields"


def test_the_dashboard_answers_a_regional_pilot_with_the_apis_figures(hub_with_demo):
    base, _, regional = hub_with_demo
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = httpx.get(f"{base}/dashboard")
    assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
    assert httpx.get(f"{base}/dashboard/static/dashboard.js").status_code == 200
    expected = api(base, regional, f"""{{ me {{ departments }}
      departments: headcounts(groupBy: DEPARTMENT) {{ {ROW} }}
      cfas: headcounts(groupBy: CFA) {{ {ROW} }}
      total: headcounts(groupBy: NATIONAL) {{ {ROW} }}
      coverage: transmissionCoverage(groupBy: DEPARTMENT) {{ key cfas transmitting }}
      conversion: wishConversion(groupBy: DEPARTMENT) {{ key wishes handled apprentices apprenticesAsWished left suppressedFields }}
    }}""")
    assert expected["departments"] and expected["cfas"] and expected["conversion"], "the demo gives the region youths"

    dom = chromium("--dump-dom", f"{base}/dashboard#key={regional}")
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert 'data-ready="true"' in html, re.findall(r'<p id="status"[^>]*>[^<]*', html)
    # the territory named, the date the French way
    status = re.search(r'<p id="status"[^>]*>([^<]*)</p>', html).group(1)
    assert "territoire : " in status and "Paris" in status and re.search(r"\d\d/\d\d/\d{4}", status), status
    # departments, then CFAs: the API's figures, small counts shown as "< 5"
    for row in expected["departments"]:
        line = cells(html, "departments-table", row["key"])
        assert line[1:5] == [shown(row, f) for f in ("apprentices", "registered", "contractBroken", "droppedOut")], row
        assert line[5:7] == [str(row["capacity"]) if row["capacity"] is not None else "—",
                             str(row["vacancies"]) if row["vacancies"] is not None else "—"]
    for row in expected["cfas"][:10]:
        line = cells(html, "cfas-table", row["key"])
        assert line[1:4] == [shown(row, f) for f in ("apprentices", "registered", "contractBroken")], row
    over = [r["key"] for r in expected["departments"] if r["overCapacity"]]
    for key in over:
        assert re.search(rf'<tr data-key="{key}" class="over">', html)
    for row in expected["conversion"]:
        line = cells(html, "conversion-table", row["key"])
        assert [line[1], line[2], line[5], line[6], line[7]] == [
            shown(row, f) for f in ("wishes", "handled", "apprentices", "apprenticesAsWished", "left")], row
    total = expected["total"][0]
    assert re.search(rf'data-kpi="apprentices"><b>{total["apprentices"]:,}</b>'.replace(",", "\u202f"), html) or \
        re.search(rf'data-kpi="apprentices"><b>{total["apprentices"]}</b>', html)
    known = sum(r["cfas"] for r in expected["coverage"])
    sending = sum(r["transmitting"] for r in expected["coverage"])
    assert f'data-kpi="coverage"><b>{sending} / {known}</b>' in html
    # the charts: labelled value axes with gridlines, the departments with capacity, the months
    with_capacity = [r for r in expected["departments"] if r["capacity"] is not None]
    assert re.search(rf'data-chart="places-chart" data-bars="{min(len(with_capacity), 25)}"', html)
    assert re.search(rf'data-chart="coverage-chart" data-bars="{len(expected["coverage"])}"', html)
    points = re.search(r'data-chart="series-chart" data-points="(\d+)"', html)
    assert points and int(points.group(1)) >= 1
    assert html.count('class="grid"') >= 9 and html.count("data-tick=") >= 9

    screenshot(base, regional, "dashboard-1400x1000.png", "1400,1000")
    screenshot(base, regional, "dashboard-390x844.png", "390,844")
    screenshot(base, regional, "dashboard-whole-page.png", "1400,2600")  # every section, for reviewers


def test_a_wrong_key_or_date_shows_a_french_error_not_figures(hub_with_demo):
    base, _, regional = hub_with_demo
    html = chromium("--dump-dom", f"{base}/dashboard#key=hub_not_a_key").stdout
    assert 'data-ready="error"' in html and "clé inconnue" in html and "UNAUTHENTICATED" in html
    assert "<tr data-key" not in html
    html = chromium("--dump-dom", f"{base}/dashboard#key={regional}&on=2026-02-31").stdout  # no 31 February
    assert 'data-ready="error"' in html and "date invalide : écrivez-la jj/mm/aaaa" in html
