"""The administration commands: the run history (runs), the database (db) and the app's accounts (users)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import pandas as pd

from planner.cli.common import PlannerGroup, config_for, config_option, data_dir_argument, reset_under_lock
from planner.db import (
    Database,
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
from planner.db.reset import contents
from planner.errors import (
    PlannerError,
)
from planner.inputs.masters import read_stores
from planner.runs.history import (
    list_runs,
    run_details,
)
from planner.runs.weekly import prune_runs
from planner.schemas import STORE_ID


@click.group(cls=PlannerGroup)
def runs() -> None:
    """The run history: every planning run with its week, inputs, status and figures."""


@runs.command("list")
@data_dir_argument
@config_option
def runs_list(data_dir: Path, config_path: Path | None) -> None:
    """Every run, newest first."""
    db = open_database(data_dir, config_for(data_dir, config_path, None))
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
    details = run_details(open_database(data_dir, config_for(data_dir, config_path, None)), run_id)
    if details is None:
        raise PlannerError(f"there is no run #{run_id}")
    click.echo(json.dumps(details, indent=2, default=str, ensure_ascii=False))


@runs.command("prune")
@data_dir_argument
@click.option("--keep", type=click.IntRange(min=1), required=True, help="Keep the folders of this many newest published runs.")
@config_option
def runs_prune(data_dir: Path, keep: int, config_path: Path | None) -> None:
    """Delete old run folders (outputs and what-if data); the runs stay in the history, the published plan stays."""
    pruned = prune_runs(data_dir, config_for(data_dir, config_path, None), keep)
    click.echo(f"deleted {len(pruned.run_folders)} run folder(s)" + "".join(f"\n  {folder}" for folder in pruned.run_folders))
    if pruned.leftovers:
        click.echo(f"deleted {len(pruned.leftovers)} leftover(s) of interrupted runs, older than a day"
                   + "".join(f"\n  {path}" for path in pruned.leftovers))


@click.group("db", cls=PlannerGroup)
def database() -> None:
    """The planner's database (accounts, store requests, run history) and the data folder it belongs to."""


@database.command("reset")
@data_dir_argument
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@config_option
def database_reset(data_dir: Path, yes: bool, config_path: Path | None) -> None:
    """Start the database afresh for DATA_DIR: an SQLite file is moved aside to a dated name (kept), a PostgreSQL database emptied."""
    config = config_for(data_dir, config_path, None)
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
        click.echo(reset_under_lock(db, data_dir))
    finally:
        db.dispose()


@click.group(cls=PlannerGroup)
def users() -> None:
    """Accounts of the app: store managers (one store each) and head office (every store)."""


def _chain_database(data_dir: Path, config_path: Path | None) -> tuple[Database, list[str]]:
    return open_database(data_dir, config_for(data_dir, config_path, None)), list(read_stores(data_dir)[STORE_ID])


@users.command("add")
@data_dir_argument
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help="manager: one store; head_office: every store.")
@click.option("--store", STORE_ID, help="The manager's store_id (from stores.csv).")
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
