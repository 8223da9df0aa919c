"""The planning commands: run, template, validate and backtest."""

from __future__ import annotations

import shlex
from pathlib import Path

import click
import pandas as pd

from planner.cli.common import Progress, config_for, config_option, data_dir_argument, parse_week, reset_under_lock
from planner.config import PlanConfig
from planner.db import (
    ForeignDatabase,
    claim_data_folder,
    connect,
    database_url,
    made_for,
    shown_url,
    sqlite_file,
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
    week_monday,
)


@click.command()
@data_dir_argument
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("out"), show_default=True,
              help="Folder for plan.csv, changes.csv, local_index.csv, summary.json and plan.xlsx.")
@config_option
@click.option("--solver", type=click.Choice(["highs", "cbc"]), help="Override [solver] name from the config.")
@click.option("--cluster", metavar="ADDRESS", help="Solve the stores on the Dask scheduler at ADDRESS (tcp://host:8786); overrides [solver] cluster.")
@click.option("--planning", "planning_path", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Planning workbook (planner template): store limits, rules, approved requests and settings for this run.")
@click.option("--week", callback=lambda _ctx, _param, value: parse_week(value), help="ISO week to plan, e.g. 2026-W48 (default: this week), from the POS weeks before it.")
@click.option("--wait", "wait_seconds", type=click.FloatRange(min=0), default=0, show_default=True,
              help="Seconds to wait for another run of the same chain to finish before giving up.")
@click.option("--quiet", is_flag=True, help="No progress lines (for schedulers); errors are still printed.")
@click.option("--new-db", is_flag=True,
              help="If the SQLite database was made for another data folder (a copied or moved folder), move it aside and start a new one.")
def run(data_dir: Path, out_dir: Path, config_path: Path | None, solver: str | None, cluster: str | None, planning_path: Path | None,
        week: str | None, wait_seconds: float, quiet: bool, new_db: bool) -> None:
    """Plan the chain in DATA_DIR and write the plan to OUT."""
    progress = Progress(quiet)
    config = config_for(data_dir, config_path, solver)
    if cluster is not None:
        config = config.with_cluster(cluster)
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


@click.command()
@data_dir_argument
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), default=Path("planning.xlsx"),
              show_default=True, help="The planning workbook to write.")
@config_option
def template(data_dir: Path, out_file: Path, config_path: Path | None) -> None:
    """Write an editable planning workbook for DATA_DIR (then: planner run DATA_DIR --planning FILE)."""
    stores, products = read_stores(data_dir), read_products(data_dir)
    overrides = read_overrides(data_dir, stores, products)
    write_planning_template(out_file, stores, products, overrides, config_for(data_dir, config_path, None))
    click.echo(str(out_file))


@click.command()
@data_dir_argument
@config_option
def validate(data_dir: Path, config_path: Path | None) -> None:
    """Check the inputs in DATA_DIR without planning."""
    config = config_for(data_dir, config_path, None)
    chain = load_chain(data_dir, config)
    report = chain.pos_report
    first = min(i.first_date for i in report.files if i.first_date)
    last = max(i.last_date for i in report.files if i.last_date)
    click.echo(f"{len(chain.stores)} stores, {len(chain.products)} products ({int(chain.products['fresh'].sum())} fresh)")
    click.echo(f"{len(report.files)} POS files, {report.counts.lines} lines from {first} to {last}")
    for warning in chain.warnings:
        click.echo(f"warning: {warning}")
    click.echo("inputs are valid")


@click.command()
@data_dir_argument
@click.option("--decisions", is_flag=True,
              help="Score the plan's decisions: plan as of a cut from the POS data before it, score it on the real sales after it.")
@click.option("--as-of", "as_of", callback=lambda _ctx, _param, value: parse_week(value),
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
    config = config_for(data_dir, config_path, None)
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
        f"(similar stores alone {100 * result.new_listing_mape_similar_stores:.1f} %, "
        f"chain-share baseline {100 * result.new_listing_mape_chain_share:.1f} %; "
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
        say(reset_under_lock(db, data_dir))
    finally:
        db.dispose()
