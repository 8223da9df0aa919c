"""One real-browser check: the app served on 127.0.0.1, Debian's Chromium driven by Playwright:
sign in as a store manager, open My plan, take a screenshot."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, TODAY, free_port

from planner import PlanConfig, run_week
from planner.db import Database
from planner.db.accounts import MANAGER, add_user

CHROMIUM = Path("/usr/bin/chromium")
DATA = Path(__file__).parent / "data"


@pytest.fixture
def served_app(tmp_path: Path):
    """`streamlit run app.py` on a free port, with a published plan and one manager account."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    out = tmp_path / "out"
    run_week(DATA / "chain", out, PlanConfig(), today=TODAY)
    url = f"sqlite:///{tmp_path / 'planner.db'}"
    db = Database(url)
    add_user(db, "m1", "manager one pw", MANAGER, "S1", ["S1", "S2"])
    db.dispose()
    port = free_port()
    env = {**os.environ, "PLANNER_OUT": str(out), "PLANNER_DATA": str(DATA / "chain"), "PLANNER_DATABASE_URL": url}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.3)
        else:
            pytest.fail("streamlit did not start within 60 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_manager_signs_in_and_sees_my_plan_in_chromium(served_app: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    shot = Path(os.environ.get("PLANNER_SCREENSHOTS", tmp_path)) / "my_plan.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(served_app)
            page.get_by_role("textbox", name="Username").fill("m1")
            page.get_by_role("textbox", name="Password").fill("manager one pw")
            page.get_by_role("button", name="Sign in").click()
            page.get_by_test_id("stDataFrame").first.wait_for(timeout=60000)
            page.get_by_text("Markt Mitte (S1): this week's plan").wait_for(timeout=30000)
            assert page.get_by_text("Signed in as").first.is_visible()
            assert page.get_by_text("Markt Nord").count() == 0
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
