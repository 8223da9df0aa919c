"""The app with loyalty-card data (the sample chain): My customers leads with the store's segments, head
office sees them across the stores, a manager sees only their own store's figures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, SAMPLE
from streamlit.testing.v1 import AppTest
from test_app import chart_values

from planner.db import Database
from planner.db.accounts import HEAD_OFFICE, MANAGER, add_user, sign_in
from planner.db.requests import AccessDenied
from planner.ui.data import chain_segments, load_plan, published_plan, store_view

STORES = ["S01", "S02", "S03"]
PASSWORD = "a long test password"

pytestmark = pytest.mark.slow


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'planner.db'}"
    db = Database(url)
    add_user(db, "hq", PASSWORD, HEAD_OFFICE, None, STORES)
    for store in STORES:
        add_user(db, store.lower(), PASSWORD, MANAGER, store, STORES)
    db.dispose()
    return url


def signed_in(monkeypatch: pytest.MonkeyPatch, out: Path, url: str, username: str) -> AppTest:
    monkeypatch.setenv("PLANNER_OUT", str(out))
    monkeypatch.setenv("PLANNER_DATA", str(SAMPLE))
    monkeypatch.setenv("PLANNER_DATABASE_URL", url)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.text_input[0].input(username)
    at.text_input[1].input(PASSWORD)
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def test_my_customers_leads_with_the_stores_segments(monkeypatch: pytest.MonkeyPatch, sample_run, url: str) -> None:
    at = signed_in(monkeypatch, sample_run.out_dir, url, "s02")
    at.switch_page("planner/ui/my_customers.py").run()
    assert not at.exception and not at.error
    assert at.subheader[0].value == "Who shops here: customer segments"
    assert at.metric[0].label == "Cardholders" and int(at.metric[0].value.replace(",", "")) >= 20
    table = at.dataframe[0].value
    published = pd.read_csv(sample_run.out_dir / "current" / "customers" / "store_segments.csv", dtype={"store_id": str})
    mine = published[(published["store_id"] == "S02") & published["cardholders"].notna()]
    assert sorted(table["Segment"]) == sorted(mine["segment"])
    biggest = table.sort_values("Share here", ascending=False)["Segment"].iloc[0]
    assert "Baby & Kids" in biggest or "family" in biggest  # the families' store
    assert set(chart_values(at.get("vega_lite_chart")[0], "where")) == {"this store", "chain"}
    assert any("smaller groups are left empty" in c.value for c in at.caption)


def test_head_office_sees_the_segments_across_stores(monkeypatch: pytest.MonkeyPatch, sample_run, url: str) -> None:
    at = signed_in(monkeypatch, sample_run.out_dir, url, "hq")
    assert "Customer segments across the stores" in [s.value for s in at.subheader]
    segments = next(d.value for d in at.dataframe if "Home stores" in d.value.columns)
    assert len(segments) == len(sample_run.summary["customers"]["segments"]) and (segments["Cardholders"] >= 20).all()


def test_a_manager_gets_only_their_stores_customer_figures(sample_run, url: str) -> None:
    published = load_plan(*published_plan(sample_run.out_dir))
    db = Database(url)
    manager = sign_in(db, "s01", PASSWORD)
    db.dispose()
    view = store_view(published, manager, "S01")
    assert view.customers is not None and set(view.customers.segments["store_id"]) == {"S01"}
    assert set(view.customers.monthly["store_id"]) == {"S01"}
    with pytest.raises(AccessDenied):
        store_view(published, manager, "S02")
    with pytest.raises(AccessDenied):
        chain_segments(published, manager)


def test_why_names_the_segments_that_buy_a_product(monkeypatch: pytest.MonkeyPatch, sample_run, url: str) -> None:
    buyers = pd.read_csv(sample_run.out_dir / "current" / "customers" / "product_buyers.csv", dtype={"store_id": str, "sku": str})
    mine = buyers[(buyers["store_id"] == "S02") & buyers["buyers"].notna()].sort_values("buyers", ascending=False).iloc[0]
    at = signed_in(monkeypatch, sample_run.out_dir, url, "s02")
    at.switch_page("planner/ui/why.py").run()
    at.selectbox(key="why_sku").select(mine["sku"]).run()
    assert not at.exception and not at.error
    words = next(m.value for m in at.markdown if m.value.startswith("Customers:")).replace("\\", "")  # as shown, not as escaped
    assert f"bought here by {int(mine['buyers'])} cardholders" in words and mine["segments"] in words
    few = buyers[(buyers["store_id"] == "S02") & buyers["buyers"].isna()]["sku"]
    if len(few):
        at.selectbox(key="why_sku").select(few.iloc[0]).run()
        assert any(m.value.startswith("Customers: fewer than 20 cardholders") for m in at.markdown)


def test_product_buyers_are_only_the_managers_store(sample_run, url: str) -> None:
    published = load_plan(*published_plan(sample_run.out_dir))
    db = Database(url)
    manager = sign_in(db, "s03", PASSWORD)
    db.dispose()
    buyers = store_view(published, manager, "S03").customers.product_buyers
    assert len(buyers) and set(buyers["store_id"]) == {"S03"}
    shown = buyers.dropna(subset=["buyers"])
    assert (shown["buyers"] >= 20).all()
