"""The customer stage counts with integer codes: the same visits, shares and habits as plain groupbys on the text."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.customers.features import MIN_VISITS, SHARE_PREFIX, card_features, visits
from planner.inputs.weekly import CARD_LINE_COLUMNS


def card_lines(rows: list[tuple[str, str, str, str, str | None, float]]) -> pd.DataFrame:
    """CARD_LINE_COLUMNS from (card, store, sku, date, receipt, revenue) rows, one unit each."""
    frame = pd.DataFrame(rows, columns=["card", "store_id", "sku", "date", "receipt", "revenue"])
    frame = frame.assign(date=pd.to_datetime(frame["date"]), units=1.0).astype({"card": "string", "receipt": "string"})
    return frame[CARD_LINE_COLUMNS]


def test_a_visit_is_a_store_and_receipt_or_a_store_and_day() -> None:
    lines = card_lines([
        ("a", "S1", "1", "2026-01-05", "R1", 1.0),
        ("a", "S1", "2", "2026-01-05", "R1", 1.0),  # the same receipt: the same visit
        ("a", "S2", "1", "2026-01-05", "R1", 1.0),  # the same receipt number in another store: another visit
        ("a", "S1", "1", "2026-01-05", None, 1.0),  # no receipt: the store and day ...
        ("a", "S1", "2", "2026-01-05", None, 1.0),  # ... so these two are one visit
        ("a", "S1", "1", "2026-01-06", None, 1.0),  # another day
    ])
    assert pd.factorize(visits(lines))[0].tolist() == [0, 0, 1, 2, 2, 3]


@pytest.fixture
def random_lines() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(3)
    products = pd.DataFrame({"sku": [f"{i:03d}" for i in range(12)], "category": list("ABCD") * 3, "fresh": [True, False] * 6,
                             "organic": ["1", "0", "0"] * 4})
    n = 4_000
    frame = pd.DataFrame({
        "card": pd.array(rng.choice([f"c{i:02d}" for i in range(60)], n), dtype="string"),
        "store_id": rng.choice(["S1", "S2"], n), "sku": rng.choice(products["sku"].iloc[:10], n),  # two skus never sold
        "date": pd.Timestamp("2026-01-05") + pd.to_timedelta(rng.integers(0, 120, n), unit="D"),
        "receipt": pd.array(np.where(rng.random(n) < 0.2, None, rng.integers(0, 900, n).astype(str)), dtype="string"),
        "units": 1.0, "revenue": rng.normal(3.0, 2.0, n).round(2),  # some negative: returns
    })
    return frame[CARD_LINE_COLUMNS], products


def test_card_features_match_groupbys_on_the_text(random_lines: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    lines, products = random_lines
    features = card_features(lines, products)
    key = lines["store_id"] + "|" + lines["receipt"].fillna("day " + lines["date"].dt.strftime("%Y-%m-%d"))
    n_visits = key.groupby(lines["card"]).nunique()
    assert features.index.tolist() == sorted(n_visits.index[n_visits >= MIN_VISITS])
    spend = lines["revenue"].clip(lower=0.0)
    category = lines["sku"].map(products.set_index("sku")["category"])
    expected = spend.groupby([lines["card"], category]).sum().unstack(fill_value=0.0).div(spend.groupby(lines["card"]).sum(), axis=0)
    for value in expected.columns:
        assert features[f"{SHARE_PREFIX}category={value}"].to_numpy() == pytest.approx(expected.loc[features.index, value].to_numpy())
    assert [c for c in features.columns if c.startswith(SHARE_PREFIX)] == [
        *(f"{SHARE_PREFIX}category={v}" for v in "ABCD"), f"{SHARE_PREFIX}organic=0", f"{SHARE_PREFIX}organic=1"]
    lines_per_visit = lines.groupby("card").size() / n_visits
    assert features["lines_per_visit"].to_numpy() == pytest.approx(lines_per_visit[features.index].to_numpy())
