"""A cluster: the store problems solved by the workers of a real Dask distributed LocalCluster (two worker
processes on 127.0.0.1) give the plan of this machine, also from `planner run --cluster` and when a worker dies."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import dask
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import profiles_for, tiny_chain
from distributed import LocalCluster

from planner import PlanConfig, PlanningProblem, plan_assortment
from planner.cli import cli
from planner.config import CostsConfig, SolverConfig, config_from_dict
from planner.errors import ConfigError, SolverError
from planner.optimize.cluster import ClusterPool
from planner.optimize.workers import KILL_VARIABLE

DATA = Path(__file__).parent / "data"


@contextlib.contextmanager
def local_cluster(**options) -> Iterator[LocalCluster]:
    """Two single-thread worker processes on 127.0.0.1. They are spawned (and spawned again when one dies)
    and import the parent's __main__, which after the app tests (AppTest) is app.py: while the cluster
    lives, __main__ is a command line's empty one."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=":0", **options) as started:
            yield started


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with local_cluster() as started:
        yield started


@pytest.fixture(scope="module")
def chain_of_8(tmp_path_factory: pytest.TempPathFactory):
    """An 8-store synthetic chain with a listing cost (two rounds, so core re-solves): chain, profiles."""
    folder = tiny_chain(tmp_path_factory.mktemp("eight") / "chain", n_stores=8, n_products=80, seed=5)
    return profiles_for(folder)


def planned(chain_of_8, solver: SolverConfig, lines: list[str]) -> pd.DataFrame:
    chain, profiles = chain_of_8
    config = PlanConfig(solver=solver, costs=CostsConfig(listing_cost_per_product=2.0))
    return plan_assortment(PlanningProblem(profiles.pairs, chain.stores, chain.products, config), progress=lines.append).plan


@pytest.mark.slow
def test_the_cluster_gives_the_plan_of_this_machine(chain_of_8, cluster: LocalCluster) -> None:
    serial = planned(chain_of_8, SolverConfig(workers=1), [])
    lines: list[str] = []
    on_cluster = planned(chain_of_8, SolverConfig(cluster=cluster.scheduler_address), lines)
    assert any(f"2 workers of the Dask cluster at {cluster.scheduler_address}" in line for line in lines)
    pd.testing.assert_frame_equal(on_cluster, serial)


@pytest.mark.slow
def test_planner_run_cluster_writes_the_plan_csv_of_a_local_run(cluster: LocalCluster, tmp_path: Path) -> None:
    folder = tmp_path / "kette eins"
    shutil.copytree(DATA / "chain", folder)
    outputs, errors = [], []
    for name, extra in (("local", []), ("cluster", ["--cluster", cluster.scheduler_address])):
        done = subprocess.run([sys.executable, "-m", "planner", "run", str(folder), "--out", str(tmp_path / name), *extra],
                              cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr
        outputs.append((tmp_path / name / "plan.csv").read_bytes())
        errors.append(done.stderr)
    assert "Dask cluster" in errors[1] and "Dask cluster" not in errors[0]
    assert outputs[0] == outputs[1]


@pytest.mark.slow
def test_a_store_whose_worker_dies_on_the_cluster_is_solved_here(chain_of_8) -> None:
    serial = planned(chain_of_8, SolverConfig(workers=1), [])
    lines: list[str] = []
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), local_cluster(env={KILL_VARIABLE: "S003"}) as dying:
        survived = planned(chain_of_8, SolverConfig(cluster=dying.scheduler_address), lines)
    died = [line for line in lines if "a worker process died (while" in line]
    assert died and "S003" in died[0]
    pd.testing.assert_frame_equal(survived, serial)


def test_a_cluster_that_is_not_an_address_is_refused_with_what_was_expected() -> None:
    with pytest.raises(ConfigError, match=r"\[solver\] cluster = 'scheduler:8786': expected a scheduler address such as 'tcp://"):
        config_from_dict({"solver": {"cluster": "scheduler:8786"}})
    assert config_from_dict({"solver": {"cluster": "tcp://10.0.0.5:8786"}}).solver.cluster == "tcp://10.0.0.5:8786"
    result = CliRunner().invoke(cli, ["run", str(DATA / "chain"), "--cluster", "my laptop"])
    assert result.exit_code == 1 and "--cluster: [solver] cluster = 'my laptop': expected a scheduler address" in result.output


@pytest.mark.slow
def test_no_scheduler_at_the_address_is_a_planning_error_that_says_so() -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{free.getsockname()[1]}"
    with pytest.raises(SolverError, match=rf"\[solver\] cluster = '{address}': no Dask scheduler answers there .*dask scheduler"):
        ClusterPool(address, print)
