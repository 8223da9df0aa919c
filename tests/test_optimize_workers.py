"""Every core: the store subproblems run in worker processes and give the plan of the serial path, also
when a worker dies mid-run (real HiGHS in real processes, no mocks)."""

from __future__ import annotations

import dataclasses
import sys
import time
import types
from pathlib import Path

import pandas as pd
import pytest
from conftest import TODAY, configured, profiles_for, tiny_chain

from planner import PlanConfig, PlanningProblem, plan_assortment, run_week
from planner.config import CostsConfig, SolverConfig, StabilityConfig, config_from_dict
from planner.optimize.decompose import store_budget
from planner.optimize.workers import KILL_VARIABLE, worker_count


@pytest.fixture(autouse=True)
def command_line_main(monkeypatch: pytest.MonkeyPatch) -> None:
    """A __main__ as the planner's command line has it. Worker processes import the parent's __main__;
    after the app tests (Streamlit's AppTest) in the same pytest process it is app.py, which a worker
    must not run, so the workers would fail to start and every store would be solved here."""
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))


@pytest.fixture(scope="module")
def chain_of_8(tmp_path_factory: pytest.TempPathFactory):
    """An 8-store synthetic chain with a listing cost (two rounds, so core re-solves): folder, chain, profiles."""
    folder = tiny_chain(tmp_path_factory.mktemp("eight") / "chain", n_stores=8, n_products=80, seed=5)
    return folder, *profiles_for(folder)


def with_workers(workers: int) -> PlanConfig:
    """A listing cost (two rounds) and at most 3 changes a week (a step MILP and an outlook in every store)."""
    return PlanConfig(solver=SolverConfig(workers=workers), costs=CostsConfig(listing_cost_per_product=2.0),
                      stability=StabilityConfig(max_changes_per_store_per_week=3))


def planned(chain_of_8, workers: int, lines: list[str] | None = None) -> pd.DataFrame:
    """The plan, with the paced changes and today's trimmed range alongside (the store tasks of evaluate)."""
    _folder, chain, profiles = chain_of_8
    problem = PlanningProblem(profiles.pairs, chain.stores, chain.products, with_workers(workers))
    result = plan_assortment(problem, progress=None if lines is None else lines.append)
    assert result.changes["week"].max() > 1
    today = result.today.carried.assign(change="today", week=0)
    return pd.concat([result.plan, result.changes, today], keys=["plan", "changes", "today"])


def test_workers_is_a_setting_zero_is_one_per_core() -> None:
    assert PlanConfig().solver.workers == 0
    assert config_from_dict({"solver": {"workers": 1}}).solver.workers == 1
    assert worker_count(SolverConfig(workers=0), 1_000) >= 1
    assert worker_count(SolverConfig(workers=4), 3) == 3  # never more than the stores
    assert worker_count(SolverConfig(workers=1), 20) == 1


def test_with_n_workers_a_store_gets_the_time_left_x_n_over_the_stores_left() -> None:
    now = time.perf_counter()
    assert store_budget(SolverConfig(time_limit_seconds=60), 20, 20, now, workers=2) == pytest.approx(6.0, rel=1e-3)
    assert store_budget(SolverConfig(time_limit_seconds=60), 20, 1, now, workers=2) == pytest.approx(60.0, rel=1e-3)
    assert store_budget(SolverConfig(time_limit_seconds=60), 20, 5, now - 90, workers=2) == 1.0  # spent: the floor


@pytest.mark.slow
def test_two_workers_give_the_serial_plan_also_when_a_worker_dies(chain_of_8, monkeypatch: pytest.MonkeyPatch) -> None:
    serial = planned(chain_of_8, 1)
    lines: list[str] = []
    parallel = planned(chain_of_8, 2, lines)
    assert any("2 worker processes" in line for line in lines)
    pd.testing.assert_frame_equal(parallel, serial)
    monkeypatch.setenv(KILL_VARIABLE, "S001")
    lines = []
    survived = planned(chain_of_8, 2, lines)
    died = [line for line in lines if "a worker process died (while" in line]
    assert died and "S001" in died[0]
    pd.testing.assert_frame_equal(survived, serial)


@pytest.mark.slow
def test_the_same_inputs_give_the_same_plan_csv_in_parallel(chain_of_8, tmp_path: Path) -> None:
    folder, _chain, _profiles = chain_of_8
    config = configured(dataclasses.replace(with_workers(2), costs=CostsConfig()))
    outputs = []
    for run in ("first", "second"):
        run_week(folder, tmp_path / run, config, today=TODAY)
        outputs.append((tmp_path / run / "plan.csv").read_bytes())
    assert outputs[0] == outputs[1]
