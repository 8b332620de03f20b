"""The pilots' dashboard in a real headless Chromium: the page loads, asks the API with a pilot's
key, draws its four charts with the API's figures, and a screenshot is kept as an artefact
(``.hub/artifacts/dashboard.png``). Needs Debian's ``chromium`` (``.ci/run`` installs it); skipped,
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
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--virtual-time-budget=30000", *args],
        capture_output=True, text=True, timeout=120,
    )


@pytest.fixture
def hub_with_demo(fresh_database_url):
    env = {**os.environ, "HUB_DATABASE_URL": fresh_database_url, "HUB_ENV": "test", "HUB_LOG_LEVEL": "WARNING"}
    loaded = subprocess.run([sys.executable, "-m", "app.cli", "demo", "--no-serve", "--youths", "400", "--cfas", "12"],
                            env=env, capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert loaded.returncode == 0, loaded.stderr
    key = next(line.split()[-1] for line in loaded.stdout.splitlines() if line.strip().startswith("Demo PILOT"))
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
        yield f"http://127.0.0.1:{port}", key
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_the_dashboard_draws_the_apis_figures_in_chromium(hub_with_demo):
    base, key = hub_with_demo
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = httpx.get(f"{base}/dashboard")
    assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
    assert httpx.get(f"{base}/dashboard/static/dashboard.js").status_code == 200

    expected = httpx.post(f"{base}/graphql", headers={"Authorization": f"Bearer {key}"}, json={
        "query": "{ headcounts(groupBy: REGION) { key registered apprentices } }"}).json()["data"]["headcounts"]
    assert expected, "the demo data gives regions with youths"

    dom = chromium("--dump-dom", f"{base}/dashboard#key={key}")
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert 'data-ready="true"' in html, re.findall(r'<p id="status"[^>]*>[^<]*', html)
    # the table: one line per region the API gives, with its figures
    for row in expected:
        cells = re.search(rf'<tr data-key="{row["key"]}">(.*?)</tr>', html)
        assert cells, row["key"]
        numbers = [c.replace("\u202f", "").replace("\xa0", "") for c in re.findall(r"<td>([^<]*)</td>", cells.group(1))]
        assert numbers[1:3] == [str(row["registered"]), str(row["apprentices"])]
    # the four charts are drawn, with data
    assert re.search(rf'data-chart="regions-chart" data-bars="{len(expected)}"', html)
    points = re.search(r'data-chart="series-chart" data-points="(\d+)"', html)
    assert points and int(points.group(1)) >= 1
    assert 'data-chart="capacity-chart"' in html and 'data-chart="wishes-chart"' in html
    assert html.count("<rect") > len(expected)

    shot = ARTIFACTS / "dashboard.png"
    shot.unlink(missing_ok=True)
    done = chromium(f"--screenshot={shot}", "--window-size=1400,1900", f"{base}/dashboard#key={key}")
    assert done.returncode == 0 and shot.exists() and shot.stat().st_size > 20_000, done.stderr[-2000:]


def test_a_wrong_key_shows_an_error_not_figures(hub_with_demo):
    base, _ = hub_with_demo
    html = chromium("--dump-dom", f"{base}/dashboard#key=hub_not_a_key").stdout
    assert 'data-ready="error"' in html and "UNAUTHENTICATED" in html
