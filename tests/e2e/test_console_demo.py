"""The console while ``hisbridge demo`` runs: log in through the form and watch the dashboard's
counters move by themselves (server-sent events), then read the warnings the demo polled.

The demo runs as a subprocess on free loopback ports with its own data folder; a console user
is added to its store with ``hisbridge user add ... --password-stdin``. On failure a screenshot
is saved under ``test-artifacts/``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from hisbridge.testing import free_ports

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
USER, PASSWORD = "demoadmin", "demo-admin-pass-1"


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, **extra}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def _wait_up(url: str, proc: subprocess.Popen[bytes], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the demo exited early with {proc.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    raise AssertionError("the demo did not come up")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("demo")
    gateway, frontend, client, gdhealth = free_ports(4)
    log = (data / "demo.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "hisbridge", "demo", "--port", str(gateway), "--frontend-port",
         str(frontend), "--client-port", str(client), "--gdhealth-port", str(gdhealth),
         "--data-dir", str(data), "--duration", "240"],
        stdout=log, stderr=subprocess.STDOUT, env=_env(), cwd=data)
    url = f"http://127.0.0.1:{gateway}"
    try:
        _wait_up(url, proc)
        subprocess.run([sys.executable, "-m", "hisbridge", "user", "add", USER, "--role", "admin",
                        "--password-stdin"], input=f"{PASSWORD}\n".encode(), check=True, timeout=60,
                       env=_env(HISBRIDGE_STORE__URL=f"sqlite:///{data / 'store.db'}"), cwd=data,
                       capture_output=True)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="zh-CN")
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            browser.close()


def test_dashboard_counters_move_while_the_demo_runs(demo: str, page: Page) -> None:
    try:
        page.goto(f"{demo}/console/")
        page.fill("input[name=user]", USER)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page.get_by_test_id("user")).to_have_text(USER)
        expect(page.locator("[data-live].on")).to_have_count(1)
        accepted = page.get_by_test_id("total-accepted")
        before = int(accepted.inner_text().replace(",", ""))
        page.wait_for_function(  # no reload: the cells change through server-sent events
            "n => Number(document.querySelector('[data-testid=total-accepted]').textContent) > n",
            arg=before, timeout=60_000)
        expect(page.get_by_test_id("total-delivered")).not_to_have_text("0", timeout=60_000)
        empty = page.get_by_test_id("warnings").locator("td[colspan]")  # the "none" row
        deadline = time.monotonic() + 60
        while True:  # the warnings page is not live: reload until the poller brought some
            page.goto(f"{demo}/console/warnings")
            if empty.count() == 0 or time.monotonic() > deadline:
                break
            time.sleep(2)
        expect(empty).to_have_count(0)
        expect(page.get_by_test_id("poll-states")).to_be_visible()
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        with contextlib.suppress(Exception):
            page.screenshot(path=str(ARTIFACTS / "console-demo.png"), full_page=True)
        raise
