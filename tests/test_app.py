"""The Streamlit app renders every page for every store, under streamlit.testing AppTest (no browser)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, TODAY
from streamlit.testing.v1 import AppTest

from planner import PlanConfig, run_week

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("app") / "out"
    run_week(DATA / "chain", out, PlanConfig(), today=TODAY)
    return out


def app(monkeypatch: pytest.MonkeyPatch, out: Path) -> AppTest:
    monkeypatch.setenv("PLANNER_OUT", str(out))
    monkeypatch.setenv("PLANNER_DATA", str(DATA / "chain"))
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)


def test_store_plan_page_shows_the_selected_store_only(monkeypatch: pytest.MonkeyPatch, published: Path) -> None:
    at = app(monkeypatch, published).run()
    assert not at.exception
    assert at.header[0].value.startswith("Markt Mitte (S1)")
    assert [m.label for m in at.metric] == ["Expected profit / week", "Core items", "Add-ons", "Changes"]
    assert len(at.dataframe[0].value) > 0
    assert at.dataframe[0].value["Why"].str.len().min() > 10
    at.sidebar.selectbox[0].select("S2").run()
    assert at.header[0].value.startswith("Markt Nord (S2)")
    assert not at.exception


def test_local_profile_page_draws_the_store_against_the_chain(monkeypatch: pytest.MonkeyPatch, published: Path) -> None:
    at = app(monkeypatch, published).run()
    at.switch_page("planner/ui/local_profile.py").run()
    assert not at.exception
    assert at.header[0].value.startswith("Markt Mitte (S1): customers against the chain")
    assert [s.value for s in at.subheader][0] == "By category"
    assert len(at.get("vega_lite_chart")) >= 1


def test_without_a_plan_the_app_offers_to_run_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    at = app(monkeypatch, tmp_path / "empty").run()
    assert "No plan in" in at.info[0].value
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert at.header[0].value.startswith("Markt Mitte (S1)")
