"""The rules for lumpy, one-category and thin-evidence data, each pinned on small hand-made data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.profiles.demand import demand_classes, listing_gaps
from planner.profiles.indexing import (
    dimension_indices,
    index_attributes,
    index_dimensions,
)
from planner.profiles.substitution import PRIOR_SD, shrunk_share, substitutes


def test_the_zero_weeks_of_a_lumpy_pair_are_not_listing_gaps() -> None:
    """24 units at a time, about every third week: a 6-week run without a sale is its rhythm, not an outage."""
    lumpy = np.zeros(30)
    lumpy[[0, 3, 5, 9, 12, 14, 21, 24, 27, 29]] = 24.0  # weeks 15-20 without a sale
    smooth = np.full(30, 10.0)
    smooth[15:21] = 0.0  # the same run for a product selling 10 a week: the shelf was empty
    units = np.vstack([lumpy, smooth])
    gaps = listing_gaps(units, np.ones_like(units, dtype=bool))
    assert not gaps[0].any()
    assert gaps[1, 15:21].all() and gaps[1].sum() == 6
    assert list(demand_classes(units, ~gaps)) == ["intermittent", "smooth"]  # always 24: sizes do not vary


def test_a_one_category_chain_gets_an_index_by_price_tier() -> None:
    """One category, no attributes: the city store over-buys the dear third, the suburb the cheap third."""
    products = pd.DataFrame({"sku": [f"p{i}" for i in range(9)], "category": "juice", "price": [1, 1.2, 1.4, 2, 2.2, 2.4, 3, 3.5, 4.0]})
    attributes = index_attributes(products)
    assert index_dimensions(attributes) == ["category", "price_tier"]
    assert list(attributes["price_tier"]) == ["lower third"] * 3 + ["middle third"] * 3 + ["upper third"] * 3
    cheap_first = np.array([3, 3, 3, 1, 1, 1, 0.5, 0.5, 0.5])
    rows = []
    for store, weights in (("city", cheap_first[::-1]), ("suburb", cheap_first)):
        for sku, weight in zip(products["sku"], weights, strict=True):
            rows.append((store, sku, 100.0 * weight, 100.0 * 1.5))  # observed, expected (the chain's average)
    own = pd.DataFrame(rows, columns=["store_id", "sku", "observed_units", "expected_units"])
    own["expected_units"] *= own.groupby("store_id")["observed_units"].transform("sum") / own.groupby("store_id")["expected_units"].transform("sum")
    index = dimension_indices(own, attributes, index_dimensions(attributes), prior_units=30.0).set_index(["store_id", "dimension", "value"])["index"]
    assert index[("city", "category", "juice")] == pytest.approx(1.0)  # the only category says nothing
    assert index[("city", "price_tier", "upper third")] > 1.5 and index[("city", "price_tier", "lower third")] < 0.5
    assert index[("suburb", "price_tier", "lower third")] > 1.5 and index[("suburb", "price_tier", "upper third")] < 0.5


def test_three_noisy_delisting_events_land_near_the_prior() -> None:
    rate, sd = shrunk_share(np.array([-57.0, 12.0, 3.0]), np.array([4.0, 2.0, 6.0]), prior=0.3)
    assert rate == pytest.approx(0.3, abs=0.01)
    assert sd == pytest.approx(PRIOR_SD, rel=0.05)  # the events add almost nothing
    many = np.random.default_rng(0).normal(0.55, 0.2, 60)
    rate, sd = shrunk_share(many, np.ones(60), prior=0.3)
    assert rate == pytest.approx(many.mean(), abs=0.03) and sd < 0.04  # consistent evidence wins


def test_substitutes_share_the_subcategory_and_are_alike() -> None:
    """Bin bags do not stand in for dish soap; an organic milk does not stand in for a regular one."""
    products = pd.DataFrame({
        "sku": ["bags", "soap", "milk", "milk_bio", "milk_2"], "category": "grocery",
        "subcategory": ["bin bags", "dish soap", "milk", "milk", "milk"], "price": [2.0, 2.1, 1.0, 1.2, 1.1],
        "organic": ["no", "no", "no", "yes", "no"],
    })
    pairs = set(map(tuple, substitutes(products, price_band=0.35).to_numpy()))
    assert pairs == {("milk", "milk_2"), ("milk_2", "milk")}
