"""The optimizer's two steps, plan and evaluate, over one PlanningProblem; the core rule; forced pairs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import profiles_for, tiny_chain

from planner import PlanConfig, PlanningProblem, plan_assortment
from planner.config import StabilityConfig
from planner.optimize import evaluate, plan
from planner.optimize.inputs import build_model_inputs, core_products, pair_table, store_inputs


def test_core_rule_is_fresh_products_in_every_store() -> None:
    lines = pd.DataFrame({
        "store_id": ["A", "B", "C", "A", "B", "A", "B", "C", "D"],
        "sku": ["bread", "bread", "bread", "milk", "milk", "soap", "soap", "soap", "milk"],
    })
    stores = pd.Index(["A", "B", "C"], name="store_id")
    assert core_products(lines, {"bread", "milk"}, stores) == ["bread"]  # milk misses C; D is no store of the chain
    assert core_products(lines, {"bread", "milk", "soap"}, stores) == ["bread", "soap"]
    assert core_products(pd.MultiIndex.from_frame(lines), {"bread"}, stores) == ["bread"]
    assert core_products(lines.iloc[:0], {"bread"}, stores) == []


def test_plan_then_evaluate_is_the_weekly_plan(tmp_path: Path) -> None:
    chain, profiles = profiles_for(tiny_chain(tmp_path / "c", n_products=40, seed=4))
    problem = PlanningProblem(profiles.pairs, chain.stores, chain.products, PlanConfig())
    chosen = plan(problem)
    carried_before = chosen.carried.copy()
    result = evaluate(chosen)
    assert result.value.objective == pytest.approx(chosen.solve.objective, rel=1e-9, abs=1e-6)
    pd.testing.assert_frame_equal(chosen.carried, carried_before)  # evaluating changes nothing of the plan
    again = evaluate(chosen)
    pd.testing.assert_frame_equal(again.plan, result.plan)
    pd.testing.assert_frame_equal(again.changes, result.changes)
    weekly = plan_assortment(problem)
    pd.testing.assert_frame_equal(weekly.plan, result.plan)
    assert set(result.baselines) == {"current", "uniform", "greedy"}
    assert list(result.stores["store_id"]) == list(chain.stores["store_id"])


def test_forced_is_a_flag_with_a_reason(tmp_path: Path) -> None:
    chain, profiles = profiles_for(tiny_chain(tmp_path / "c", n_products=30, seed=5))
    config = PlanConfig(stability=StabilityConfig(min_listing_weeks=52))  # every listed line is still young
    pairs = pair_table(profiles.pairs, chain.products, config)
    assert pairs["forced"].dtype == bool
    young = pairs[pairs["forced"]]
    assert len(young) and young["listed_now"].all()
    assert young["forced_by"].str.contains("minimum listing period").all()
    assert (pairs.loc[~pairs["forced"], "forced_by"] == "").all()

    inputs = build_model_inputs(PlanningProblem(profiles.pairs, chain.stores, chain.products, PlanConfig()))
    store = inputs.stores[0]
    core = list(inputs.core_skus[:2])
    assert len(core) == 2
    outside = next(sku for sku in inputs.all_pairs.loc[store].index if sku not in core)
    one_store = store_inputs(inputs, store, core, set(), force_in=[outside])
    assert one_store.fixed_core == frozenset(core)
    reasons = one_store.all_pairs["forced_by"].droplevel("store_id")
    assert (reasons[core] == "the chain's core").all()
    assert reasons[outside] == "what-if: forced in" and bool(one_store.all_pairs["forced"].droplevel("store_id")[outside])
