"""Substitution, costs, stability, overrides, baselines and what-if: checked against brute force and by hand."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import pandas as pd
import pytest
from conftest import profiles_for, tiny_chain
from test_optimize_model import check_limits

from planner import InfeasiblePlanError, InputError, PlanConfig, load_chain
from planner.config import CostsConfig, SolverConfig, StabilityConfig
from planner.optimize import PlanningProblem, plan_assortment, replan_store
from planner.optimize.inputs import Substitutes, build_model_inputs, store_inputs
from planner.optimize.model import build_model, limit_names
from planner.optimize.plan import plan_value
from planner.optimize.solve import relaxed_duals

TODAY_CONFIG = PlanConfig(solver=SolverConfig(mip_gap=0.0))


def grouped_chain(folder: Path, *, n_stores: int = 2, n_products: int = 7, seed: int = 1) -> Path:
    """A tiny chain whose products come in substitute groups (product master column)."""
    tiny_chain(folder, n_stores=n_stores, n_products=n_products, seed=seed)
    products = pd.read_csv(folder / "products.csv", dtype=str)
    products["substitute_group"] = ["A" if i % 2 else "B" for i in range(len(products))]
    products.to_csv(folder / "products.csv", index=False)
    return folder


def oracle(profiles: pd.DataFrame, stores: pd.DataFrame, products: pd.DataFrame, config: PlanConfig, subs: Substitutes) -> float:
    """Best objective over every per-store product set, computed without the planner's model or valuation."""
    space = products.set_index("sku")["shelf_space"].astype(float)
    margin = (products.set_index("sku")["price"] - products.set_index("sku")["unit_cost"]).astype(float)
    fresh = set(products.loc[products["fresh"], "sku"])
    group_of = dict(zip(products["sku"], products["substitute_group"], strict=True))
    pairs = profiles.set_index(["store_id", "sku"])
    handling, listing = config.costs.handling_cost_per_listing, config.costs.listing_cost_per_product
    penalty = config.stability.change_penalty
    skus = list(space.index)

    def store_value(store: str, chosen: frozenset[str]) -> float:
        units = {sku: float(pairs.at[(store, sku), "units_per_week"]) for sku in skus}
        listed = {sku for sku in skus if pairs.at[(store, sku), "listed_now"]}
        value = sum(float(pairs.at[(store, sku), "profit_per_week"]) - handling for sku in chosen)
        bounds = {}  # (p, q) -> units that move when p is dropped and q carried
        for p in listed:
            if units[p] <= 0:
                continue
            candidates = sorted((q for q in skus if q != p and group_of[q] == group_of[p] and units[q] > 0), key=lambda q: (-units[q], q))
            top = candidates[: subs.max_substitutes]
            for q in top:
                bounds[(p, q)] = subs.transfer_rate * units[p] * units[q] / sum(units[x] for x in top)
        for q in skus:  # a substitute absorbs at most max_absorb x its units, even if every sender is dropped
            sent = sum(b for (_, target), b in bounds.items() if target == q)
            if sent > subs.max_absorb * units[q]:
                for key in [k for k in bounds if k[1] == q]:
                    bounds[key] *= subs.max_absorb * units[q] / sent
        value += sum(b * margin[q] for (p, q), b in bounds.items() if p not in chosen and q in chosen and margin[q] > 0)
        return value - penalty * len(chosen ^ listed)

    limits = stores.set_index("store_id")
    options = {}
    for store in limits.index:
        options[store] = []
        for r in range(len(skus) + 1):
            for chosen in itertools.combinations(skus, r):
                cost = sum(float(pairs.at[(store, s), "inventory_cost"]) for s in chosen)
                if space[list(chosen)].sum() <= limits.at[store, "shelf_capacity"] + 1e-9 and cost <= limits.at[store, "inventory_budget"] + 1e-9:
                    options[store].append((store_value(store, frozenset(chosen)), frozenset(chosen)))
    best = float("-inf")
    for combo in itertools.product(*options.values()):
        carried_anywhere = frozenset().union(*(chosen for _, chosen in combo))
        core = frozenset.intersection(*(chosen for _, chosen in combo)) & fresh
        del core  # any fresh product carried everywhere is core; no core limits in this test
        best = max(best, sum(v for v, _ in combo) - listing * len(carried_anywhere))
    return best


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_tiny_instances_with_substitution_and_costs_match_brute_force(tmp_path: Path, seed: int) -> None:
    chain, profiles = profiles_for(grouped_chain(tmp_path / "c", seed=seed))
    config = dataclasses.replace(
        TODAY_CONFIG, costs=CostsConfig(listing_cost_per_product=1.5, handling_cost_per_listing=0.3),
        stability=StabilityConfig(change_penalty=0.7, min_listing_weeks=0),
    )
    subs = Substitutes(profiles.substitution.pairs, transfer_rate=0.6, max_substitutes=2, max_absorb=0.5)
    result = plan_assortment(PlanningProblem(profiles.pairs, chain.stores, chain.products, config, substitutes=subs))
    assert result.solve.objective == pytest.approx(oracle(profiles.pairs, chain.stores, chain.products, config, subs), abs=1e-5)
    assert result.recomputed_objective == pytest.approx(result.solve.objective, abs=1e-6)
    check_limits(result, chain.stores, chain.products)


@pytest.mark.slow
def test_dropping_a_product_with_substitutes_costs_less_than_dropping_a_unique_one(tmp_path: Path) -> None:
    folder = tiny_chain(tmp_path / "c", n_stores=2, n_products=30, seed=4)
    products = pd.read_csv(folder / "products.csv", dtype=str)
    products["substitute_group"] = [f"solo{i}" for i in range(len(products))]
    twins = products.index[:2]
    products.loc[twins, "substitute_group"] = "twins"  # sku 0 and 1 substitute for each other, sku 2 for none
    products.to_csv(folder / "products.csv", index=False)
    chain, profiles = profiles_for(folder)
    pairs = profiles.pairs.copy()
    close, unique, partner = products.loc[0, "sku"], products.loc[2, "sku"], products.loc[1, "sku"]
    same = ["units_per_week", "sd_units_per_week", "profit_per_week", "inventory_cost", "waste_cost_per_week"]
    pairs.loc[pairs["sku"] == unique, same] = pairs.loc[pairs["sku"] == close, same].to_numpy()
    pairs.loc[pairs["sku"].isin([close, unique, partner]), "listed_now"] = True
    pairs.loc[pairs["sku"].isin([close, unique]), ["profit_per_week", "inventory_cost"]] = (30.0, 1.0)
    pairs.loc[pairs["sku"] == partner, ["profit_per_week", "inventory_cost"]] = (50.0, 1.0)  # stays on the shelf
    chain.products.loc[chain.products["sku"] == unique, ["price", "unit_cost", "shelf_space"]] = (
        chain.products.loc[chain.products["sku"] == close, ["price", "unit_cost", "shelf_space"]].to_numpy())
    config = dataclasses.replace(TODAY_CONFIG, stability=StabilityConfig(change_penalty=0.0))
    subs = Substitutes(profiles.substitution.pairs, transfer_rate=0.5)
    result = plan_assortment(PlanningProblem(pairs, chain.stores, chain.products, config, substitutes=subs))
    store = chain.store_ids[0]
    cost_close = -replan_store(result.basis, store, force_out=[close]).profit_change
    cost_unique = -replan_store(result.basis, store, force_out=[unique]).profit_change
    assert 0 <= cost_close < cost_unique
    gained = replan_store(result.basis, store, force_out=[close])
    assert gained.plan.set_index("sku").at[close, "change"] == "drop"


@pytest.mark.slow
def test_change_limits_penalty_and_minimum_listing_period_hold(tmp_path: Path) -> None:
    chain, profiles = profiles_for(tiny_chain(tmp_path / "c", n_products=60, seed=6))
    free = plan_assortment(PlanningProblem(profiles.pairs, chain.stores, chain.products, dataclasses.replace(TODAY_CONFIG, stability=StabilityConfig(change_penalty=0.0))))
    assert free.value.adds + free.value.drops > 4, "the test needs a chain that wants to change"
    free_drops = int((free.changes["change"] == "drop").groupby(free.changes["store_id"]).sum().max())
    capped = dataclasses.replace(TODAY_CONFIG, stability=StabilityConfig(change_penalty=0.0, max_adds_per_store=1, max_drops_per_store=free_drops))
    result = plan_assortment(PlanningProblem(profiles.pairs, chain.stores, chain.products, capped))
    per_store = result.changes.groupby(["store_id", "change"]).size().unstack(fill_value=0).reindex(columns=["add", "drop"], fill_value=0)
    assert (per_store["add"] <= 1).all() and (per_store["drop"] <= free_drops).all()
    # today's shelves are over their limits here: no drops at all is impossible, and the diagnosis says so
    frozen_shelf = dataclasses.replace(TODAY_CONFIG, stability=StabilityConfig(max_drops_per_store=0))
    with pytest.raises(InfeasiblePlanError, match=r"max_drops_per_store at store S00\d: short by [\d.]+ drops"):
        plan_assortment(PlanningProblem(profiles.pairs, chain.stores, chain.products, frozen_shelf))
    frozen = plan_assortment(PlanningProblem(profiles.pairs, chain.stores, chain.products, dataclasses.replace(TODAY_CONFIG, stability=StabilityConfig(change_penalty=1e4))))
    assert frozen.value.adds + frozen.value.drops < free.value.adds + free.value.drops
    young = profiles.pairs.copy()
    losers = young.index[young["listed_now"] & (young["profit_per_week"] < 0)]
    assert len(losers), "the test needs a listed product that loses money"
    young.loc[losers, "weeks_since_first_sale"] = 2
    kept = plan_assortment(PlanningProblem(young, chain.stores, chain.products, TODAY_CONFIG))
    lines = kept.plan.set_index(["store_id", "sku"])
    for store, sku in young.loc[losers, ["store_id", "sku"]].itertuples(index=False):
        assert "minimum listing period" in lines.at[(store, sku), "forced"]


def write_overrides(folder: Path, rows: list[tuple[str, str, str]]) -> None:
    pd.DataFrame(rows, columns=["store_id", "sku", "rule"]).to_csv(folder / "overrides.csv", index=False)


@pytest.mark.slow
def test_overrides_enter_as_constraints(tmp_path: Path) -> None:
    folder = tiny_chain(tmp_path / "c", n_products=40, seed=7)
    chain, profiles = profiles_for(folder)
    base = plan_assortment(PlanningProblem(profiles.pairs, chain.stores, chain.products, TODAY_CONFIG))
    planned = base.plan.set_index(["store_id", "sku"]).index
    fresh_out = chain.products.loc[chain.products["fresh"] & ~chain.products["sku"].isin(base.plan.loc[base.plan["role"] == "core", "sku"]), "sku"].iloc[0]
    store = chain.store_ids[1]
    banned = base.plan.loc[base.plan["store_id"] == store, "sku"].iloc[0]
    write_overrides(folder, [("", fresh_out, "must_carry"), (store, banned, "must_not_carry")])
    chain, profiles = profiles_for(folder)
    result = plan_assortment(PlanningProblem(profiles.pairs, chain.stores, chain.products, TODAY_CONFIG, overrides=chain.overrides))
    plan = result.plan.set_index(["store_id", "sku"])
    assert (plan.xs(fresh_out, level="sku")["role"] == "core").all()
    assert (store, banned) not in plan.index and (store, banned) in planned
    if (store, banned) in profiles.pairs.set_index(["store_id", "sku"]).index[profiles.pairs["listed_now"]]:
        assert "head-office store list" in result.changes.set_index(["store_id", "sku"]).at[(store, banned), "forced"]
    check_limits(result, chain.stores, chain.products)


@pytest.mark.slow
def test_conflicting_overrides_are_named_before_solving(tmp_path: Path) -> None:
    folder = tiny_chain(tmp_path / "c", n_products=40, seed=8)
    skus = pd.read_csv(folder / "products.csv", dtype=str)["sku"]
    write_overrides(folder, [("S001", skus[0], "must_carry"), ("S001", skus[0], "must_not_carry"),
                             *[("S002", sku, "must_carry") for sku in skus]])
    chain, profiles = profiles_for(folder)
    with pytest.raises(InfeasiblePlanError) as caught:
        plan_assortment(PlanningProblem(profiles.pairs, chain.stores, chain.products, TODAY_CONFIG, overrides=chain.overrides))
    message = str(caught.value)
    assert f"store S001, product {skus[0]}: must_carry" in message and "must_not_carry" in message
    assert "store S002: the 40 products that must be carried need" in message


def test_bad_override_file_names_line_and_column(tmp_path: Path) -> None:
    folder = tiny_chain(tmp_path / "c")
    (folder / "overrides.csv").write_text("store_id,sku,rule\nS001,000001,must_carry\nS009,000001,always\n")
    with pytest.raises(InputError) as caught:
        load_chain(folder, PlanConfig())
    text = str(caught.value)
    assert "overrides.csv line 3, column store_id" in text and "overrides.csv line 3, column rule" in text


@pytest.mark.slow
def test_localized_plan_beats_uniform_and_greedy_baselines_valued_the_same_way(tmp_path: Path) -> None:
    chain, profiles = profiles_for(tiny_chain(tmp_path / "c", n_products=60, seed=9))
    config = dataclasses.replace(TODAY_CONFIG, stability=StabilityConfig(change_penalty=0.0))
    result = plan_assortment(PlanningProblem(profiles.pairs, chain.stores, chain.products, config))
    assert result.uplift("uniform") >= -1e-6 and result.uplift("greedy") >= -1e-6 and result.uplift("current") >= -1e-6
    assert result.baselines["current"].profit == pytest.approx(plan_value(result.today.carried, result.inputs).profit, abs=1e-6)


@pytest.mark.slow
def test_store_what_if_and_shadow_prices(tmp_path: Path) -> None:
    chain, profiles = profiles_for(tiny_chain(tmp_path / "c", n_products=60, seed=10))
    result = plan_assortment(PlanningProblem(profiles.pairs, chain.stores, chain.products, TODAY_CONFIG))
    assert (result.stores[["shelf_value", "budget_value"]] >= -1e-9).all().all()  # signed duals: a wrong sign fails
    store = chain.store_ids[0]
    row = result.stores.set_index("store_id").loc[store]
    same = replan_store(result.basis, store)
    assert same.profit_change == pytest.approx(0.0, abs=0.01 * abs(same.base_value.profit) + 1e-6)
    bigger = replan_store(result.basis, store, shelf_capacity=row["shelf_capacity"] * 1.5, inventory_budget=row["inventory_budget"] * 1.5)
    assert bigger.objective_change >= -1e-6
    smaller = replan_store(result.basis, store, shelf_capacity=row["shelf_used"] * 0.5)
    assert smaller.objective_change <= 1e-6
    used = smaller.plan[smaller.plan["change"] != "drop"]
    space = chain.products.set_index("sku")["shelf_space"]
    assert space.reindex(used["sku"]).sum() <= row["shelf_used"] * 0.5 + 1e-6
    outside = sorted(set(chain.products["sku"]) - set(result.plan.loc[result.plan["store_id"] == store, "sku"]))[0]
    forced = replan_store(result.basis, store, force_in=[outside])
    assert forced.plan.set_index("sku").at[outside, "change"] == "add"


@pytest.mark.slow
@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_shelf_and_budget_duals_match_finite_differences_of_the_store_lp(tmp_path: Path, solver: str) -> None:
    chain, profiles = profiles_for(tiny_chain(tmp_path / "c", n_products=60, seed=12))
    config = TODAY_CONFIG.with_solver(solver)
    inputs = build_model_inputs(PlanningProblem(profiles.pairs, chain.stores, chain.products, config))
    store = chain.store_ids[0]
    shelf, budget = float(inputs.shelf_capacity[store]), float(inputs.inventory_budget[store])

    def lp(shelf_capacity: float, inventory_budget: float) -> tuple[float, list[float]]:
        sub = store_inputs(inputs, store, [], set(), shelf_capacity=shelf_capacity, inventory_budget=inventory_budget)
        return relaxed_duals(build_model(sub).problem, config.solver, limit_names(inputs, store))

    base, (shelf_dual, budget_dual) = lp(shelf, budget)
    step = 1e-3
    assert shelf_dual == pytest.approx((lp(shelf + step, budget)[0] - base) / step, rel=1e-3, abs=1e-6)
    assert budget_dual == pytest.approx((lp(shelf, budget + step)[0] - base) / step, rel=1e-3, abs=1e-6)
    assert shelf_dual > 0 or budget_dual > 0  # the tiny chain's limits bind
