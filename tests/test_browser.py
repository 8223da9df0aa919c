"""Real-browser checks: the app served on 127.0.0.1, Debian's Chromium driven by Playwright at
1,400 x 900. A store manager and head office visit every page through the sidebar (page.goto would
reload and lose the session); on each page every table shows all its columns without horizontal
scrolling, the key columns carry their labels, no code of the data is shown as text, and the
caption names the planned week and the POS period. Screenshots go to PLANNER_SCREENSHOTS (else
the test's temporary folder)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, SAMPLE, TODAY, configured, free_port

from planner import load_config, run_week
from planner.db import Database
from planner.db.accounts import HEAD_OFFICE, MANAGER, Principal, add_user
from planner.db.requests import decide, propose
from planner.ui.header import plan_period

CHROMIUM = Path("/usr/bin/chromium")
DATA = Path(__file__).parent / "data"
VIEWPORT = {"width": 1400, "height": 900}
PASSWORDS = {"m1": "manager one pw", "hq": "head office pw"}
LONG_COMMENT = ("Our regulars from the care home ask for it every week; the waste estimate is too high because the last packs "
                "go at a discount on Saturdays, so please keep it on the shelf until the spring.")

# the key columns of each page's tables, as the browser shows them (header cells of the grids)
PLAN_TABLES = [["Change", "SKU", "Product", "Category", "Shelf", "Units / wk", "Case", "First order", "Impact / week", "Why"],
               ["Week", "Change", "SKU", "Product", "Shelf", "Units / wk", "Case", "First order", "Impact / week", "Why"],
               ["Role", "SKU", "Product", "Profit / week", "Shelf", "Inventory", "Why"]]
CUSTOMER_TABLES = [["SKU", "Product", "Category", "Index", "Units / week", "In the plan"]] * 2
WHAT_IF_TABLES = [["", "Profit / week", "Products", "Shelf units used", "Shelf capacity", "Inventory used", "Inventory budget"]]
REQUEST_TABLES = [["#", "SKU", "Product", "Change", "Status", "Comment", "By", "Made (UTC)"], ["When (UTC)", "By", "Step", "Comment"]]
STORE_TABLE = [["ID", "Store", "Sales / week", "Profit / week", "Today / week", "Waste / week", "Add-ons", "This week", "Weeks",
                "Shelf use", "Budget use"]]
# (sidebar entry, words in the page's heading, tables); head office sees "Store plan" and "Store customers"
STORE_PAGES = [("My plan", "this week's plan", PLAN_TABLES), ("My customers", "customers against the chain", CUSTOMER_TABLES),
               ("Why / why not", "why, or why not?", []), ("What-if", "what if ...?", WHAT_IF_TABLES),
               ("Requests", "requests", REQUEST_TABLES)]
CELL_CODES = {"core", "addon", "add", "drop", "keep", "pending", "approved", "rejected", "retired", "proposed", "True", "False"}
AXIS_CODES = {"0", "1", "True", "False", "true", "false"}  # a yes/no attribute charted as its stored values
CODE_TEXT = re.compile(r"\baddon|\bactor\b|of the last weeks", re.IGNORECASE)

GRIDS = """() => [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stDataFrame"]')]
  .filter(grid => grid.getBoundingClientRect().width > 0)
  .map(grid => {
    const table = grid.querySelector('table[role="grid"]');
    const scroller = grid.querySelector('.dvn-scroller');
    const box = grid.getBoundingClientRect();
    return {
      headers: [...grid.querySelectorAll('[role="columnheader"]')].map(cell => cell.textContent),
      columns: table ? Number(table.getAttribute('aria-colcount')) : -1,
      cells: [...grid.querySelectorAll('[role="gridcell"]')].map(cell => cell.textContent),
      scrollWidth: scroller ? scroller.scrollWidth : -1, clientWidth: scroller ? scroller.clientWidth : -1,
      left: box.left, right: box.right,
    };
  })"""
Y_AXIS_LABELS = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"] g.role-axis')]
  .filter(axis => (axis.getAttribute('aria-label') || '').startsWith('Y-axis for a discrete scale'))
  .flatMap(axis => [...axis.querySelectorAll('text')].map(text => text.textContent))"""


@contextmanager
def streamlit_app(out: Path, data: Path, url: str) -> Iterator[str]:
    """`streamlit run app.py` on a free port of 127.0.0.1 for OUT, DATA and the database URL."""
    port = free_port()
    env = {**os.environ, "PLANNER_OUT": str(out), "PLANNER_DATA": str(data), "PLANNER_DATABASE_URL": url}
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


@pytest.fixture
def served_app(tmp_path: Path) -> Iterator[str]:
    """The test chain's plan and one manager account."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    out = tmp_path / "out"
    run_week(DATA / "chain", out, configured(), today=TODAY)
    url = f"sqlite:///{tmp_path / 'planner.db'}"
    db = Database(url)
    add_user(db, "m1", "manager one pw", MANAGER, "S1", ["S1", "S2"])
    db.dispose()
    with streamlit_app(out, DATA / "chain", url) as address:
        yield address


@pytest.fixture(scope="module")
def sample_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The sample chain's plan (real product names, reasons and store sizes), a manager of S01, head
    office, and requests with a long comment in S01 (one approved) and S02."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    folder = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{folder / 'planner.db'}"
    with pytest.MonkeyPatch.context() as patch:  # the run and the app share the test's database
        patch.setenv("PLANNER_DATABASE_URL", url)
        outcome = run_week(SAMPLE, folder / "out", configured(load_config(SAMPLE / "planning.toml")), today=TODAY)
    stores = list(outcome.summary["stores"])
    db = Database(url)
    add_user(db, "m1", PASSWORDS["m1"], MANAGER, "S01", stores)
    add_user(db, "hq", PASSWORDS["hq"], HEAD_OFFICE, None, stores)
    manager, office = Principal("m1", MANAGER, "S01"), Principal("hq", HEAD_OFFICE, None)
    changes = pd.read_csv(folder / "out" / "changes.csv", dtype={"store_id": str, "sku": str})
    for store, who in (("S01", manager), ("S02", office)):
        drop = changes.loc[(changes["store_id"] == store) & (changes["change"] == "drop"), "sku"].iloc[0]
        propose(db, who, store, drop, "add", LONG_COMMENT)
    decide(db, office, 1, approve=True, comment="agreed until the spring")
    db.dispose()
    with streamlit_app(folder / "out", SAMPLE, url) as address:
        yield address, folder / "out"


@pytest.mark.slow
def test_a_manager_signs_in_and_sees_my_plan_in_chromium(served_app: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    shot = Path(os.environ.get("PLANNER_SCREENSHOTS", tmp_path)) / "my_plan.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport=VIEWPORT)
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


@pytest.mark.slow
@pytest.mark.parametrize("username", ["m1", "hq"])
def test_every_page_fits_1400_px_and_shows_words_not_codes(sample_app: tuple[str, Path], username: str, tmp_path: Path) -> None:
    """Every page through the sidebar, as a manager of S01 and as head office looking at S02."""
    from playwright.sync_api import sync_playwright

    address, out = sample_app
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    store = "S01" if username == "m1" else "S02"
    changes = pd.read_csv(out / "changes.csv", dtype={"store_id": str, "sku": str})
    dropped = changes[(changes["store_id"] == store) & (changes["change"] == "drop")].iloc[0]
    shots = Path(os.environ.get("PLANNER_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    pages = STORE_PAGES if username == "m1" else [("Chain overview", "Chain overview", STORE_TABLE)] + [
        (entry.replace("My ", "Store "), heading, tables) for entry, heading, tables in STORE_PAGES]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(address)
            page.get_by_role("textbox", name="Username").wait_for(timeout=60000)
            page.get_by_role("textbox", name="Username").fill(username)
            page.get_by_role("textbox", name="Password").fill(PASSWORDS[username])
            page.get_by_role("button", name="Sign in").click()
            page.get_by_test_id("stSidebarNav").wait_for(timeout=60000)
            if username == "hq":
                settled(page, "Chain overview")
                page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").click()
                page.get_by_role("option").filter(has_text="S02").click()
                settled(page, "Chain overview")
            for entry, heading, tables in pages:
                page.get_by_test_id("stSidebarNav").get_by_text(entry, exact=True).click()
                settled(page, heading)
                if entry == "Why / why not":  # a product on the shelf today that the plan drops
                    page.get_by_test_id("stMain").get_by_test_id("stSelectbox").first.click()
                    page.keyboard.type(str(dropped["sku"]))
                    page.get_by_role("option").first.click()
                    settled(page, "carried today, dropped by the plan")
                if entry == "What-if":
                    page.get_by_role("button", name="Re-plan this store").click()
                    settled(page, "against the current plan")
                if entry.endswith("plan"):
                    page.get_by_test_id("stExpander").get_by_text("The following weeks").click()
                    page.wait_for_timeout(1000)
                slug = re.sub(r"\W+", "_", entry).strip("_").lower()
                check_page(page, f"{username} {entry}", tables, summary, shots / f"{username}_{slug}")
            if username == "hq":
                page.get_by_test_id("stSidebarNav").get_by_text("Store plan", exact=True).click()
                settled(page, "this week's plan")
                assert page.get_by_role("button", name="Download S02's plan (Excel)").is_visible()
                assert page.get_by_text("Download my plan").count() == 0
        finally:
            browser.close()


def settled(page, text: str) -> None:
    """Wait until `text` is on the page and the script run is over (Streamlit's status widget gone)."""
    page.get_by_test_id("stMain").get_by_text(text).first.wait_for(timeout=60000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60000)
    page.wait_for_timeout(800)  # the grids draw after the run


def drawn_grids(page, tables: list[list[str]], seconds: float = 60.0) -> list[dict]:
    """The page's grids once every expected table has drawn its header (a loaded machine draws late)."""
    deadline = time.monotonic() + seconds
    while True:
        grids = page.evaluate(GRIDS)
        shown = [grid["headers"] for grid in grids]
        if all(headers in shown for headers in tables) or time.monotonic() > deadline:
            return grids
        page.wait_for_timeout(500)


def check_page(page, name: str, tables: list[list[str]], summary: dict, shot: Path) -> None:
    """Screenshots, then: the week and the data period, no code as text, every table whole at 1,400 px."""
    drawn_grids(page, tables)
    page.screenshot(path=f"{shot}.png")
    main = page.get_by_test_id("stMain")
    for number, grid in enumerate(main.get_by_test_id("stDataFrame").all()):
        if grid.is_visible():
            grid.scroll_into_view_if_needed()
            grid.screenshot(path=f"{shot}_table{number + 1}.png")
    text = main.inner_text()
    assert plan_period(summary) in text, name
    if summary["data"].get("stale_warning"):
        assert summary["data"]["stale_warning"][1:] in text, name
    assert not CODE_TEXT.findall(text), (name, CODE_TEXT.findall(text))
    grids = drawn_grids(page, tables)
    width = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').getBoundingClientRect().right")
    for grid in grids:
        assert grid["columns"] == len(grid["headers"]), (name, "columns drawn off screen", grid["headers"], grid["columns"])
        assert grid["scrollWidth"] <= grid["clientWidth"] + 1, (name, "scrolls sideways", grid["headers"], grid["scrollWidth"], grid["clientWidth"])
        assert grid["right"] <= width + 1, (name, "wider than the page", grid["headers"])
        assert not [h for h in grid["headers"] if "_" in h or h in {"at", "actor", "action"}], (name, grid["headers"])
        assert not CELL_CODES & set(grid["cells"]), (name, grid["headers"], CELL_CODES & set(grid["cells"]))
    shown = [grid["headers"] for grid in grids]
    for headers in tables:
        assert headers in shown, (name, headers, shown)
    labels = page.evaluate(Y_AXIS_LABELS)
    assert not AXIS_CODES & set(labels), (name, labels)
    if "customers" in name:  # the sample chain's organic column (1 / 0) as words on the chart's axis
        assert {"organic", "not organic", "Bakery"} <= set(labels), (name, labels)
