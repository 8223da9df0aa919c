"""The planner command as a user runs it: another folder, a path with spaces, exit codes, help."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import cli
from planner.runs import OUTPUT_FILES
from planner.schemas import PLAN_COLUMNS

DATA = Path(__file__).parent / "data"


def test_run_from_another_folder_through_a_path_with_spaces(tmp_path: Path) -> None:
    folder = tmp_path / "Filialen Daten" / "kette eins"
    shutil.copytree(DATA / "chain", folder)
    elsewhere = tmp_path / "some other dir"
    elsewhere.mkdir()
    out = tmp_path / "Plan Ausgabe"
    done = subprocess.run(
        [sys.executable, "-m", "planner", "run", str(folder), "--out", str(out)],
        cwd=elsewhere, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "solving 2 stores one by one" in done.stderr and "done: optimal plan" in done.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted([*OUTPUT_FILES, ".planner.lock", "current", "logs", "runs"])
    plan = pd.read_csv(out / "plan.csv", dtype={"store_id": str, "sku": str})
    assert list(plan.columns[: len(PLAN_COLUMNS)]) == PLAN_COLUMNS
    assert set(plan["role"]) <= {"core", "addon"}
    summary = json.loads((out / "summary.json").read_text())
    assert {"solver", "status", "objective", "mip_gap", "solve_seconds", "stores"} <= set(summary)
    assert not list(elsewhere.iterdir()), "nothing is written into the working folder"


def test_quiet_prints_nothing_on_success(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["run", str(DATA / "chain"), "--out", str(tmp_path / "o"), "--quiet"])
    assert result.exit_code == 0 and result.output == ""


def test_infeasible_configuration_exits_2_and_names_the_limit(tmp_path: Path) -> None:
    config = tmp_path / "strict.toml"
    config.write_text("[assortment]\ncore_min_items = 2\nmin_items_per_category = 1\n", encoding="utf-8")
    stores = tmp_path / "chain"
    shutil.copytree(DATA / "chain", stores)
    (stores / "stores.csv").write_text(
        "store_id,name,town,shelf_capacity,inventory_budget\nS1,Mitte,Freiburg,1,400\nS2,Nord,Emmendingen,6,500\n", encoding="utf-8"
    )
    result = CliRunner().invoke(cli, ["run", str(stores), "--out", str(tmp_path / "o"), "--config", str(config)])
    assert result.exit_code == 2
    assert "planning failed: the limits cannot all be met" in result.output
    assert "core_min_items at the chain: short by 1.0 items" in result.output
    assert "min_items_per_category at store S1, category" in result.output


def test_validate_reports_what_it_read() -> None:
    result = CliRunner().invoke(cli, ["validate", str(DATA / "chain")])
    assert result.exit_code == 0
    assert "2 stores, 4 products (2 fresh)" in result.output
    assert "2 POS files" in result.output and "inputs are valid" in result.output


def test_missing_data_folder_is_an_input_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "expected a data folder with stores.csv, products.csv and pos/" in result.output


def test_every_command_has_help() -> None:
    for command in ("run", "validate"):
        result = CliRunner().invoke(cli, [command, "--help"])
        assert result.exit_code == 0 and "DATA_DIR" in result.output
    assert cli.commands["run"].help and cli.commands["validate"].help


def test_backtest_prints_the_scores_and_writes_the_csv(tmp_path: Path) -> None:
    sample = Path(__file__).resolve().parent.parent / "sample_stores"
    out = tmp_path / "scores dir" / "backtest.csv"
    result = CliRunner().invoke(cli, ["backtest", str(sample), "--holdout-weeks", "4", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "wape_last4" in result.output and "Fisher & Vaidyanathan" in result.output
    scores = pd.read_csv(out, dtype={"key": str})
    assert list(scores.columns) == ["level", "key", "wape", "bias", "wape_last4", "wape_chain_share"]
    assert set(scores["level"]) == {"overall", "store", "category", "new_listing"}
    stores = scores[scores["level"].isin(["overall", "store"])]
    assert (stores["wape"] < stores["wape_last4"]).all() and (stores["wape"] < stores["wape_chain_share"]).all()
    new = scores[(scores["level"] == "new_listing") & (scores["key"] == "all")].iloc[0]
    assert new["wape"] < new["wape_chain_share"]


def test_users_are_added_listed_and_removed_from_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANNER_DATABASE_URL", f"sqlite:///{tmp_path / 'planner.db'}")
    runner = CliRunner()
    added = runner.invoke(cli, ["users", "add", str(DATA / "chain"), "anna", "--role", "manager", "--store", "S1", "--password-stdin"],
                          input="a long password\n")
    assert added.exit_code == 0 and added.output == "added anna (manager of S1)\n"
    prompted = runner.invoke(cli, ["users", "add", str(DATA / "chain"), "hq", "--role", "head_office"], input="hq password 1\nhq password 1\n")
    assert prompted.exit_code == 0, prompted.output
    assert "hq password 1" not in prompted.output  # the prompt hides what is typed
    listed = runner.invoke(cli, ["users", "list", str(DATA / "chain")])
    assert listed.output == "anna\tmanager of S1\nhq\thead office\n"
    wrong_store = runner.invoke(cli, ["users", "add", str(DATA / "chain"), "bert", "--role", "manager", "--store", "S9", "--password-stdin"],
                                input="a long password\n")
    assert wrong_store.exit_code == 1
    assert "store 'S9': a manager needs one of the chain's stores (S1, S2)" in wrong_store.output
    assert runner.invoke(cli, ["users", "remove", str(DATA / "chain"), "anna"]).output == "removed anna\n"
    missing = runner.invoke(cli, ["users", "remove", str(DATA / "chain"), "anna"])
    assert missing.exit_code == 1 and "there is no user 'anna'" in missing.output


def test_quiet_run_prints_nothing_at_all_in_a_subprocess(tmp_path: Path) -> None:
    """Not even what C libraries print (highspy >= 1.16 prints a banner when HiGHS starts)."""
    done = subprocess.run([sys.executable, "-m", "planner", "run", str(DATA / "chain"), "--out", str(tmp_path / "out"), "--quiet"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


@pytest.mark.parametrize("command", [["run", "{d}", "--out", "{o}"], ["runs", "list", "{d}"], ["runs", "prune", "{d}"], ["users", "list", "{d}"],
                                     ["users", "remove", "{d}", "anna"], ["validate", "{d}"], ["template", "{d}", "--out", "{o}/p.xlsx"],
                                     ["backtest", "{d}"]])
@pytest.mark.parametrize("kind", ["missing", "empty"])
def test_a_wrong_data_folder_is_refused_and_nothing_is_created(tmp_path: Path, command: list[str], kind: str) -> None:
    folder = tmp_path / "not a chain"
    if kind == "empty":
        folder.mkdir()
    args = [part.format(d=folder, o=tmp_path / "out") for part in command]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert result.output.strip().endswith(f"input error: {folder}: expected a data folder with stores.csv, products.csv and pos/")
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
    assert (not folder.exists()) if kind == "missing" else list(folder.iterdir()) == []


def test_an_unforeseen_failure_is_one_line_and_a_log_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    import planner.cli

    def broken(*_args: object, **_kwargs: object) -> None:
        raise ZeroDivisionError("something nobody foresaw")

    monkeypatch.setattr(planner.cli, "run_week", broken)
    monkeypatch.setattr(sys, "argv", ["planner", "run", str(DATA / "chain"), "--out", str(tmp_path / "out")])
    with pytest.raises(SystemExit) as stopped:
        planner.cli.main()
    assert stopped.value.code == 2
    message = capsys.readouterr().err.strip().splitlines()[-1]
    assert message.startswith("internal error: ZeroDivisionError: something nobody foresaw; please report it with ")
    log = Path(message.rsplit(" ", 1)[-1])
    assert "Traceback" in log.read_text(encoding="utf-8") and "something nobody foresaw" in log.read_text(encoding="utf-8")
    log.unlink()
