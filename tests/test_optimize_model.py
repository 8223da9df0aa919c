"""The MILP is checked, not trusted: limits recomputed with pandas, brute force on tiny instances."""

from __future__ import annotations

import dataclasses
import itertools
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import profiles_for, tiny_chain

from planner import InfeasiblePlanError, PlanConfig, PlanningProblem, plan_assortment
from planner.config import AssortmentConfig, CostsConfig, SolverConfig, StabilityConfig
from planner.optimize.decompose import (
    carrier_charges,
    initial_charges,
    solve_chain,
    store_round,
)
from planner.optimize.inputs import build_model_inputs, core_products
from planner.optimize.model import build_model
from planner.optimize.solve import solve

# the plain knapsack: no listing, handling or change costs (test_optimize_rules.py covers those)
NO_COSTS = PlanConfig(costs=CostsConfig(0.0, 0.0), stability=StabilityConfig(change_penalty=0.0))


def check_limits(result, stores: pd.DataFrame, products: pd.DataFrame) -> None:
    """Recompute shelf, budget and core rules from the plan table, independently of the model."""
    plan = result.plan
    shelf = plan.groupby("store_id")["sku"].apply(lambda s: products.set_index("sku").loc[s, "shelf_space"].sum())
    budget = plan.groupby("store_id")["inventory_cost"].sum()
    limits = stores.set_index("store_id")
    for store in limits.index:
        assert shelf.get(store, 0.0) <= limits.at[store, "shelf_capacity"] + 1e-6
        assert budget.get(store, 0.0) <= limits.at[store, "inventory_budget"] + 1e-6
    core = set(plan.loc[plan["role"] == "core", "sku"])
    for sku in core:
        assert set(plan.loc[plan["sku"] == sku, "store_id"]) == set(limits.index), f"core {sku} missing in a store"
        assert bool(products.set_index("sku").at[sku, "fresh"]), "only fresh products are core"
    assert not plan.duplicated(["store_id", "sku"]).any()
    fresh_everywhere = plan[plan["fresh"]].groupby("sku")["store_id"].nunique()
    assert set(fresh_everywhere[fresh_everywhere == len(limits)].index) <= core


@pytest.mark.slow
@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_each_solver_plans_within_every_limit(tmp_path: Path, solver: str) -> None:
    chain, profiles = profiles_for(tiny_chain(tmp_path / "c", n_products=60, seed=3))
    config = PlanConfig().with_solver(solver)
    result = plan_assortment(PlanningProblem(profiles.pairs, chain.stores, chain.products, config))
    assert result.solve.status == "optimal"
    assert result.solve.mip_gap is not None
    if solver == "highs":  # HiGHS reports its own tree bound; CBC's gap is against the root LP bound
        assert result.solve.mip_gap <= 0.001
    assert result.solve.best_bound >= result.solve.objective - 1e-6
    check_limits(result, chain.stores, chain.products)
    assert result.recomputed_objective == pytest.approx(result.solve.objective, rel=1e-9, abs=1e-6)


@pytest.mark.slow
def test_highs_and_cbc_agree_within_the_gap(tmp_path: Path) -> None:
    chain, profiles = profiles_for(tiny_chain(tmp_path / "c", n_products=60, seed=5))
    objectives = [
        plan_assortment(PlanningProblem(profiles.pairs, chain.stores, chain.products, PlanConfig().with_solver(s))).solve.objective
        for s in ("highs", "cbc")
    ]
    assert objectives[0] == pytest.approx(objectives[1], rel=0.002)


def brute_force(profiles: pd.DataFrame, stores: pd.DataFrame, products: pd.DataFrame, core_max: int | None, core_min: int = 0) -> float:
    """Best total profit over every combination of per-store product sets (tiny instances only).

    Core = fresh products carried in every store; at least `core_min` and at most `core_max` of them.
    """
    space = products.set_index("sku")["shelf_space"]
    fresh = set(products.loc[products["fresh"], "sku"])
    pairs = profiles.set_index(["store_id", "sku"])
    limits = stores.set_index("store_id")
    feasible: dict[str, list[tuple[float, frozenset[str]]]] = {}
    for store in limits.index:
        feasible[store] = []
        for r in range(len(space) + 1):
            for chosen in itertools.combinations(space.index, r):
                rows = pairs.loc[[(store, sku) for sku in chosen]]
                if space.loc[list(chosen)].sum() <= limits.at[store, "shelf_capacity"] + 1e-9 and (
                    rows["inventory_cost"].sum() <= limits.at[store, "inventory_budget"] + 1e-9
                ):
                    feasible[store].append((float(rows["profit_per_week"].sum()), frozenset(chosen)))
    best = float("-inf")
    for combo in itertools.product(*feasible.values()):
        core = frozenset.intersection(*(chosen for _, chosen in combo)) & fresh
        if (core_max is None or len(core) <= core_max) and len(core) >= core_min:
            best = max(best, sum(profit for profit, _ in combo))
    return best


@pytest.mark.slow
@pytest.mark.parametrize(("seed", "core_max", "core_min"), [(1, None, 0), (2, 1, 0), (3, 0, 0), (4, 2, 0), (5, None, 2), (6, 3, 3)])
def test_tiny_instances_match_brute_force(tmp_path: Path, seed: int, core_max: int | None, core_min: int) -> None:
    chain, profiles = profiles_for(tiny_chain(tmp_path / "c", n_stores=2, n_products=7, seed=seed))
    rules = AssortmentConfig(core_max_items=core_max, core_min_items=core_min)
    config = dataclasses.replace(NO_COSTS, solver=SolverConfig(mip_gap=0.0), assortment=rules)
    result = plan_assortment(PlanningProblem(profiles.pairs, chain.stores, chain.products, config))
    expected = brute_force(profiles.pairs, chain.stores, chain.products, core_max, core_min)
    assert result.solve.objective == pytest.approx(expected, abs=1e-6)
    check_limits(result, chain.stores, chain.products)


def test_constraint_names_say_what_and_where(tmp_path: Path) -> None:
    chain, profiles = profiles_for(tiny_chain(tmp_path / "c"))
    rules = AssortmentConfig(min_items_per_category=1, max_addons_per_store=30, core_min_items=1, core_max_items=10)
    inputs = build_model_inputs(PlanningProblem(profiles.pairs, chain.stores, chain.products, PlanConfig(assortment=rules)))
    model = build_model(inputs)
    names = [c.name for c in model.problem.constraints()]
    assert len(names) == len(set(names))
    assert set(names) == set(model.constraint_info)
    assert {"shelf_capacity__S001", "inventory_budget__S003", "core_min_items__chain", "max_addons_per_store__S002"} <= set(names)
    assert any(n.startswith("min_items_per_category__S001__") for n in names)


@pytest.mark.slow
def test_rules_hold_on_the_solution(tmp_path: Path) -> None:
    chain, profiles = profiles_for(tiny_chain(tmp_path / "c", n_products=60))
    rules = AssortmentConfig(min_items_per_category=1, max_addons_per_store=25, core_min_items=3, core_max_items=4)
    result = plan_assortment(PlanningProblem(profiles.pairs, chain.stores, chain.products, PlanConfig(assortment=rules)))
    plan = result.plan
    check_limits(result, chain.stores, chain.products)
    assert 3 <= plan.loc[plan["role"] == "core", "sku"].nunique() <= 4
    assert (plan[plan["role"] == "addon"].groupby("store_id").size() <= 25).all()
    available = profiles.pairs.groupby(["store_id", "category"]).size().clip(upper=1)
    carried = plan.groupby(["store_id", "category"]).size().reindex(available.index, fill_value=0)
    assert (carried >= available).all()


def test_infeasible_limits_are_named_with_the_amount(tmp_path: Path) -> None:
    folder = tiny_chain(tmp_path / "c")
    stores = pd.read_csv(folder / "stores.csv", dtype=str)
    stores.loc[stores["store_id"] == "S002", "shelf_capacity"] = "3"
    stores.to_csv(folder / "stores.csv", index=False)
    chain, profiles = profiles_for(folder)
    config = PlanConfig(assortment=AssortmentConfig(min_items_per_category=2))
    with pytest.raises(InfeasiblePlanError, match=r"shelf_capacity at store S002: short by [\d.,]+ shelf units"):
        plan_assortment(PlanningProblem(profiles.pairs, chain.stores, chain.products, config))


def test_core_minimum_above_fresh_range_is_refused_before_solving(tmp_path: Path) -> None:
    chain, profiles = profiles_for(tiny_chain(tmp_path / "c"))
    n_fresh = int(chain.products["fresh"].sum())
    config = PlanConfig(assortment=AssortmentConfig(core_min_items=n_fresh + 1))
    with pytest.raises(InfeasiblePlanError, match=f"only {n_fresh} fresh products"):
        plan_assortment(PlanningProblem(profiles.pairs, chain.stores, chain.products, config))


@pytest.mark.slow
def test_chain_without_fresh_products_has_an_empty_core_and_says_so(tmp_path: Path) -> None:
    chain, profiles = profiles_for(tiny_chain(tmp_path / "c", fresh=False))
    result = plan_assortment(PlanningProblem(profiles.pairs, chain.stores, chain.products, PlanConfig()))
    assert (result.plan["role"] == "addon").all() and len(result.plan) > 0
    assert any("no fresh products" in note for note in result.notes)


def test_single_store_chain_plans(tmp_path: Path) -> None:
    chain, profiles = profiles_for(tiny_chain(tmp_path / "c", n_stores=1))
    result = plan_assortment(PlanningProblem(profiles.pairs, chain.stores, chain.products, PlanConfig()))
    check_limits(result, chain.stores, chain.products)
    assert (result.plan.loc[result.plan["fresh"], "role"] == "core").all()


@pytest.mark.slow
def test_defaults_never_force_infeasibility_on_a_cramped_store(tmp_path: Path) -> None:
    folder = tiny_chain(tmp_path / "c")
    stores = pd.read_csv(folder / "stores.csv", dtype=str)
    stores["shelf_capacity"] = "1"
    stores["inventory_budget"] = "1"
    stores.to_csv(folder / "stores.csv", index=False)
    chain, profiles = profiles_for(folder)
    result = plan_assortment(PlanningProblem(profiles.pairs, chain.stores, chain.products, PlanConfig()))
    check_limits(result, chain.stores, chain.products)
    assert dataclasses.asdict(PlanConfig().assortment)["min_items_per_category"] == 0


@pytest.mark.slow
@pytest.mark.parametrize("listing_cost", [0.0, 3.0])
def test_store_by_store_plan_matches_the_chain_model_and_its_bound_holds(tmp_path: Path, listing_cost: float) -> None:
    chain, profiles = profiles_for(tiny_chain(tmp_path / "c", n_products=60, seed=8))
    config = dataclasses.replace(
        PlanConfig(), assortment=AssortmentConfig(core_min_items=4),
        costs=CostsConfig(listing_cost_per_product=listing_cost, handling_cost_per_listing=0.2),
    )
    inputs = build_model_inputs(PlanningProblem(profiles.pairs, chain.stores, chain.products, config))
    by_store = solve_chain(inputs)
    exact = dataclasses.replace(inputs, config=dataclasses.replace(config, solver=SolverConfig(mip_gap=0.0)))
    model = build_model(exact)
    optimum = solve(model.problem, exact.config.solver)
    assert optimum.status == "optimal"
    assert by_store.result.best_bound >= optimum.objective - 1e-6
    assert by_store.result.objective >= optimum.objective - config.solver.mip_gap * abs(optimum.objective)
    assert len(core_products(by_store.carried, inputs.core_skus, inputs.stores)) >= 4
    if listing_cost == 0:
        assert by_store.method == "by store"
    charges = initial_charges(inputs)
    for _round in range(2):  # both rounds' sums of store bounds bound the chain optimum
        carried, bound, _values = store_round(inputs, charges, time.perf_counter(), print)
        assert bound >= optimum.objective - 1e-6
        charges = carrier_charges(inputs, carried, charges)
