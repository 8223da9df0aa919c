"""Weekly runs: history, one run per chain at a time, and a run killed at any moment."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import TODAY, configured, tiny_chain

from planner import PlanConfig, run_week
from planner.cli import cli
from planner.config import StabilityConfig
from planner.db import Base, Database, Run, open_database
from planner.outputs.runfolder import published_folder
from planner.runs import RunStage
from planner.runs.history import (
    close_stale_runs,
    list_runs,
    previous_plan,
    record_plan,
    start_run,
)
from planner.runs.lock import run_lock
from planner.runs.weekly import publish

DATA = Path(__file__).parent / "data"
# a run told each stage it reaches (run_week's on_stage hook); at the chosen one it touches a marker
# file and waits there to be killed
STOP_AT_STAGE = """
import os, sys, time
from pathlib import Path
from planner import PlanConfig
from planner.runs import RunStage, run_week
folder, out, week, stage, marker = sys.argv[1:]
def on_stage(reached):
    if reached == RunStage(stage):
        Path(marker).touch()
        time.sleep(600)
config = PlanConfig().with_environment(os.environ)
run_week(Path(folder), Path(out), config, week=week, on_stage=on_stage)
"""


def chain_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "chain"
    shutil.copytree(DATA / "chain", folder)
    return folder


def planner_run(folder: Path, out: Path, url: str, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PLANNER_DATABASE_URL": url}
    return subprocess.Popen([sys.executable, "-m", "planner", "run", str(folder), "--out", str(out), "--week", "2026-W48", *extra],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def kill_at(stage: RunStage, folder: Path, out: Path, url: str, week: str = "2026-W48") -> None:
    """Run the week in a process of its own and SIGKILL it once it has reached `stage`."""
    marker = out.parent / f"reached-{stage}"
    victim = subprocess.Popen([sys.executable, "-c", STOP_AT_STAGE, str(folder), str(out), week, stage, str(marker)],
                              env={**os.environ, "PLANNER_DATABASE_URL": url}, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not marker.exists() and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    victim.kill()
    _out, errors = victim.communicate(timeout=60)
    assert marker.exists() and victim.returncode == -signal.SIGKILL, f"the run ended before reaching {stage}: {errors}"


def published(out: Path) -> dict[str, bytes | str]:
    """What a reader sees: every output through its link, the links, and the kept run folders."""
    seen: dict[str, bytes | str] = {p.name: p.read_bytes() for p in out.iterdir() if p.is_symlink() and p.is_file()}
    seen["current"] = os.readlink(out / "current")
    for folder in sorted((out / "runs").iterdir()):
        if not folder.name.startswith("."):
            seen |= {f"runs/{folder.name}/{f.relative_to(folder)}": f.read_bytes() for f in sorted(folder.rglob("*")) if f.is_file()}
    return seen


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'runs.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    yield url
    db = Database(url)
    Base.metadata.drop_all(db.engine)
    db.dispose()


@pytest.mark.slow
def test_runs_are_recorded_and_last_weeks_step_is_this_weeks_assortment(tmp_path: Path) -> None:
    """With one change per store and week, the next week starts from what the first step carried
    out, not from the target."""
    folder, out = chain_copy(tmp_path), tmp_path / "out"
    config = PlanConfig(stability=StabilityConfig(max_changes_per_store_per_week=1))
    first = run_week(folder, out, configured(config), today=TODAY, week="2026-W46")
    second = run_week(folder, out, configured(config), today=TODAY, week="2026-W47")
    again = run_week(folder, out, configured(config), today=TODAY, week="2026-W47")
    listed = set(zip(second.chain.assortment["store_id"], second.chain.assortment["sku"], strict=True))
    step = set(zip(first.result.this_week["store_id"], first.result.this_week["sku"], strict=True))
    assert listed == step != set(zip(first.result.plan["store_id"], first.result.plan["sku"], strict=True))
    assert first.summary["transition"]["weeks_to_target"] == 2 and first.summary["stores"]["S1"]["weeks_to_target"] == 2
    assert len(first.result.changes[first.result.changes["week"] == 1].groupby("store_id").size().loc[lambda n: n > 1]) == 0
    assert second.chain.weekly["week_start"].max() < pd.Timestamp("2026-11-16")  # W47 starts 2026-11-16
    assert (out / "runs" / "2026-W47-00003" / "plan.csv").read_bytes() == (out / "runs" / "2026-W47-00002" / "plan.csv").read_bytes()
    assert os.readlink(out / "current") == "runs/2026-W47-00003" and again.summary["run"] == {"id": 3, "week": "2026-W47", "folder": "runs/2026-W47-00003"}
    history = CliRunner().invoke(cli, ["runs", "list", str(folder)]).output.splitlines()
    assert [line.split("\t")[:3] for line in history] == [["#3", "2026-W47", "published"], ["#2", "2026-W47", "published"],
                                                         ["#1", "2026-W46", "published"]]
    shown = CliRunner().invoke(cli, ["runs", "show", str(folder), "1"]).output
    assert '"sha256"' in shown and '"expected_profit_per_week"' in shown and "pos/S1/2026.csv" in shown
    assert (out / "logs" / "2026-W46-00001.log").read_text().splitlines()[-1].endswith(f"published run #1 in {out}")


@pytest.mark.slow
def test_two_runs_started_at_once_one_plans_the_other_exits(tmp_path: Path, db_url: str) -> None:
    folder, out = tiny_chain(tmp_path / "chain", n_stores=6, n_products=1500), tmp_path / "out"  # a run of several seconds
    runs = [planner_run(folder, out, db_url), planner_run(folder, out, db_url)]
    results = [(run.wait(timeout=300), run.stderr.read()) for run in runs]
    assert sorted(code for code, _ in results) == [0, 2], results
    refused = next(text for code, text in results if code == 2)
    assert "another planning run of this chain is in progress (" in refused
    assert "Run again when it has finished, or pass --wait SECONDS." in refused
    db = Database(db_url)
    assert list(list_runs(db)["status"]) == ["published"]
    db.dispose()
    assert pd.read_csv(out / "plan.csv").shape[0] > 0


@pytest.mark.slow
def test_a_second_run_waits_for_the_lock_when_asked(tmp_path: Path, db_url: str) -> None:
    folder, out = chain_copy(tmp_path), tmp_path / "out"
    db = Database(db_url)
    with run_lock(db, 0, lambda: "held by the test"):
        refused = planner_run(folder, out, db_url)
        assert refused.wait(timeout=120) == 2
        waiting = planner_run(folder, out, db_url, "--wait", "60")
        time.sleep(3)
        assert waiting.poll() is None  # still waiting
    assert waiting.wait(timeout=300) == 0
    db.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("stage", [stage for stage in RunStage if stage != RunStage.PUBLISHED])
def test_a_run_killed_at_any_stage_leaves_the_previous_plan_and_the_next_run_succeeds(tmp_path: Path, stage: RunStage) -> None:
    folder, out = chain_copy(tmp_path), tmp_path / "out"
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    assert planner_run(folder, out, url).wait(timeout=300) == 0
    before = published(out)
    db = Database(url)
    runs_before = list_runs(db)
    stores = pd.read_csv(folder / "stores.csv", dtype=str)
    stores["shelf_capacity"] = "3"  # the next plan would differ
    stores.to_csv(folder / "stores.csv", index=False)

    kill_at(stage, folder, out, url)
    assert published(out) == before
    pd.testing.assert_frame_equal(list_runs(db)[lambda f: f["status"] == "published"].reset_index(drop=True), runs_before)

    assert planner_run(folder, out, url).wait(timeout=300) == 0
    statuses = list(list_runs(db)["status"])
    # newest first: the next run, the killed one (no row if it died before it started), the first
    killed = [] if stage == RunStage.READ else ["interrupted"]
    assert statuses == ["published", *killed, "published"]
    assert not [p for p in (out / "runs").iterdir() if p.name.startswith(".")]
    assert pd.read_csv(out / "plan.csv").shape[0] > 0 and published(out) != before
    db.dispose()


def test_a_run_killed_after_publishing_is_closed_as_published_and_before_as_interrupted(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'runs.db'}")
    out = tmp_path / "out"
    plan = pd.DataFrame({"store_id": ["S1"], "sku": ["000101"], "role": ["core"]})
    for run_id, switched in ((1, True), (2, False)):  # both "killed" before finish_run
        assert start_run(db, "2026-W47", tmp_path, out, {}) == run_id
        folder = out / "runs" / f"2026-W47-0000{run_id}"
        folder.mkdir(parents=True)
        record_plan(db, run_id, folder, plan, [], {})
        if switched:
            publish(out, folder)
    close_stale_runs(db, published_folder)
    assert list(list_runs(db)["status"]) == ["interrupted", "published"]
    assert previous_plan(db, "2026-W48")[0] == 1
    db.dispose()


@pytest.mark.slow
def test_a_run_killed_after_publishing_stays_published_when_the_next_run_writes_elsewhere(tmp_path: Path) -> None:
    folder = chain_copy(tmp_path)
    first = run_week(folder, tmp_path / "out a", configured(), today=TODAY, week="2026-W47")
    db = open_database(folder, configured())
    with db.session.begin() as session:  # as if killed between publishing and closing the run
        session.get(Run, first.summary["run"]["id"]).status = "running"
    run_week(folder, tmp_path / "out b", configured(), today=TODAY, week="2026-W48")
    assert list(list_runs(db)["status"]) == ["published", "published"]
    db.dispose()


@pytest.mark.slow
def test_the_next_week_plans_from_a_run_killed_after_it_published(tmp_path: Path) -> None:
    folder, out = chain_copy(tmp_path), tmp_path / "out"
    run_week(folder, out, configured(), today=TODAY, week="2026-W46")
    kill_at(RunStage.PUBLISHED, folder, out, os.environ["PLANNER_DATABASE_URL"], week="2026-W47")  # current switched, row open
    following = run_week(folder, out, configured(), today=TODAY, week="2026-W48")
    week_47 = pd.read_csv(out / "runs" / "2026-W47-00002" / "plan.csv", dtype=str)
    assert set(zip(following.chain.assortment["store_id"], following.chain.assortment["sku"], strict=True)) == set(
        zip(week_47["store_id"], week_47["sku"], strict=True))


@pytest.mark.slow
@pytest.mark.parametrize("spelling", ["2026-48", "2026 W48", "W48", "2026-W8"])
def test_a_week_in_another_spelling_is_refused_not_misread(tmp_path: Path, spelling: str) -> None:
    done = subprocess.run([sys.executable, "-m", "planner", "run", str(chain_copy(tmp_path)), "--out", str(tmp_path / "out"), "--week", spelling],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1 and "expected an ISO week like 2026-W48" in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_pruning_deletes_what_killed_runs_left_once_it_is_a_day_old(tmp_path: Path) -> None:
    folder, out = chain_copy(tmp_path), tmp_path / "out"
    run_week(folder, out, configured(), today=TODAY, week="2026-W47")
    before = published(out)
    day_old = time.time() - 86_400 - 60
    cache = next((folder / ".planner").rglob("*.parquet")).parent
    leftovers = [out / "runs" / "2026-W46-00007", out / "runs" / ".staging-2026-W46-00008", cache / ".abc.parquet.4242.tmp",
                 out / ".current.4242.link", out / "runs" / "2026-W47-00001" / ".plan.csv.x1y2.tmp"]
    for path in leftovers:
        if path.suffix == ".link":
            path.symlink_to("runs/2026-W46-00007")
        elif path.suffix == ".tmp":
            path.write_text("half written")
        else:
            (path / "plan.csv").parent.mkdir(parents=True)
            (path / "plan.csv").write_text("store_id,sku\n")
        os.utime(path, (day_old, day_old), follow_symlinks=False)
    young = out / "runs" / "2026-W46-00009"
    young.mkdir()
    result = CliRunner().invoke(cli, ["runs", "prune", str(folder), "--keep", "1"])
    assert result.exit_code == 0, result.output
    assert f"deleted {len(leftovers)} leftover(s) of interrupted runs, older than a day" in result.output
    assert not any(os.path.lexists(path) for path in leftovers)
    assert young.is_dir() and published(out) == before
    assert [p.name for p in (out / "runs").iterdir() if p.name != young.name] == ["2026-W47-00001"]


@pytest.mark.slow
def test_pruning_deletes_old_run_folders_but_keeps_the_history_and_the_published_plan(tmp_path: Path) -> None:
    folder, out = chain_copy(tmp_path), tmp_path / "out"
    for week in ("2026-W45", "2026-W46", "2026-W47"):
        run_week(folder, out, configured(), today=TODAY, week=week)
    published_before = (out / "plan.csv").read_bytes()
    result = CliRunner().invoke(cli, ["runs", "prune", str(folder), "--keep", "1"])
    assert result.exit_code == 0 and result.output.startswith("deleted 2 run folder(s)")
    assert sorted(p.name for p in (out / "runs").iterdir()) == ["2026-W47-00003"]
    assert (out / "plan.csv").read_bytes() == published_before
    listed = CliRunner().invoke(cli, ["runs", "list", str(folder)]).output.splitlines()
    assert [line.split("\t")[:3] for line in listed] == [["#3", "2026-W47", "published"], ["#2", "2026-W46", "published"],
                                                         ["#1", "2026-W45", "published"]]
    assert listed[1].endswith("\t-")  # no folder any more
    following = run_week(folder, out, configured(), today=TODAY, week="2026-W48")  # last week's plan lines are still there
    assert following.chain.assortment is not None and len(following.chain.assortment) > 0
