"""Demand profiles: outages are not zero demand, indices shrink, waste matches a simulation."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import TODAY, profiles_for

from planner import PlanConfig, build_profiles, load_chain
from planner.profiles.indexing import shrunk_index

DATA = Path(__file__).parent / "data"


@pytest.mark.slow
def test_a_week_without_any_data_is_left_out_not_counted_as_zero(tmp_path: Path) -> None:
    folder = tmp_path / "chain"
    shutil.copytree(DATA / "chain", folder)
    full = profiles_for(folder)[1].pairs.set_index(["store_id", "sku"])
    pos = pd.read_csv(folder / "pos/S1/2026.csv", dtype=str)
    outage = pd.to_datetime(pos["date"]).between("2026-11-02", "2026-11-08")
    pos[~outage].to_csv(folder / "pos/S1/2026.csv", index=False)
    _chain, profiles = profiles_for(folder)
    assert profiles.history.excluded_weeks["S1"] == ["2026-11-02"]
    with_gap = profiles.pairs.set_index(["store_id", "sku"])
    assert with_gap.at[("S1", "000101"), "weeks_observed"] == full.at[("S1", "000101"), "weeks_observed"] - 1
    # the rate is an average of trading weeks: removing one week changes it a little, never toward zero
    assert with_gap.at[("S1", "000101"), "units_per_week"] == pytest.approx(full.at[("S1", "000101"), "units_per_week"], rel=0.15)


@pytest.mark.slow
def test_unlisted_products_get_an_estimate_from_other_stores() -> None:
    _chain, profiles = profiles_for(DATA / "chain")
    pairs = profiles.pairs.set_index(["store_id", "sku"])
    new = pairs.loc[("S2", "000102")]  # bread rolls sell only in S1
    assert not new["listed_now"] and new["source"] == "other stores" and new["units_per_week"] > 0
    own = pairs.loc[("S1", "000102")]
    expected = own["units_per_week"] / profiles.traffic["S1"] * profiles.traffic["S2"] * PlanConfig().demand.new_listing_haircut
    assert new["units_per_week"] == pytest.approx(expected, rel=0.35)


def test_index_shrinks_toward_the_prior_when_evidence_is_thin() -> None:
    observed = pd.Series([3.0, 300.0])
    expected = pd.Series([1.0, 100.0])
    index = shrunk_index(observed, expected, 1.0, prior_units=30.0)
    assert 1.0 < index[0] < 1.2  # one lucky week: 3x raw, barely moves
    assert 2.5 < index[1] < 3.0  # lots of evidence: close to the raw 3x


@pytest.mark.slow
def test_profiles_are_deterministic() -> None:
    config = PlanConfig()
    chain = load_chain(DATA / "chain", config, today=TODAY)
    first = build_profiles(chain, config).pairs
    second = build_profiles(chain, config).pairs
    pd.testing.assert_frame_equal(first, second)


def test_a_seasonal_ramp_is_not_read_as_noise() -> None:
    from planner.profiles.demand import week_to_week_variance

    ramp = np.arange(0, 40, 2, dtype=float)[None, :]  # steady growth, no noise
    mask = np.ones_like(ramp, dtype=bool)
    weights = np.ones_like(ramp)
    assert week_to_week_variance(ramp, mask, weights)[0] == pytest.approx(2.0)  # (2^2) / 2, vs ~133 around the mean
    rng = np.random.default_rng(0)
    noise = rng.poisson(10.0, (1, 5000)).astype(float)
    assert week_to_week_variance(noise, np.ones_like(noise, dtype=bool), np.ones_like(noise))[0] == pytest.approx(10.0, rel=0.08)


@pytest.mark.slow
def test_a_store_without_pos_data_is_planned_from_the_other_stores(tmp_path: Path) -> None:
    from planner import PlanningProblem, plan_assortment

    folder = tmp_path / "chain"
    shutil.copytree(DATA / "chain", folder)
    shutil.rmtree(folder / "pos" / "S2")
    chain, profiles = profiles_for(folder)
    assert any("no POS data for store(s) S2" in w for w in chain.warnings)
    s2 = profiles.pairs[profiles.pairs["store_id"] == "S2"]
    assert set(s2["source"]) == {"other stores", "no sales anywhere"}  # spaghetti sold only in S2
    assert (s2.loc[s2["source"] == "other stores", "units_per_week"] > 0).all()
    result = plan_assortment(PlanningProblem(profiles.pairs, chain.stores, chain.products, PlanConfig()))
    assert (result.plan["store_id"] == "S2").any()


def test_store_distance_equals_the_mean_squared_difference_without_the_cube_of_differences() -> None:
    from planner.profiles.similar import _mean_square_distance

    block = np.random.default_rng(3).normal(size=(40, 7))
    block[1] = block[0] + 1e-9  # two near-identical stores: their small distance must survive
    cube = ((block[:, None, :] - block[None, :, :]) ** 2).mean(axis=2)
    np.testing.assert_array_equal(_mean_square_distance(block), cube)
    assert (np.diag(_mean_square_distance(block)) == 0).all()
    assert _mean_square_distance(block[:, :0]).shape == (40, 40)
