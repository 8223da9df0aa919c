"""What every `planner` command shares: the command group, its error handling, the DATA_DIR
argument, the --config option and the run-lock guard of a database reset."""

from __future__ import annotations

import os
import time
from pathlib import Path

import click
import sqlalchemy.exc

from planner.config import PlanConfig, load_config
from planner.db import (
    FULL_OR_READ_ONLY,
    Database,
)
from planner.db.reset import reset_database
from planner.errors import (
    InputError,
    PlannerError,
    Problem,
    StorageError,
    storage_error,
)
from planner.runs.history import (
    iso_week,
    running_run,
    week_monday,
)
from planner.runs.lock import RunLocked, run_lock


class Progress:
    """Stage lines on stderr with the elapsed time; silent with --quiet."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.started = time.perf_counter()

    def __call__(self, text: str) -> None:
        if not self.quiet:
            click.echo(f"[{time.perf_counter() - self.started:6.1f}s] {text}", err=True)


def config_for(data_dir: Path, config_path: Path | None, solver: str | None) -> PlanConfig:
    """--config (default DATA_DIR/planning.toml), with PLANNER_DATABASE_URL and --solver applied."""
    path = config_path or data_dir / "planning.toml"
    if config_path is not None and not config_path.exists():
        raise click.BadParameter(f"{config_path} does not exist", param_hint="--config")
    config = load_config(path)
    config = config.with_environment(os.environ)
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


def reset_under_lock(db: Database, data_dir: Path) -> str:
    """reset_database under the chain's run lock: never while a run writes to the database."""
    try:
        with run_lock(db, 0, lambda: running_run(db)):
            return reset_database(db, data_dir)
    except RunLocked:
        raise RunLocked(f"a planning run of this chain is in progress ({running_run(db)}): reset the database when it has finished") from None


def parse_week(value: str | None) -> str | None:
    """A --week or --as-of value as an ISO week (2026-W48); a BadParameter for any other spelling."""
    if value is None:
        return None
    try:
        return iso_week(week_monday(value.strip().upper()))
    except (ValueError, IndexError):
        raise click.BadParameter(f"expected an ISO week like 2026-W48, found {value!r}", param_hint="--week") from None
