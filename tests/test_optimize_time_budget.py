"""A plan whenever one exists: each store's MILP has its own time budget, and a store without a MILP
plan in it falls back to its greedy plan, named in the run (real HiGHS, no mocks)."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import TODAY, configured, profiles_for, tiny_chain
from test_optimize_model import check_limits

from planner import PlanConfig, PlanningProblem, load_config, plan_assortment, run_week
from planner.config import AssortmentConfig, SolverConfig
from planner.optimize.decompose import store_budget
from planner.optimize.inputs import build_model_inputs

TINY = 0.001  # seconds for the whole chain: every store's MILP stops before it has a plan of its own


@pytest.fixture(scope="module")
def chain_of_20(tmp_path_factory: pytest.TempPathFactory):
    """A 20-store synthetic chain: its folder, loaded and profiled once."""
    folder = tiny_chain(tmp_path_factory.mktemp("twenty") / "chain", n_stores=20, n_products=60, seed=11)
    return folder, *profiles_for(folder)


def with_time_limit(config: PlanConfig, seconds: float) -> PlanConfig:
    return dataclasses.replace(config, solver=dataclasses.replace(config.solver, time_limit_seconds=seconds))


def test_store_budget_is_the_time_left_over_the_stores_left_with_a_floor() -> None:
    now = time.perf_counter()
    assert store_budget(SolverConfig(time_limit_seconds=60), 20, 20, now) == pytest.approx(3.0, rel=1e-3)
    assert store_budget(SolverConfig(time_limit_seconds=60), 20, 5, now - 40) == pytest.approx(4.0, rel=1e-3)
    assert store_budget(SolverConfig(time_limit_seconds=60), 20, 5, now - 90) == 1.0  # spent: the 1 s floor
    assert store_budget(SolverConfig(time_limit_seconds=2), 20, 5, now - 3) == pytest.approx(0.1)  # floor limit / stores


@pytest.mark.slow
def test_a_tiny_time_limit_still_gives_a_feasible_plan_with_the_fallback_stores_named(chain_of_20) -> None:
    _folder, chain, profiles = chain_of_20
    problem = PlanningProblem(profiles.pairs, chain.stores, chain.products, PlanConfig())
    normal = plan_assortment(problem)
    assert normal.solve.fallback_stores == ()
    lines: list[str] = []
    rushed = plan_assortment(dataclasses.replace(problem, config=with_time_limit(PlanConfig(), TINY)), progress=lines.append)
    solve = rushed.solve
    assert solve.status == "feasible"
    check_limits(rushed, chain.stores, chain.products)
    assert solve.objective == pytest.approx(rushed.recomputed_objective, abs=1e-6)
    named = list(solve.fallback_stores)
    assert named and set(named) <= set(chain.stores["store_id"])
    sentence = f"{', '.join(named)}: no MILP plan within their time budget; their greedy plan is used (gap "
    assert any(note.startswith(sentence) for note in rushed.notes)
    assert any(line.strip().startswith(sentence) for line in lines)
    # honest: the bound holds the optimum (the normal plan is within mip_gap of it), the gap is measured from it
    assert solve.best_bound >= normal.solve.objective - 1e-6
    assert solve.mip_gap == pytest.approx((solve.best_bound - solve.objective) / solve.objective)
    assert solve.mip_gap > 0
    forced = build_model_inputs(problem).pairs.query("forced").index
    assert forced.isin(pd.MultiIndex.from_frame(rushed.plan[["store_id", "sku"]])).all()


@pytest.mark.slow
def test_the_fallback_plan_keeps_the_core_and_category_rules(chain_of_20) -> None:
    _folder, chain, profiles = chain_of_20
    rules = AssortmentConfig(core_min_items=3, min_items_per_category=1)
    config = with_time_limit(dataclasses.replace(PlanConfig(), assortment=rules), TINY)
    result = plan_assortment(PlanningProblem(profiles.pairs, chain.stores, chain.products, config))
    assert result.solve.fallback_stores
    check_limits(result, chain.stores, chain.products)
    plan = result.plan
    assert plan.loc[plan["role"] == "core", "sku"].nunique() >= 3
    categories = chain.products["category"].unique()
    per_store = plan.groupby("store_id")["category"].nunique()
    assert (per_store.reindex(chain.stores["store_id"]) == len(categories)).all()


@pytest.mark.slow
def test_summary_json_names_the_fallback_stores(chain_of_20, tmp_path: Path) -> None:
    folder, _chain, _profiles = chain_of_20
    (tmp_path / "planning.toml").write_text(f"[solver]\ntime_limit_seconds = {TINY}\n")
    outcome = run_week(folder, tmp_path / "out", configured(load_config(tmp_path / "planning.toml")), today=TODAY)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["status"] == "feasible"
    assert summary["fallback_stores"] == list(outcome.result.solve.fallback_stores) != []
    assert any("their greedy plan is used" in note for note in summary["notes"])
    assert summary["objective"] == pytest.approx(summary["recomputed_objective"], abs=1e-3)
