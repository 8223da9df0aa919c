"""The `planner` command: a thin layer that parses options, calls the library and maps errors to exit codes.

Exit codes: 0 ok; 1 bad input, configuration or command line; 2 infeasible limits, solver failure,
another run of the same chain in progress, a file that could not be written, or an internal error.
Progress goes to stderr; results go to files.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import tempfile
import time
import traceback
from pathlib import Path

import click
import pandas as pd
import sqlalchemy.exc

from planner.config import PlanConfig, load_config
from planner.db import (
    FULL_OR_READ_ONLY,
    URL_VARIABLE,
    Database,
    ForeignDatabase,
    claim_data_folder,
    connect,
    database_url,
    made_for,
    open_database,
    shown_url,
    sqlite_file,
)
from planner.db.accounts import (
    ROLES,
    AccountError,
    Principal,
    add_user,
    list_users,
    principal,
    remove_user,
    set_password,
    unlock_user,
)
from planner.db.reset import contents, reset_database
from planner.errors import (
    InputError,
    PlannerError,
    Problem,
    StorageError,
    storage_error,
)
from planner.evaluate.decisions import decision_backtest
from planner.inputs import load_chain
from planner.inputs.masters import read_products, read_stores
from planner.inputs.overrides import read_overrides
from planner.outputs.backtest import decision_report
from planner.outputs.files import write_csv
from planner.outputs.template import write_planning_template
from planner.profiles.backtest import RESULT_COLUMNS
from planner.profiles.backtest import backtest as run_backtest
from planner.runs import run_week
from planner.runs.history import (
    iso_week,
    list_runs,
    run_details,
    running_run,
    week_monday,
)
from planner.runs.lock import RunLocked, run_lock
from planner.runs.weekly import prune_runs


class Progress:
    """Stage lines on stderr with the elapsed time; silent with --quiet."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.started = time.perf_counter()

    def __call__(self, text: str) -> None:
        if not self.quiet:
            click.echo(f"[{time.perf_counter() - self.started:6.1f}s] {text}", err=True)


def _config(data_dir: Path, config_path: Path | None, solver: str | None) -> PlanConfig:
    path = config_path or data_dir / "planning.toml"
    if config_path is not None and not config_path.exists():
        raise click.BadParameter(f"{config_path} does not exist", param_hint="--config")
    config = load_config(path)
    if os.environ.get(URL_VARIABLE):  # wins over planning.toml, so a password need not sit in the data folder
        config = config.with_database_url(os.environ[URL_VARIABLE], URL_VARIABLE)
    return config.with_solver(solver) if solver else config


class PlannerGroup(click.Group):
    """Turns the library's PlannerError into a one-line message and the documented exit code."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            try:
                return super().invoke(ctx)
            except OSError as exc:  # a full disk or a read-only folder outside a run's own handling
                raise storage_error(exc, "a file") or exc from exc
            except sqlalchemy.exc.OperationalError as exc:
                if any(text in str(exc) for text in FULL_OR_READ_ONLY):
                    raise StorageError(f"cannot write the planner's database ({exc.orig}): is its disk full or read-only?"
                                       " The published plan is unchanged") from exc
                raise
        except PlannerError as exc:
            kind = {1: "input error", 2: "planning failed"}[exc.exit_code]
            click.echo(f"{kind}: {exc}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=PlannerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="planner")
def cli() -> None:
    """Plan each store's assortment: a shared fresh core plus local add-ons, from POS scanner data."""


DATA_FILES = ("stores.csv", "products.csv")


def _data_folder(_ctx: click.Context, _param: click.Parameter, folder: Path) -> Path:
    """DATA_DIR must be a chain's data folder before anything is read or created in it (no planner.db
    in a wrong folder, no database traceback)."""
    if not folder.is_dir() or not all((folder / name).is_file() for name in DATA_FILES):
        raise InputError(Problem(str(folder), expected="a data folder with stores.csv, products.csv and pos/"))
    return folder


data_dir_argument = click.argument("data_dir", type=click.Path(file_okay=False, path_type=Path), callback=_data_folder)
config_option = click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                             help="Planning config (TOML). Default: DATA_DIR/planning.toml if it exists.")


@cli.command()
@data_dir_argument
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("out"), show_default=True,
              help="Folder for plan.csv, changes.csv, local_index.csv, summary.json and plan.xlsx.")
@config_option
@click.option("--solver", type=click.Choice(["highs", "cbc"]), help="Override [solver] name from the config.")
@click.option("--planning", "planning_path", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Planning workbook (planner template): store limits, rules, approved requests and settings for this run.")
@click.option("--week", callback=lambda _ctx, _param, value: _week(value), help="ISO week to plan, e.g. 2026-W48 (default: this week), from the POS weeks before it.")
@click.option("--wait", "wait_seconds", type=click.FloatRange(min=0), default=0, show_default=True,
              help="Seconds to wait for another run of the same chain to finish before giving up.")
@click.option("--quiet", is_flag=True, help="No progress lines (for schedulers); errors are still printed.")
@click.option("--new-db", is_flag=True,
              help="If the SQLite database was made for another data folder (a copied or moved folder), move it aside and start a new one.")
def run(data_dir: Path, out_dir: Path, config_path: Path | None, solver: str | None, planning_path: Path | None, week: str | None,
        wait_seconds: float, quiet: bool, new_db: bool) -> None:
    """Plan the chain in DATA_DIR and write the plan to OUT."""
    progress = Progress(quiet)
    config = _config(data_dir, config_path, solver)
    if new_db:
        _new_database(data_dir, config, progress)
    outcome = run_week(data_dir, out_dir, config, planning=planning_path, week=week, wait_seconds=wait_seconds, progress=progress)
    summary = outcome.summary
    quality = summary["quality"]
    gap = 100 * (summary["mip_gap"] or 0.0)
    progress(
        f"done: {summary['status']} plan, EUR {quality['expected_profit_per_week']:,.2f} expected profit per week, "
        f"{summary['core_items']} core items, gap {gap:.3f} %; against one chain-wide ranking "
        f"EUR {quality['uplift_per_week']['uniform']:+,.2f}/week, against today's EUR {quality['uplift_per_week']['current']:+,.2f}/week"
    )
    for note in summary["notes"]:
        progress(f"note: {note}")
    if not quiet:
        click.echo(str(out_dir / "plan.xlsx"))


@cli.command()
@data_dir_argument
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), default=Path("planning.xlsx"),
              show_default=True, help="The planning workbook to write.")
@config_option
def template(data_dir: Path, out_file: Path, config_path: Path | None) -> None:
    """Write an editable planning workbook for DATA_DIR (then: planner run DATA_DIR --planning FILE)."""
    stores, products = read_stores(data_dir), read_products(data_dir)
    overrides = read_overrides(data_dir, stores, products)
    write_planning_template(out_file, stores, products, overrides, _config(data_dir, config_path, None))
    click.echo(str(out_file))


@cli.command()
@data_dir_argument
@config_option
def validate(data_dir: Path, config_path: Path | None) -> None:
    """Check the inputs in DATA_DIR without planning."""
    config = _config(data_dir, config_path, None)
    chain = load_chain(data_dir, config)
    report = chain.pos_report
    first = min(i.first_date for i in report.files if i.first_date)
    last = max(i.last_date for i in report.files if i.last_date)
    click.echo(f"{len(chain.stores)} stores, {len(chain.products)} products ({int(chain.products['fresh'].sum())} fresh)")
    click.echo(f"{len(report.files)} POS files, {report.counts.lines} lines from {first} to {last}")
    for warning in chain.warnings:
        click.echo(f"warning: {warning}")
    click.echo("inputs are valid")


@cli.command()
@data_dir_argument
@click.option("--decisions", is_flag=True,
              help="Score the plan's decisions: plan as of a cut from the POS data before it, score it on the real sales after it.")
@click.option("--as-of", "as_of", callback=lambda _ctx, _param, value: _week(value),
              help="With --decisions: the ISO week of the cut, e.g. 2026-W36 (scored: that week to the end of the data).")
@click.option("--cut-weeks", type=click.IntRange(min=1), default=13, show_default=True,
              help="With --decisions and no --as-of: the cut is this many weeks before the end of the data.")
@click.option("--holdout-weeks", type=click.IntRange(min=1), default=8, show_default=True,
              help="Without --decisions: the last N weeks of POS data are predicted from the weeks before them.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the scores as CSV: per store and for the chain (with --decisions), else level, key, wape, bias, ...")
@config_option
@click.option("--quiet", is_flag=True, help="No progress lines.")
def backtest(data_dir: Path, decisions: bool, as_of: str | None, cut_weeks: int, holdout_weeks: int, out_file: Path | None,
             config_path: Path | None, quiet: bool) -> None:
    """Score the demand profiles on held-out weeks against two naive baselines, or (--decisions) the plan itself."""
    progress = Progress(quiet)
    config = _config(data_dir, config_path, None)
    given = {name for name in ("as_of", "cut_weeks", "holdout_weeks")
             if click.get_current_context().get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE}
    if not decisions and given & {"as_of", "cut_weeks"}:
        raise click.UsageError("--as-of and --cut-weeks need --decisions (the forecast backtest takes --holdout-weeks)")
    if decisions and "holdout_weeks" in given:
        raise click.UsageError("--holdout-weeks is for the forecast backtest; with --decisions the cut is --as-of or --cut-weeks")
    chain = load_chain(data_dir, config, progress=progress)
    if decisions:
        cut = pd.Timestamp(week_monday(as_of)) if as_of else None
        scored = decision_backtest(chain, config, as_of=cut, cut_weeks=cut_weeks, progress=progress)
        click.echo(decision_report(scored))
        if out_file is not None:
            write_csv(scored.table, out_file)
            progress(f"wrote {out_file}")
        return
    result = run_backtest(chain, config, holdout_weeks, progress=progress)
    weeks = result.holdout_weeks
    click.echo(
        f"Hold-out: {len(weeks)} weeks, {weeks[0].date()} to {(weeks[-1] + pd.Timedelta(days=6)).date()}; "
        f"{result.pairs_scored} listed store-product pairs scored, {result.new_listing_pairs} hidden as new listings."
    )
    shown = result.table.assign(
        **{c: result.table[c].map(lambda v: "" if pd.isna(v) else f"{100 * v:.1f} %") for c in RESULT_COLUMNS[2:]}
    )
    click.echo(shown.to_string(index=False))
    click.echo(
        f"New-listing estimate, MAPE over hidden pairs selling >= 1 unit a week: {100 * result.new_listing_mape:.1f} % "
        f"(chain-share baseline {100 * result.new_listing_mape_chain_share:.1f} %; "
        "Fisher & Vaidyanathan 2014 report 16-29 % for new-product share forecasts)."
    )
    if out_file is not None:
        write_csv(result.table, out_file)
        progress(f"wrote {out_file}")


def _new_database(data_dir: Path, config: PlanConfig, say: Progress) -> None:
    """--new-db: a database made for another folder is moved aside (SQLite only); this folder's own is kept."""
    db = connect(database_url(data_dir, config))
    try:
        folder, owner = str(data_dir.resolve()), made_for(db)
        if owner in (None, folder):  # this folder's (or nobody's yet): never thrown away
            claim_data_folder(db, data_dir)
            say(f"--new-db: the database belongs to {folder} already; kept it")
            return
        if sqlite_file(db.url) is None:
            raise ForeignDatabase(f"--new-db moves only an SQLite file aside, and {shown_url(db.url)} was made for the data folder {owner}: "
                                  f"empty it for this folder with `planner db reset {shlex.quote(folder)}` (it asks first)")
        say(_reset(db, data_dir))
    finally:
        db.dispose()


def _reset(db: Database, data_dir: Path) -> str:
    """reset_database under the chain's run lock: never while a run writes to the database."""
    try:
        with run_lock(db, 0, lambda: running_run(db)):
            return reset_database(db, data_dir)
    except RunLocked:
        raise RunLocked(f"a planning run of this chain is in progress ({running_run(db)}): reset the database when it has finished") from None


def _week(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return iso_week(week_monday(value.strip().upper()))
    except (ValueError, IndexError):
        raise click.BadParameter(f"expected an ISO week like 2026-W48, found {value!r}", param_hint="--week") from None


@cli.group(cls=PlannerGroup)
def runs() -> None:
    """The run history: every planning run with its week, inputs, status and figures."""


@runs.command("list")
@data_dir_argument
@config_option
def runs_list(data_dir: Path, config_path: Path | None) -> None:
    """Every run, newest first."""
    db = open_database(data_dir, _config(data_dir, config_path, None))
    table = list_runs(db)
    if table.empty:
        click.echo("no runs yet")
        return
    for row in table.itertuples(index=False):
        finished = f"{row.finished_at:%Y-%m-%d %H:%M}" if pd.notna(row.finished_at) else "-"
        click.echo(f"#{row.id}\t{row.week}\t{row.status}\t{row.started_at:%Y-%m-%d %H:%M}\t{finished}\t{row.run_dir if isinstance(row.run_dir, str) else '-'}")


@runs.command("show")
@data_dir_argument
@click.argument("run_id", type=int)
@config_option
def runs_show(data_dir: Path, run_id: int, config_path: Path | None) -> None:
    """One run: week, status, times, folder, figures, input files with their hashes, config."""
    details = run_details(open_database(data_dir, _config(data_dir, config_path, None)), run_id)
    if details is None:
        raise PlannerError(f"there is no run #{run_id}")
    click.echo(json.dumps(details, indent=2, default=str, ensure_ascii=False))


@runs.command("prune")
@data_dir_argument
@click.option("--keep", type=click.IntRange(min=1), required=True, help="Keep the folders of this many newest published runs.")
@config_option
def runs_prune(data_dir: Path, keep: int, config_path: Path | None) -> None:
    """Delete old run folders (outputs and what-if data); the runs stay in the history, the published plan stays."""
    pruned = prune_runs(data_dir, _config(data_dir, config_path, None), keep)
    click.echo(f"deleted {len(pruned.run_folders)} run folder(s)" + "".join(f"\n  {folder}" for folder in pruned.run_folders))
    if pruned.leftovers:
        click.echo(f"deleted {len(pruned.leftovers)} leftover(s) of interrupted runs, older than a day"
                   + "".join(f"\n  {path}" for path in pruned.leftovers))


@cli.group("db", cls=PlannerGroup)
def database() -> None:
    """The planner's database (accounts, store requests, run history) and the data folder it belongs to."""


@database.command("reset")
@data_dir_argument
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@config_option
def database_reset(data_dir: Path, yes: bool, config_path: Path | None) -> None:
    """Start the database afresh for DATA_DIR: an SQLite file is moved aside to a dated name (kept), a PostgreSQL database emptied."""
    config = _config(data_dir, config_path, None)
    url = database_url(data_dir, config)
    folder, path = str(data_dir.resolve()), sqlite_file(url)
    if path is not None and not path.exists():
        open_database(data_dir, config).dispose()
        click.echo(f"there was no database yet: made a new one at {path} for {folder}")
        return
    db = connect(url)
    try:
        owner = made_for(db)
        if not yes:
            held = f"{shown_url(url)} {'was made for ' + owner if owner else 'belongs to no data folder yet'} and holds {contents(db)}."
            question = (f"{held} Move it aside (kept next to it under a dated name) and start a new, empty one for {folder}?" if path
                        else f"{held} Delete all of it and start afresh for {folder}?")
            click.confirm(question, abort=True)
        click.echo(_reset(db, data_dir))
    finally:
        db.dispose()


@cli.group(cls=PlannerGroup)
def users() -> None:
    """Accounts of the app: store managers (one store each) and head office (every store)."""


def _chain_database(data_dir: Path, config_path: Path | None) -> tuple[Database, list[str]]:
    return open_database(data_dir, _config(data_dir, config_path, None)), list(read_stores(data_dir)["store_id"])


@users.command("add")
@data_dir_argument
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help="manager: one store; head_office: every store.")
@click.option("--store", "store_id", help="The manager's store_id (from stores.csv).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin instead of asking.")
@config_option
def users_add(data_dir: Path, username: str, role: str, store_id: str | None, password_stdin: bool, config_path: Path | None) -> None:
    """Add an account; the password is asked twice (never an argument, so it stays out of the shell history)."""
    db, stores = _chain_database(data_dir, config_path)
    who = add_user(db, username, _password(password_stdin), role, store_id, stores)
    click.echo(f"added {who.username} ({_describe(who)})")


def _password(from_stdin: bool) -> str:
    """The first line of stdin, or asked twice with the typing hidden."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users.command("list")
@data_dir_argument
@config_option
def users_list(data_dir: Path, config_path: Path | None) -> None:
    """List the accounts."""
    db, _stores = _chain_database(data_dir, config_path)
    for who in list_users(db):
        click.echo(f"{who.username}\t{_describe(who)}")


@users.command("remove")
@data_dir_argument
@click.argument("username")
@config_option
def users_remove(data_dir: Path, username: str, config_path: Path | None) -> None:
    """Remove an account; a session of it that is still open ends at its next page load."""
    db, _stores = _chain_database(data_dir, config_path)
    if not remove_user(db, username):
        raise PlannerError(f"there is no user {username!r}")
    click.echo(f"removed {username}")


@users.command("unlock")
@data_dir_argument
@click.argument("username")
@config_option
def users_unlock(data_dir: Path, username: str, config_path: Path | None) -> None:
    """Clear an account's failed sign-ins: a user locked out after too many wrong passwords can sign in at once."""
    db, _stores = _chain_database(data_dir, config_path)
    cleared = unlock_user(db, username)
    click.echo(f"unlocked {username} ({cleared} failed sign-ins cleared)" if cleared else f"{username} had no failed sign-ins: nothing to unlock")


@users.command("set-password")
@data_dir_argument
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin instead of asking.")
@config_option
def users_set_password(data_dir: Path, username: str, password_stdin: bool, config_path: Path | None) -> None:
    """Give an account a new password (asked twice) and unlock it; its open sessions end at their next page load."""
    db, _stores = _chain_database(data_dir, config_path)
    if principal(db, username) is None:  # before asking for a password
        raise AccountError(f"there is no user {username!r}")
    who = set_password(db, username, _password(password_stdin))
    click.echo(f"changed the password of {who.username} and cleared its failed sign-ins; its open sessions end at their next page load")


def _describe(who: Principal) -> str:
    return "head office" if who.is_head_office else f"manager of {who.store_id}"


def main() -> None:
    """Entry point of the `planner` console script. A wrong option or argument is bad input: exit 1.
    Anything unforeseen is an internal error: one line and the path of a log file with the traceback, exit 2."""
    try:
        code = cli.main(standalone_mode=False)
    except click.UsageError as exc:
        exc.show()
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("Aborted!", err=True)
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback on the terminal
        log = Path(tempfile.gettempdir()) / f"planner-error-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
        log.write_text(traceback.format_exc(), encoding="utf-8")
        click.echo(f"internal error: {type(exc).__name__}: {str(exc)[:200]}; please report it with {log}", err=True)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)
