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
from planner.outputs.runfolder import OUTPUT_FILES
from planner.schemas import PLAN_COLUMNS

DATA = Path(__file__).parent / "data"


@pytest.mark.slow
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
    assert "solving 2 stores separately" in done.stderr and "done: optimal plan" in done.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted([*OUTPUT_FILES, ".planner.lock", "current", "logs", "runs"])
    plan = pd.read_csv(out / "plan.csv", dtype={"store_id": str, "sku": str})
    assert list(plan.columns[: len(PLAN_COLUMNS)]) == PLAN_COLUMNS
    assert set(plan["role"]) <= {"core", "addon"}
    summary = json.loads((out / "summary.json").read_text())
    assert {"solver", "status", "objective", "mip_gap", "solve_seconds", "stores"} <= set(summary)
    assert not list(elsewhere.iterdir()), "nothing is written into the working folder"


@pytest.mark.slow
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


@pytest.mark.slow
def test_backtest_prints_the_scores_and_writes_the_csv(tmp_path: Path) -> None:
    sample = Path(__file__).resolve().parent.parent / "sample_stores"
    out = tmp_path / "scores dir" / "backtest.csv"
    result = CliRunner().invoke(cli, ["backtest", str(sample), "--holdout-weeks", "4", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "wape_last4" in result.output and "Fisher & Vaidyanathan" in result.output
    scores = pd.read_csv(out, dtype={"key": str})
    assert list(scores.columns) == ["level", "key", "wape", "bias", "wape_last4", "wape_chain_share", "wape_similar_stores"]
    assert set(scores["level"]) == {"overall", "store", "category", "new_listing"}
    stores = scores[scores["level"].isin(["overall", "store"])]
    assert (stores["wape"] < stores["wape_last4"]).all() and (stores["wape"] < stores["wape_chain_share"]).all()
    new = scores[(scores["level"] == "new_listing") & (scores["key"] == "all")].iloc[0]
    assert new["wape"] < new["wape_chain_share"]


@pytest.mark.slow
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


@pytest.mark.slow
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
    import planner.cli.planning

    def broken(*_args: object, **_kwargs: object) -> None:
        raise ZeroDivisionError("something nobody foresaw")

    monkeypatch.setattr(planner.cli.planning, "run_week", broken)
    monkeypatch.setattr(sys, "argv", ["planner", "run", str(DATA / "chain"), "--out", str(tmp_path / "out")])
    with pytest.raises(SystemExit) as stopped:
        planner.cli.main()
    assert stopped.value.code == 2
    message = capsys.readouterr().err.strip().splitlines()[-1]
    assert message.startswith("internal error: ZeroDivisionError: something nobody foresaw; please report it with ")
    log = Path(message.rsplit(" ", 1)[-1])
    assert "Traceback" in log.read_text(encoding="utf-8") and "something nobody foresaw" in log.read_text(encoding="utf-8")
    log.unlink()


def planned_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A chain planned once with its own planner.db, and a copy of the whole folder, planner.db included."""
    monkeypatch.delenv("PLANNER_DATABASE_URL")  # the default: planner.db in the data folder
    original, copy = tmp_path / "original", tmp_path / "copy of it"
    shutil.copytree(DATA / "chain", original)
    runner = CliRunner()
    assert runner.invoke(cli, ["run", str(original), "--out", str(tmp_path / "out"), "--quiet"]).exit_code == 0
    assert runner.invoke(cli, ["users", "add", str(original), "hq", "--role", "head_office", "--password-stdin"],
                         input="hq password 1\n").exit_code == 0
    shutil.copytree(original, copy)
    return original, copy


def history(folder: Path) -> list[str]:
    listed = CliRunner().invoke(cli, ["runs", "list", str(folder)])
    assert listed.exit_code == 0, listed.output
    return [] if listed.output == "no runs yet\n" else [line.split("\t")[0] for line in listed.output.splitlines()]


@pytest.mark.slow
def test_a_copied_data_folder_refuses_the_database_it_brought_along(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original, copy = planned_copy(tmp_path, monkeypatch)
    refusal = (f"planning failed: the database sqlite:///{copy}/planner.db was made for the data folder {original}, not {copy} "
               f"(a copied or moved folder brings its database along): start a new one for this folder with "
               f"`planner db reset '{copy}'` (the old file is kept) or `planner run '{copy}' --new-db`")
    for command in (["run", str(copy), "--out", str(tmp_path / "copy out")], ["runs", "list", str(copy)], ["runs", "show", str(copy), "1"],
                    ["runs", "prune", str(copy), "--keep", "1"], ["users", "list", str(copy)], ["users", "unlock", str(copy), "hq"]):
        result = CliRunner().invoke(cli, command)
        assert (result.exit_code, result.output.strip()) == (2, refusal), command
    assert not (tmp_path / "copy out").exists()

    declined = CliRunner().invoke(cli, ["db", "reset", str(copy)], input="n\n")
    assert declined.exit_code == 1 and declined.output.startswith(
        f"sqlite:///{copy}/planner.db was made for {original} and holds 1 account, 0 store requests and 1 run. "
        f"Move it aside (kept next to it under a dated name) and start a new, empty one for {copy}? [y/N]")
    assert sorted(p.name for p in copy.glob("planner*.db")) == ["planner.db"]  # nothing moved

    reset = CliRunner().invoke(cli, ["db", "reset", str(copy), "--yes"])
    assert reset.exit_code == 0, reset.output
    backup = next(copy.glob("planner-*.db"))
    assert reset.output == f"moved the old database to {backup}; a new, empty one at {copy}/planner.db now belongs to {copy}\n"
    assert history(copy) == [] and CliRunner().invoke(cli, ["users", "list", str(copy)]).output == ""
    assert history(original) == ["#1"]  # the original is untouched
    assert CliRunner().invoke(cli, ["users", "list", str(original)]).output == "hq\thead office\n"
    assert CliRunner().invoke(cli, ["run", str(copy), "--out", str(tmp_path / "copy out"), "--quiet"]).exit_code == 0
    assert history(copy) == ["#1"]


@pytest.mark.slow
def test_new_db_starts_a_copied_folder_with_its_own_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original, copy = planned_copy(tmp_path, monkeypatch)
    first = CliRunner().invoke(cli, ["run", str(copy), "--out", str(tmp_path / "copy out"), "--new-db"])
    assert first.exit_code == 0, first.output
    backup = next(copy.glob("planner-*.db"))
    assert first.output.splitlines()[0].endswith(f"s] moved the old database to {backup}; a new, empty one at {copy}/planner.db now belongs to {copy}")
    assert history(copy) == ["#1"] and history(original) == ["#1"]
    assert CliRunner().invoke(cli, ["users", "list", str(copy)]).output == ""  # the original's accounts stay there
    again = CliRunner().invoke(cli, ["run", str(copy), "--out", str(tmp_path / "copy out"), "--new-db"])  # its own now: kept
    assert again.exit_code == 0 and f"--new-db: the database belongs to {copy} already; kept it" in again.output
    assert history(copy) == ["#2", "#1"] and len(list(copy.glob("planner-*.db"))) == 1


def test_reset_of_a_folder_without_a_database_makes_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLANNER_DATABASE_URL")
    folder = tmp_path / "chain"
    shutil.copytree(DATA / "chain", folder)
    result = CliRunner().invoke(cli, ["db", "reset", str(folder)])
    assert result.output == f"there was no database yet: made a new one at {folder}/planner.db for {folder}\n"
    assert history(folder) == []


@pytest.mark.slow
def test_a_locked_out_account_is_unlocked_from_the_command_line(tmp_path: Path) -> None:
    from planner.db import Database
    from planner.db.accounts import MAX_FAILURES, AccountError, SignInThrottled, sign_in

    runner, chain = CliRunner(), str(DATA / "chain")
    assert runner.invoke(cli, ["users", "add", chain, "anna", "--role", "manager", "--store", "S1", "--password-stdin"],
                         input="correct horse\n").exit_code == 0
    db = Database(f"sqlite:///{tmp_path / 'planner.db'}")
    for attempt in range(MAX_FAILURES):
        with pytest.raises(AccountError):
            sign_in(db, "anna", f"guess {attempt}")
    with pytest.raises(SignInThrottled):
        sign_in(db, "anna", "correct horse")
    unlocked = runner.invoke(cli, ["users", "unlock", chain, "anna"])
    assert (unlocked.exit_code, unlocked.output) == (0, f"unlocked anna ({MAX_FAILURES} failed sign-ins cleared)\n")
    assert sign_in(db, "anna", "correct horse").username == "anna"
    assert runner.invoke(cli, ["users", "unlock", chain, "anna"]).output == "anna had no failed sign-ins: nothing to unlock\n"
    unknown = runner.invoke(cli, ["users", "unlock", chain, "nobody"])
    assert (unknown.exit_code, unknown.output) == (1, "input error: there is no user 'nobody'\n")
    db.dispose()


@pytest.mark.slow
def test_a_new_password_is_set_from_the_command_line(tmp_path: Path) -> None:
    from planner.db import Database
    from planner.db.accounts import AccountError, sign_in

    runner, chain = CliRunner(), str(DATA / "chain")
    assert runner.invoke(cli, ["users", "add", chain, "anna", "--role", "manager", "--store", "S1", "--password-stdin"],
                         input="correct horse\n").exit_code == 0
    changed = runner.invoke(cli, ["users", "set-password", chain, "anna"], input="a new horse\na new horse\n")
    assert changed.exit_code == 0, changed.output
    assert "a new horse" not in changed.output  # the prompt hides what is typed
    assert changed.output.endswith("changed the password of anna and cleared its failed sign-ins; its open sessions end at their next page load\n")
    db = Database(f"sqlite:///{tmp_path / 'planner.db'}")
    assert sign_in(db, "anna", "a new horse").username == "anna"
    with pytest.raises(AccountError, match="wrong username or password"):
        sign_in(db, "anna", "correct horse")
    piped = runner.invoke(cli, ["users", "set-password", chain, "anna", "--password-stdin"], input="third horse\n")
    assert piped.exit_code == 0 and sign_in(db, "anna", "third horse").username == "anna"
    short = runner.invoke(cli, ["users", "set-password", chain, "anna", "--password-stdin"], input="short\n")
    assert (short.exit_code, short.output) == (1, "input error: the password needs at least 8 characters\n")
    unknown = runner.invoke(cli, ["users", "set-password", chain, "nobody"])  # refused before any password is asked
    assert (unknown.exit_code, unknown.output) == (1, "input error: there is no user 'nobody'\n")
    db.dispose()


def test_the_new_commands_have_help() -> None:
    for command in (["db", "reset"], ["users", "unlock"], ["users", "set-password"]):
        result = CliRunner().invoke(cli, [*command, "--help"])
        assert result.exit_code == 0 and "DATA_DIR" in result.output, command
    assert "--new-db" in CliRunner().invoke(cli, ["run", "--help"]).output


def test_reset_waits_for_no_run(tmp_path: Path) -> None:
    """Never while a run writes to the database: the run lock is held by a run in progress."""
    from planner.db import Database
    from planner.runs.lock import run_lock

    db = Database(f"sqlite:///{tmp_path / 'planner.db'}")
    with run_lock(db, 0, lambda: "held by the test"):
        result = CliRunner().invoke(cli, ["db", "reset", str(DATA / "chain"), "--yes"])
    assert (result.exit_code, result.output) == (2, ("planning failed: a planning run of this chain is in progress (started moments ago): "
                                                     "reset the database when it has finished\n"))
    assert [p.name for p in tmp_path.glob("planner*.db")] == ["planner.db"]
    db.dispose()
