"""The baselines a plan is compared with: each within every store's own limits, recomputed by hand."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import profiles_for, tiny_chain

from planner.config import PlanConfig, SolverConfig, StabilityConfig
from planner.optimize import PlanningProblem, plan_assortment
from planner.optimize.baselines import best_subset, fill_in_order, uniform_plan
from planner.optimize.plan import plan_value
from planner.outputs.summary import quality

EXACT = PlanConfig(solver=SolverConfig(mip_gap=0.0), stability=StabilityConfig(change_penalty=0.0, min_listing_weeks=0))


def _items(rng: np.random.Generator, n: int) -> pd.DataFrame:
    return pd.DataFrame({"shelf_space": rng.integers(1, 5, n).astype(float), "inventory_cost": rng.uniform(5, 60, n).round(2)},
                        index=pd.Index([f"p{i}" for i in range(n)], name="sku"))


@pytest.mark.parametrize("seed", range(6))
def test_best_subset_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    items = _items(rng, 9)
    value = pd.Series(rng.normal(3, 4, 9), index=items.index)
    shelf_limit, budget_limit = float(items["shelf_space"].sum() * 0.5), float(items["inventory_cost"].sum() * 0.45)
    best = max(
        (sum(value[list(c)]) for r in range(10) for c in itertools.combinations(items.index, r)
         if items.loc[list(c), "shelf_space"].sum() <= shelf_limit and items.loc[list(c), "inventory_cost"].sum() <= budget_limit),
    )
    chosen = best_subset(items, value, shelf_limit, budget_limit, SolverConfig(mip_gap=0.0))
    assert value[chosen].sum() == pytest.approx(best, abs=1e-6)
    assert items.loc[chosen, "shelf_space"].sum() <= shelf_limit and items.loc[chosen, "inventory_cost"].sum() <= budget_limit + 1e-9


def test_fill_in_order_skips_what_does_not_fit_and_goes_on() -> None:
    items = pd.DataFrame({"shelf_space": [3.0, 4.0, 1.0, 2.0], "inventory_cost": [10.0, 10.0, 50.0, 10.0]}, index=list("abcd"))
    assert list(fill_in_order(items, shelf_limit=6, budget_limit=40)) == ["a", "d"]  # b: no shelf left, c: over budget


@pytest.mark.slow
def test_todays_assortment_over_the_limits_is_valued_as_its_best_trim(tmp_path: Path) -> None:
    folder = tiny_chain(tmp_path / "c", n_stores=2, n_products=10, seed=2)
    stores = pd.read_csv(folder / "stores.csv", dtype={"store_id": str})
    chain, profiles = profiles_for(folder, EXACT)
    pairs = profiles.pairs.set_index(["store_id", "sku"])
    listed = pairs[pairs["listed_now"]]
    first = stores["store_id"][0]
    mine = listed.loc[first]
    shelf_today = float(chain.products.set_index("sku").loc[mine.index, "shelf_space"].sum())
    stores.loc[0, "shelf_capacity"] = shelf_today - 3  # today's range no longer fits the first store
    stores.loc[1, ["shelf_capacity", "inventory_budget"]] = [1000, 100000]  # and fits the second one easily
    stores.to_csv(folder / "stores.csv", index=False)
    chain, profiles = profiles_for(folder, EXACT)
    result = plan_assortment(PlanningProblem(profiles.pairs, chain.stores, chain.products, EXACT))

    limits = result.today.limits.set_index("store_id")
    assert bool(limits.at[first, "over_limits"]) and limits.at[first, "shelf_used"] == pytest.approx(shelf_today)
    assert not limits.drop(index=first)["over_limits"].any()
    assert any(first in note and "does not fit its limits" in note for note in result.notes)
    assert quality(result)["current_over_limits"][first]["shelf_capacity"] == shelf_today - 3

    # the trim by brute force: the subset of today's products with the largest profit that fits
    space = chain.products.set_index("sku")["shelf_space"].astype(float)
    profit = mine["profit_per_week"] - EXACT.costs.handling_cost_per_listing
    cost = mine["inventory_cost"]
    capacity, budget = shelf_today - 3, float(stores.loc[0, "inventory_budget"])
    best = max(
        (c for r in range(len(mine) + 1) for c in itertools.combinations(mine.index, r)
         if space[list(c)].sum() <= capacity and cost[list(c)].sum() <= budget),
        key=lambda c: profit[list(c)].sum(),
    )
    trimmed = result.today.carried
    assert set(trimmed.loc[trimmed["store_id"] == first, "sku"]) == set(best)
    other = stores["store_id"][1]
    assert set(trimmed.loc[trimmed["store_id"] == other, "sku"]) == set(listed.loc[other].index)
    assert result.baselines["current"].profit == pytest.approx(plan_value(trimmed, result.inputs).profit)
    assert result.uplift("current") >= -1e-6  # the trim is a feasible plan: the optimum is at least as good


@pytest.mark.slow
def test_uniform_baseline_is_one_chain_ranking_each_store_down_to_what_fits(tmp_path: Path) -> None:
    chain, profiles = profiles_for(tiny_chain(tmp_path / "c", n_stores=3, n_products=40, seed=4), EXACT)
    result = plan_assortment(PlanningProblem(profiles.pairs, chain.stores, chain.products, EXACT))
    pairs = profiles.pairs.assign(profit=profiles.pairs["profit_per_week"] - EXACT.costs.handling_cost_per_listing)
    product = chain.products.set_index("sku")
    chain_profit = pairs.groupby("sku")["profit"].sum()
    density = (chain_profit / product["shelf_space"].astype(float).reindex(chain_profit.index))[chain_profit > 0]
    ranking = sorted(density.index, key=lambda sku: (-density[sku], sku))
    expected = {}
    for store in chain.stores.itertuples(index=False):
        shelf_left, budget_left, chosen = float(store.shelf_capacity), float(store.inventory_budget), set()
        cost = pairs[pairs["store_id"] == store.store_id].set_index("sku")["inventory_cost"]
        for sku in ranking:
            if product.at[sku, "shelf_space"] <= shelf_left + 1e-9 and cost[sku] <= budget_left + 1e-9:
                chosen.add(sku)
                shelf_left -= float(product.at[sku, "shelf_space"])
                budget_left -= float(cost[sku])
        expected[store.store_id] = chosen
    uniform = uniform_plan(result.inputs)
    for store, chosen in expected.items():
        assert set(uniform.loc[uniform["store_id"] == store, "sku"]) == chosen
    sizes = uniform.groupby("store_id").size()
    assert sizes.max() > sizes.min()  # not a list cut to fit the smallest store
    assert result.baselines["uniform"].profit == pytest.approx(plan_value(uniform, result.inputs).profit)
    assert result.uplift("uniform") >= -1e-6 and result.uplift("greedy") >= -1e-6


@pytest.mark.slow
def test_no_reported_uplift_against_a_range_that_breaks_the_limits(tmp_path: Path) -> None:
    """Every store of the synthetic chain lists more than fits today (limits at 85 % of the range)."""
    chain, profiles = profiles_for(tiny_chain(tmp_path / "c", n_stores=3, n_products=40, seed=0))
    config = dataclasses.replace(EXACT, stability=StabilityConfig(change_penalty=0.0, min_listing_weeks=0))
    result = plan_assortment(PlanningProblem(profiles.pairs, chain.stores, chain.products, config))
    value = result.baselines["current"]
    trimmed = result.today.carried.merge(profiles.pairs[["store_id", "sku", "inventory_cost"]], on=["store_id", "sku"])
    trimmed["shelf_space"] = trimmed["sku"].map(chain.products.set_index("sku")["shelf_space"]).astype(float)
    use = trimmed.groupby("store_id")[["shelf_space", "inventory_cost"]].sum()
    limits = chain.stores.set_index("store_id")
    assert result.today.limits["over_limits"].all()
    assert (use["shelf_space"] <= limits["shelf_capacity"] + 1e-9).all()
    assert (use["inventory_cost"] <= limits["inventory_budget"] + 1e-6).all()
    assert value.profit == pytest.approx(plan_value(result.today.carried, result.inputs).profit)
