"""The Streamlit app under streamlit.testing AppTest (no browser): sign-in, every page for both
roles, and a manager who tries to reach another store."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import ROOT, TODAY, configured
from streamlit.testing.v1 import AppTest

from planner import run_week
from planner.db import Database, connect, default_url
from planner.db.accounts import (
    HEAD_OFFICE,
    MANAGER,
    MAX_FAILURES,
    Principal,
    add_user,
    remove_user,
    set_password,
)
from planner.db.requests import AccessDenied, requests_for
from planner.ui.data import (
    chain_view,
    load_plan,
    published_plan,
    store_view,
    workbook_for,
)
from planner.ui.text import plain

DATA = Path(__file__).parent / "data"
STORES = ["S1", "S2"]
PASSWORDS = {"hq": "head office pw", "m1": "manager one pw", "m2": "manager two pw"}
STORE_PAGES = ["my_plan.py", "my_customers.py", "why.py", "what_if.py", "requests.py"]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("app")
    with pytest.MonkeyPatch.context() as patch:  # its own database: the session's may belong to another data folder
        patch.setenv("PLANNER_DATABASE_URL", f"sqlite:///{folder / 'planner.db'}")
        run_week(DATA / "chain", folder / "out", configured(), today=TODAY)
    return folder / "out"


def accounts(url: str) -> Database:
    db = Database(url)
    add_user(db, "hq", PASSWORDS["hq"], HEAD_OFFICE, None, STORES)
    add_user(db, "m1", PASSWORDS["m1"], MANAGER, "S1", STORES)
    add_user(db, "m2", PASSWORDS["m2"], MANAGER, "S2", STORES)
    return db


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'planner.db'}"
    accounts(url).dispose()
    return url


def app(monkeypatch: pytest.MonkeyPatch, out: Path, url: str, data: Path = DATA / "chain") -> AppTest:
    monkeypatch.setenv("PLANNER_OUT", str(out))
    monkeypatch.setenv("PLANNER_DATA", str(data))
    monkeypatch.setenv("PLANNER_DATABASE_URL", url)
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)


def signed_in(monkeypatch: pytest.MonkeyPatch, out: Path, url: str, username: str, data: Path = DATA / "chain") -> AppTest:
    at = app(monkeypatch, out, url, data).run()
    at.text_input[0].input(username)
    at.text_input[1].input(PASSWORDS[username])
    click(at, "Sign in")
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def click(at: AppTest, label: str) -> AppTest:
    """Press the button with this label and run the script again."""
    return next(b for b in at.button if b.label == label).click().run()


def page_names(at: AppTest) -> list[str]:
    return [h.value for h in at.header]


@pytest.mark.slow
def test_a_wrong_password_is_refused_and_nothing_is_shown(monkeypatch: pytest.MonkeyPatch, published: Path, db_url: str) -> None:
    at = app(monkeypatch, published, db_url).run()
    at.text_input[0].input("m1")
    at.text_input[1].input("not the password")
    click(at, "Sign in")
    assert [e.value for e in at.error] == ["wrong username or password"]
    assert not at.header and not at.dataframe and not at.metric


@pytest.mark.slow
def test_a_manager_sees_every_store_page_of_their_own_store(monkeypatch: pytest.MonkeyPatch, published: Path, db_url: str) -> None:
    at = signed_in(monkeypatch, published, db_url, "m1")
    assert not at.sidebar.selectbox  # a manager has no store to choose
    assert page_names(at) == ["Markt Mitte (S1): this week's plan"]
    assert [m.label for m in at.metric] == ["Expected profit / week", "Core items", "Add-ons", "Changes this week"]
    assert at.dataframe[-1].value["Why"].str.len().min() > 10
    assert set(at.dataframe[-1].value["Role"]) <= {"Core", "Add-on"}  # words, not the codes core / addon
    assert set(at.dataframe[0].value["Change"]) <= {"Add", "Drop"}
    assert {b.label for b in at.get("download_button")} == {"Download my plan (Excel)", "Download my plan (CSV)",
                                                             "Download my changes (Excel)", "Download my changes (CSV)"}
    assert {"Shelf", "Units / wk", "Case", "First order", "Impact / week"} <= set(at.dataframe[0].value.columns)  # to act on a change
    assert any(c.value.startswith("Impact / week: what the change adds to (+)") for c in at.caption)
    titles = {"my_customers.py": "customers against the chain", "why.py": "why, or why not?", "what_if.py": "what if ...?",
              "requests.py": "requests"}
    for page, title in titles.items():
        at.switch_page(f"planner/ui/{page}").run()
        assert not at.exception and not at.error, page
        assert page_names(at) == [f"Markt Mitte (S1): {title}"]


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_manager_cannot_reach_another_store_on_any_page(monkeypatch: pytest.MonkeyPatch, published: Path, tmp_path: Path,
                                                          request: pytest.FixtureRequest, backend: str) -> None:
    url = f"sqlite:///{tmp_path / 'planner.db'}" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    db = accounts(url)
    try:
        at = signed_in(monkeypatch, published, url, "m1")
        at.session_state["store_id"] = "S2"  # as if a widget or a crafted session asked for it
        for page in STORE_PAGES:
            at.switch_page(f"planner/ui/{page}").run()
            assert not at.exception
            assert [e.value for e in at.error] == [plain("you can only see your own store (S1), not S2")], page
            assert not at.dataframe and not at.metric and "Markt Nord" not in " ".join(page_names(at))
        with pytest.raises(ValueError, match="Could not find a navigation page"):  # not routed for a manager
            at.switch_page("planner/ui/chain_overview.py")
    finally:
        from planner.db import Base

        Base.metadata.drop_all(db.engine)
        db.dispose()


@pytest.mark.slow
def test_the_data_functions_refuse_another_store_whatever_the_caller(published: Path, db_url: str) -> None:
    plan = load_plan(*published_plan(published))
    manager = Principal("m1", MANAGER, "S1")
    assert store_view(plan, manager, "S1").plan["store_id"].eq("S1").all()
    for call in (lambda: store_view(plan, manager, "S2"), lambda: chain_view(plan, manager), lambda: workbook_for(plan, manager),
                 lambda: requests_for(Database(db_url), manager, "S2")):
        with pytest.raises(AccessDenied):
            call()
    head_office = Principal("hq", HEAD_OFFICE, None)
    assert set(store_view(plan, head_office, "S2").plan["store_id"]) == {"S2"}


@pytest.mark.slow
def test_head_office_sees_the_chain_and_every_store(monkeypatch: pytest.MonkeyPatch, published: Path, db_url: str) -> None:
    at = signed_in(monkeypatch, published, db_url, "hq")
    assert page_names(at) == ["Chain overview"]
    assert len(at.dataframe[0].value) == 2
    assert at.get("download_button")[0].label == "Download the chain workbook (Excel)"
    assert len(at.get("vega_lite_chart")) == 1
    stores = at.dataframe[0].value
    assert {"Store", "Profit / week", "This week", "Shelf use", "Budget use"} <= set(stores.columns)
    assert stores["Budget use"].between(0, 100).all()  # percent, shown with the bar
    at.sidebar.selectbox[0].select("S2").run()
    for page in STORE_PAGES:
        at.switch_page(f"planner/ui/{page}").run()
        assert not at.exception and not at.error, page
        assert page_names(at)[0].startswith("Markt Nord (S2)")
    at.switch_page("planner/ui/my_plan.py").run()  # another store's plan is not "my plan"
    assert {b.label for b in at.get("download_button")} == {f"Download S2's {what} ({kind})" for what in ("plan", "changes") for kind in ("Excel", "CSV")}


@pytest.mark.slow
def test_the_overview_says_when_todays_range_breaks_a_store_limit(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                                  db_url: str) -> None:
    chain = tmp_path / "chain"
    shutil.copytree(DATA / "chain", chain)
    stores = (chain / "stores.csv").read_text().replace("S1,Markt Mitte,Freiburg,5,400", "S1,Markt Mitte,Freiburg,2,400")
    (chain / "stores.csv").write_text(stores)
    out = tmp_path / "out"
    run_week(chain, out, configured(), today=TODAY)
    notes = json.loads((out / "summary.json").read_text())["notes"]
    assert any(note.startswith("today's assortment of S1 does not fit its limits") for note in notes)
    at = signed_in(monkeypatch, out, db_url, "hq", chain)
    assert [info.value for info in at.info][: len(notes)] == [plain(note) for note in notes]
    assert "Today / week" in at.dataframe[0].value.columns


@pytest.mark.slow
def test_why_page_explains_a_product_and_prices_the_change(monkeypatch: pytest.MonkeyPatch, published: Path, db_url: str) -> None:
    at = signed_in(monkeypatch, published, db_url, "m1")
    at.switch_page("planner/ui/why.py").run()
    plan = load_plan(*published_plan(published))
    addon = plan.plan[(plan.plan["store_id"] == "S1") & (plan.plan["role"] == "addon")].iloc[0]
    at.selectbox(key="why_sku").select(addon["sku"]).run()
    assert not at.exception
    assert at.success[0].value == plain(addon["reason"])
    assert [m.label for m in at.metric] == ["Demand here / week", "Index against the chain", "Profit / week", "Waste / week"]
    profile = plan.profiles.set_index(["store_id", "sku"]).loc[("S1", addon["sku"])]
    pattern = next(m.value for m in at.markdown if m.value.startswith("Demand pattern"))
    assert f"**{profile['demand_class']}**" in pattern and profile["forecast_method"] in pattern
    assert f"filled up to {profile['order_up_to']:.0f} units" in pattern
    at.button(key="why_cost").click().run()
    assert not at.exception and not at.error
    assert at.metric[-1].label.startswith("Store profit / week after dropping it")
    assert float(at.metric[-1].delta.split()[0].replace(",", "")) <= 0.005  # the plan was optimal: dropping cannot gain


@pytest.mark.slow
def test_what_if_replans_the_store_next_to_the_current_plan(monkeypatch: pytest.MonkeyPatch, published: Path, db_url: str) -> None:
    at = signed_in(monkeypatch, published, db_url, "m1")
    at.switch_page("planner/ui/what_if.py").run()
    assert at.number_input[0].value == 5.0  # S1's shelf: 4 of 5 shelf units are used
    at.number_input[0].set_value(3.0)
    click(at, "Re-plan this store")
    assert not at.exception and not at.error
    comparison = at.dataframe[0].value
    assert list(comparison.index) == ["Current plan", "What-if", "Difference"]
    assert comparison.loc["What-if", "Shelf units used"] <= 3.0 + 1e-6
    assert comparison.loc["What-if", "Shelf capacity"] == 3.0
    assert comparison.loc["Difference", "Profit / week"] < 0
    assert at.metric[0].delta.startswith("-")
    assert len(at.dataframe[2].value) >= 1  # what had to go


@pytest.mark.slow
def test_a_plan_published_in_another_what_if_format_is_one_line_not_a_traceback(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                                                published: Path, db_url: str) -> None:
    out = tmp_path / "out"
    shutil.copytree(published, out, symlinks=True)
    manifest = out / "current" / "whatif" / "manifest.json"
    manifest.write_text(json.dumps({"format_version": 999, "planner_version": "9.9"}), encoding="utf-8")
    at = signed_in(monkeypatch, out, db_url, "m1")
    at.switch_page("planner/ui/what_if.py").run()
    click(at, "Re-plan this store")
    assert not at.exception
    assert [e.value for e in at.error] == [plain("the published plan was written by planner 9.9 (what-if format 999); this version "
                                                 "reads format 2: re-run the weekly plan (planner run DATA_DIR --out OUT_DIR)")]


@pytest.mark.slow
def test_a_request_goes_from_the_manager_to_head_office_and_keeps_its_history(monkeypatch: pytest.MonkeyPatch, published: Path,
                                                                              db_url: str) -> None:
    manager = signed_in(monkeypatch, published, db_url, "m1")
    manager.switch_page("planner/ui/requests.py").run()
    manager.selectbox[0].select("000102")
    manager.radio[0].set_value("drop")
    manager.text_area[0].input("nobody buys it here")
    click(manager, "Send the request")
    assert manager.success[0].value.startswith("Request #1 sent: drop")
    assert list(manager.dataframe[0].value["Status"]) == ["Pending"]
    assert list(manager.dataframe[0].value["Change"]) == ["Drop"]
    assert list(manager.dataframe[0].value["Comment"]) == ["nobody buys it here"]

    office = signed_in(monkeypatch, published, db_url, "hq")
    office.switch_page("planner/ui/requests.py").run()
    office.button(key="approve_1").click().run()
    assert not office.exception and not office.error
    assert requests_for(Database(db_url), Principal("hq", HEAD_OFFICE, None))["status"].tolist() == ["approved"]
    manager.run()
    steps = manager.dataframe[-1].value
    assert list(steps.columns) == ["When (UTC)", "By", "Step", "Comment"]  # not the database's at / actor / action
    assert list(steps["Step"]) == ["Proposed", "Approved"] and list(steps["By"]) == ["m1", "hq"]


@pytest.mark.slow
def test_a_session_ends_when_its_account_is_removed(monkeypatch: pytest.MonkeyPatch, published: Path, db_url: str) -> None:
    at = signed_in(monkeypatch, published, db_url, "m1")
    remove_user(Database(db_url), "m1")
    at.run()
    assert at.warning[0].value == "The account 'm1' you signed in to no longer exists: you have been signed out."
    assert not at.header and not at.dataframe
    assert [t.label for t in at.text_input] == ["Username", "Password"]


@pytest.mark.slow
def test_a_removed_and_re_added_name_is_another_account(monkeypatch: pytest.MonkeyPatch, published: Path, db_url: str) -> None:
    """A manager's open session never becomes head office because the name was given to a new account."""
    at = signed_in(monkeypatch, published, db_url, "m1")
    db = Database(db_url)
    remove_user(db, "m1")
    add_user(db, "m1", "now head office", HEAD_OFFICE, None, ["S1", "S2"])
    at.run()
    assert at.warning[0].value == "The account 'm1' you signed in to no longer exists: you have been signed out."
    assert not at.header and not at.dataframe and "Chain overview" not in page_names(at)


@pytest.mark.slow
def test_without_a_plan_head_office_can_run_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str) -> None:
    at = signed_in(monkeypatch, tmp_path / "empty", db_url, "hq")
    assert "No plan in" in at.info[0].value
    click(at, "Plan chain now")
    assert not at.exception and not at.error
    assert page_names(at) == ["Chain overview"]


def test_names_from_the_data_are_shown_as_text_not_markdown() -> None:
    """A product named like a Markdown image or link keeps its characters, each punctuation mark escaped
    (CommonMark: an escaped character is literal), so no link, image, emphasis, HTML or formula is left."""
    import string

    name = "![x](http://evil.example/p.png) [click](http://evil.example) **big** <b>html</b> $x$ www.evil.example"
    shown = plain(name)
    assert shown.replace("\\", "") == name.replace("\\", "")  # the same characters, only escapes added
    for position, character in enumerate(shown):
        if character in string.punctuation and character != "\\":
            assert shown[position - 1] == "\\", f"unescaped {character!r} at {position} in {shown!r}"
    assert plain("Milch 3,5% 1l") == "Milch 3\\,5\\% 1l"


@pytest.mark.slow
def test_markdown_in_the_data_is_shown_literally_on_every_page(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str) -> None:
    """Store and product names written as Markdown reach every heading and message escaped, the
    request confirmation included."""
    data = tmp_path / "data"
    shutil.copytree(DATA / "chain", data)
    product, store = "**BIG** [deal](http://x.example) <b>b</b>", "_Markt_ [x](http://y.example)"
    for name, old, new in (("products.csv", "Brötchen 6er", product), ("stores.csv", "Markt Mitte", store)):
        path = data / name
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    out = tmp_path / "out"
    run_week(data, out, configured(), today=TODAY)
    at = signed_in(monkeypatch, out, db_url, "m1", data)
    shown = []
    for page in STORE_PAGES:
        at.switch_page(f"planner/ui/{page}").run()
        if page == "why.py":
            at.selectbox[0].select("000102").run()
        if page == "requests.py":
            at.selectbox[0].select("000102")
            click(at, "Send the request")
        assert not at.exception and not at.error, [e.value for e in at.error]
        shown += [e.value for kind in ("header", "subheader", "markdown", "caption", "success", "info", "warning")
                  for e in getattr(at, kind)]
    assert not [text for text in shown if product in text or store in text]
    assert f"{plain(store)} (S1): requests" in shown
    assert any(text.startswith(f"{plain(product)}: ") for text in shown)  # the Why page's heading
    assert "Request #1 sent: add " + plain(product) + "." in shown


@pytest.mark.slow
@pytest.mark.parametrize(("url", "message"), [
    ("postgresql+psycopg://hq:secret@localhost:99999999/planner",
     "PLANNER_DATABASE_URL = 'postgresql+psycopg://hq:***@localhost:99999999/planner': expected a port from 1 to 65535"),
    ("sqlite:///no/such/folder/planner.db", "cannot open the database sqlite:///no/such/folder/planner.db: unable to open database file"),
])
def test_a_wrong_database_is_one_message_in_the_app_not_a_traceback(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str, message: str) -> None:
    at = app(monkeypatch, tmp_path / "out", url).run()
    assert not at.exception
    assert [e.value for e in at.error] == [plain(message)]
    assert "secret" not in str([e.value for e in at.error])


def sign_in_as(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    return click(at, "Sign in")


@pytest.mark.slow
def test_the_sign_in_page_names_whom_to_ask(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str) -> None:
    at = app(monkeypatch, tmp_path / "out", db_url).run()
    assert [c.value for c in at.caption] == ["No account, locked out or forgot your password? Ask head office."]
    data = tmp_path / "data"
    shutil.copytree(DATA / "chain", data)
    contact = "Maria *Kaufmann* [HQ](http://x.example), 0761 123"
    (data / "planning.toml").write_text(f'[app]\ncontact = "{contact}"\n', encoding="utf-8")
    url = f"sqlite:///{data / 'planner.db'}"  # the database of this data folder
    accounts(url).dispose()
    at = app(monkeypatch, tmp_path / "out", url, data).run()
    assert [c.value for c in at.caption] == [f"No account, locked out or forgot your password? Ask {plain(contact)}."]
    for attempt in range(MAX_FAILURES):
        sign_in_as(at, "m1", f"guess {attempt}")
    sign_in_as(at, "m1", PASSWORDS["m1"])
    assert [e.value for e in at.error] == [plain(f"too many failed sign-ins for 'm1': try again in 15 minutes, or ask {contact} to unlock the account")]
    assert not at.header and not at.dataframe


@pytest.mark.slow
def test_a_new_password_signs_the_open_session_out(monkeypatch: pytest.MonkeyPatch, published: Path, db_url: str) -> None:
    at = signed_in(monkeypatch, published, db_url, "m1")
    db = Database(db_url)
    set_password(db, "m1", "a brand new password")
    at.run()
    assert [w.value for w in at.warning] == ["The password of 'm1' was changed: you have been signed out. Sign in with the new one."]
    assert not at.header and not at.dataframe
    assert [e.value for e in sign_in_as(at, "m1", PASSWORDS["m1"]).error] == ["wrong username or password"]
    sign_in_as(at, "m1", "a brand new password")
    assert not at.exception and not at.error
    assert page_names(at) == ["Markt Mitte (S1): this week's plan"]
    db.dispose()


@pytest.mark.slow
def test_the_app_refuses_a_copied_folders_database_until_it_is_reset(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, published: Path) -> None:
    from click.testing import CliRunner

    from planner.cli import cli

    original, copy = tmp_path / "original", tmp_path / "copy"
    shutil.copytree(DATA / "chain", original)
    accounts(default_url(original)).dispose()
    connect(default_url(original), original).dispose()  # the original's database, in the original folder
    shutil.copytree(original, copy)
    at = app(monkeypatch, published, default_url(copy), copy).run()
    assert not at.exception and not at.text_input
    assert [e.value for e in at.error] == [plain(
        f"the database {default_url(copy)} was made for the data folder {original}, not {copy} (a copied or moved folder brings "
        f"its database along): start a new one for this folder with `planner db reset {copy}` (the old file is kept) "
        f"or `planner run {copy} --new-db`")]
    assert CliRunner().invoke(cli, ["db", "reset", str(copy), "--yes"]).exit_code == 0
    at.run()
    assert not at.exception and not at.error and [t.label for t in at.text_input] == ["Username", "Password"]
    assert [e.value for e in sign_in_as(at, "hq", PASSWORDS["hq"]).error] == ["wrong username or password"]  # the original's accounts stay there
    assert sign_in_as(app(monkeypatch, published, default_url(original), original).run(), "hq", PASSWORDS["hq"]).header


PLAN_PERIOD = "Plan for week 2026-W48 (23 - 29 Nov 2026) from POS data 3 Aug - 14 Nov 2026 (15 weeks)"
STALE = plain("The POS data ends on 14 Nov 2026, 8 days before the planned week 2026-W48 (23 Nov): the sales of 15 Nov to "
              "22 Nov are missing; deliver the latest POS exports and run again")


@pytest.mark.slow
def test_every_page_says_which_week_it_plans_from_which_data_and_that_the_data_is_old(
        monkeypatch: pytest.MonkeyPatch, published: Path, db_url: str) -> None:
    """The caption under every heading names the ISO week with its dates and the POS period; the run's
    stale-data warning (the test chain's POS data ends 8 days before the planned week) is on every page."""
    for username, pages in (("m1", STORE_PAGES), ("hq", ["chain_overview.py", *STORE_PAGES])):
        at = signed_in(monkeypatch, published, db_url, username)
        for page in pages:
            at.switch_page(f"planner/ui/{page}").run()
            assert not at.exception and not at.error, page
            assert at.caption[0].value == PLAN_PERIOD, page
            assert at.warning[0].value == STALE, page


@pytest.mark.slow
def test_without_a_stale_warning_the_pages_warn_of_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str) -> None:
    """A run whose data is recent has an empty stale_warning; an older run has none at all: no warning either way."""
    out = tmp_path / "out"
    run_week(DATA / "chain", out, configured(), today=TODAY)
    summary_file = out / "current" / "summary.json"
    for stale in ("", None):
        summary = json.loads(summary_file.read_text())
        if stale is None:
            del summary["data"]["stale_warning"], summary["data"]["last_pos_day"]
        else:
            summary["data"]["stale_warning"] = stale
        summary_file.write_text(json.dumps(summary))
        at = signed_in(monkeypatch, out, db_url, "m1")
        for page in STORE_PAGES:
            at.switch_page(f"planner/ui/{page}").run()
            assert not at.exception and not at.warning, page
            # without last_pos_day the period ends with the last week of data (Sunday 15 Nov)
            assert at.caption[0].value == (PLAN_PERIOD if stale == "" else PLAN_PERIOD.replace("14 Nov", "15 Nov")), page


@pytest.mark.parametrize(("summary", "caption"), [
    ({"run": {"week": "2026-W53"}, "data": {"history_weeks": ["2026-06-29", "2026-12-21"], "last_pos_day": "2026-12-26"}},
     "Plan for week 2026-W53 (28 Dec 2026 - 3 Jan 2027) from POS data 29 Jun - 26 Dec 2026 (26 weeks)"),
    ({"run": {"week": "2027-W01"}, "data": {"history_weeks": ["2026-12-28", "2026-12-28"]}},
     "Plan for week 2027-W01 (4 - 10 Jan 2027) from POS data 28 Dec 2026 - 3 Jan 2027 (1 week)"),
    ({"data": {"history_weeks": ["2026-05-25", "2026-11-16"]}}, "Plan from POS data 25 May - 22 Nov 2026 (26 weeks)"),
    ({"run": {"week": "2026-W60"}, "data": {}}, "Plan"),
])
def test_the_plan_period_is_computed_from_the_iso_week(summary: dict, caption: str) -> None:
    from planner.ui.header import plan_period

    assert plan_period(summary) == caption


@pytest.mark.slow
def test_codes_are_shown_as_words(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str) -> None:
    """An organic column of 1 / 0 charts as organic / not organic under 'Organic or not'; the Why page
    says what the plan does with each product and how many of the history's weeks its demand rests on."""
    data = tmp_path / "chain"
    shutil.copytree(DATA / "chain", data)
    products = (data / "products.csv").read_text(encoding="utf-8").splitlines()
    organic = ["organic", *("1" if number % 2 else "0" for number in range(1, len(products)))]
    (data / "products.csv").write_text("\n".join(f"{line},{flag}" for line, flag in zip(products, organic, strict=True)) + "\n",
                                       encoding="utf-8")
    out = tmp_path / "out"
    run_week(data, out, configured(), today=TODAY)
    at = signed_in(monkeypatch, out, db_url, "m1", data)
    at.switch_page("planner/ui/my_customers.py").run()
    assert [h.value for h in at.subheader][:2] == ["By category", "Organic or not"]
    assert set(chart_values(at.get("vega_lite_chart")[1], "value")) == {"organic", "not organic"}

    plan = load_plan(*published_plan(out))
    profiles = plan.profiles.set_index(["store_id", "sku"])
    at.switch_page("planner/ui/why.py").run()
    statuses = {"000101": "carried, stays (core, in every store)", "000202": "not carried today, added by the plan (add-on here)",
                "000201": "carried today, dropped by the plan"}
    for sku, status in statuses.items():
        at.selectbox(key="why_sku").select(sku).run()
        assert not at.exception and not at.error, sku
        assert at.subheader[0].value.endswith(f": {status}"), sku
        weeks = int(profiles.loc[("S1", sku), "weeks_observed"])
        counted = (f"demand counted in {weeks} of the last 15 weeks here, weeks without a sale included" if weeks else
                   "no week of its own sales here in the last 15 weeks: demand estimated from ")
        assert counted in next(m.value for m in at.markdown if m.value.startswith("Profit per shelf unit")), sku
    assert at.warning[-1].value.startswith("Dropped this week: ")


def test_a_yes_no_attribute_is_named_in_words() -> None:
    import pandas as pd

    from planner.ui.my_customers import dimension_labels

    title, values = dimension_labels("organic", pd.Series(["0", "1"]))
    assert (title, list(values)) == ("Organic or not", ["not organic", "organic"])
    title, values = dimension_labels("pack_size", pd.Series(["family", "single"]))
    assert (title, list(values)) == ("By pack size", ["family", "single"])


def chart_values(chart, field: str) -> list:
    """A column of the data an st.altair_chart sent to the browser."""
    import pyarrow as pa

    return [value for dataset in chart.proto.datasets for value in pa.ipc.open_stream(dataset.data.data).read_pandas().get(field, [])]
