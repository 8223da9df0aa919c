"""Accounts, sign-in throttling and store requests, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import ROOT, TODAY, configured
from sqlalchemy import select

from planner import run_week
from planner.db import (
    URL_VARIABLE,
    Database,
    ForeignDatabase,
    LoginAttempt,
    User,
    connect,
    default_url,
    made_for,
    utc_now,
)
from planner.db.accounts import (
    HEAD_OFFICE,
    MANAGER,
    MAX_FAILURES,
    AccountError,
    SignInThrottled,
    add_user,
    list_users,
    principal,
    remove_user,
    seed_demo_accounts,
    set_password,
    sign_in,
    unlock_user,
)
from planner.db.requests import (
    AccessDenied,
    approved_rules,
    decide,
    history,
    propose,
    requests_for,
    retire,
)
from planner.db.reset import contents, reset_database
from planner.runs.history import list_runs, start_run

STORES = ["S1", "S2"]
DATA = Path(__file__).parent / "data"


@pytest.mark.slow
def test_passwords_are_stored_as_argon2_hashes_and_checked(database) -> None:
    add_user(database, "anna", "correct horse", MANAGER, "S1", STORES)
    with database.session() as session:
        stored = session.scalar(select(User.password_hash).where(User.username == "anna"))
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert sign_in(database, "anna", "correct horse").store_id == "S1"
    with pytest.raises(AccountError, match="wrong username or password"):
        sign_in(database, "anna", "wrong horse")
    with pytest.raises(AccountError, match="wrong username or password"):
        sign_in(database, "nobody", "correct horse")


@pytest.mark.slow
def test_accounts_are_validated_listed_and_removed(database) -> None:
    add_user(database, "hq", "head office pw", HEAD_OFFICE, None, STORES)
    add_user(database, "bert", "bert's password", MANAGER, "S2", STORES)
    with pytest.raises(AccountError, match="exists already"):
        add_user(database, "bert", "another password", MANAGER, "S1", STORES)
    with pytest.raises(AccountError, match="a manager needs one of the chain's stores"):
        add_user(database, "carl", "carl's password", MANAGER, "S9", STORES)
    with pytest.raises(AccountError, match="at least 8 characters"):
        add_user(database, "dora", "short", MANAGER, "S1", STORES)
    with pytest.raises(AccountError, match="role 'admin'"):
        add_user(database, "eve", "eve's password", "admin", None, STORES)
    assert [(p.username, p.role, p.store_id) for p in list_users(database)] == [("bert", MANAGER, "S2"), ("hq", HEAD_OFFICE, None)]
    assert remove_user(database, "bert") and not remove_user(database, "bert")
    assert principal(database, "bert") is None and principal(database, "hq").is_head_office


@pytest.mark.slow
def test_repeated_failed_sign_ins_lock_the_username_for_a_while(database) -> None:
    add_user(database, "anna", "correct horse", MANAGER, "S1", STORES)
    start = utc_now()
    for attempt in range(MAX_FAILURES):
        with pytest.raises(AccountError, match="wrong username or password"):
            sign_in(database, "anna", f"guess {attempt}", now=start + timedelta(seconds=attempt))
    with pytest.raises(SignInThrottled, match="too many failed sign-ins for 'anna': try again in 15 minutes"):
        sign_in(database, "anna", "correct horse", now=start + timedelta(seconds=10))
    assert sign_in(database, "anna", "correct horse", now=start + timedelta(minutes=16)).username == "anna"
    with pytest.raises(AccountError, match="wrong username or password"):  # a success resets the count
        sign_in(database, "anna", "guess again", now=start + timedelta(minutes=17))


@pytest.mark.slow
def test_a_re_added_username_is_a_new_account(database) -> None:
    first = add_user(database, "anna", "correct horse", MANAGER, "S1", STORES)
    assert principal(database, "anna", first.account) == first
    remove_user(database, "anna")
    second = add_user(database, "anna", "another horse", HEAD_OFFICE, None, STORES)
    assert second.account != first.account
    assert principal(database, "anna", first.account) is None  # the old session's account is gone
    assert principal(database, "anna", second.account).is_head_office
    assert sign_in(database, "anna", "another horse").account == second.account


@pytest.mark.slow
def test_thirty_parallel_sign_ins_check_at_most_five_passwords(database) -> None:
    """The lockout holds under concurrency: counting the failures, checking the password and recording
    the attempt are one step per username, so 30 guesses at once get exactly 5 passwords checked."""
    add_user(database, "anna", "correct horse", MANAGER, "S1", STORES)
    start = threading.Barrier(30)

    def attempt(number: int) -> str:
        start.wait()
        try:
            sign_in(database, "anna", f"guess {number}")
        except SignInThrottled:
            return "throttled"
        except AccountError:
            return "checked"
        return "signed in"

    with ThreadPoolExecutor(max_workers=30) as pool:
        outcomes = list(pool.map(attempt, range(30)))
    with database.session() as session:
        recorded = session.scalars(select(LoginAttempt).where(LoginAttempt.username == "anna")).all()
    assert outcomes.count("checked") == MAX_FAILURES == len(recorded)
    assert outcomes.count("throttled") == 30 - MAX_FAILURES


@pytest.mark.slow
def test_a_manager_proposes_for_their_own_store_only_and_head_office_decides(database) -> None:
    anna = add_user(database, "anna", "correct horse", MANAGER, "S1", STORES)
    bert = add_user(database, "bert", "bert's password", MANAGER, "S2", STORES)
    hq = add_user(database, "hq", "head office pw", HEAD_OFFICE, None, STORES)
    first = propose(database, anna, "S1", "P01", "add", "customers ask for it")
    second = propose(database, bert, "S2", "P02", "drop", "")
    with pytest.raises(AccessDenied):
        propose(database, anna, "S2", "P03", "add", "not my store")
    with pytest.raises(AccessDenied):
        decide(database, anna, first, approve=True)
    with pytest.raises(AccessDenied):
        requests_for(database, anna, "S2")
    with pytest.raises(AccessDenied):
        history(database, anna, second)
    assert list(requests_for(database, anna)["id"]) == [first]
    assert sorted(requests_for(database, hq)["id"]) == [first, second]

    decide(database, hq, first, approve=True, comment="fine")
    decide(database, hq, second, approve=False, comment="sells well")
    assert approved_rules(database) == [("S1", "P01", "must_carry", f"request #{first} by anna: customers ask for it")]
    retire(database, hq, first, comment="listed now")
    assert approved_rules(database) == []
    assert list(history(database, anna, first)["action"]) == ["proposed", "approved", "retired"]
    assert list(history(database, hq, second)[["action", "comment"]].itertuples(index=False, name=None)) == [
        ("proposed", ""), ("rejected", "sells well")]


@pytest.mark.slow
def test_approved_requests_are_rules_of_the_next_run(database, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(URL_VARIABLE, database.url)
    first = run_week(DATA / "chain", tmp_path / "before", configured(), today=TODAY)
    plan = first.result.plan
    kept = plan[(plan["store_id"] == "S1") & plan["listed_now"].astype(bool)]
    dropped = kept.sort_values("expected_profit_per_week").iloc[-1]["sku"]  # S1's best seller today
    added = next(s for s in first.chain.products["sku"] if s not in set(plan.loc[plan["store_id"] == "S1", "sku"]))  # S1 lacks it
    manager_1 = add_user(database, "anna", "correct horse", MANAGER, "S1", STORES)
    manager_2 = add_user(database, "bert", "bert's password", MANAGER, "S2", STORES)
    hq = add_user(database, "hq", "head office pw", HEAD_OFFICE, None, STORES)
    decide(database, hq, propose(database, manager_1, "S1", dropped, "drop", "no room"), approve=True)
    decide(database, hq, propose(database, manager_1, "S1", added, "add", "asked for"), approve=True)
    propose(database, manager_2, "S2", dropped, "drop", "still pending")  # not approved: no rule

    second = run_week(DATA / "chain", tmp_path / "after", configured(), today=TODAY)
    carried = set(zip(second.result.plan["store_id"], second.result.plan["sku"], strict=True))
    assert ("S1", dropped) not in carried and ("S1", added) in carried and ("S2", dropped) in carried
    changes = second.result.changes.set_index(["store_id", "sku"])
    assert changes.at[("S1", dropped), "forced"] == "an approved store request"


@pytest.mark.slow
def test_demo_accounts_only_for_the_sample_folders_own_database(tmp_path: Path) -> None:
    sample = tmp_path / "sample"
    sample.mkdir()
    shutil.copyfile(ROOT / "sample_stores" / "demo_accounts.csv", sample / "demo_accounts.csv")
    own = Database(default_url(sample))
    assert seed_demo_accounts(own, sample, ["S01", "S02", "S03"]) == 4
    assert seed_demo_accounts(own, sample, ["S01", "S02", "S03"]) == 0  # once, into an empty database
    assert sign_in(own, "s02", "demo-s02-2026").store_id == "S02"
    own.dispose()
    elsewhere = Database(f"sqlite:///{tmp_path / 'production.db'}")
    assert seed_demo_accounts(elsewhere, sample, ["S01", "S02", "S03"]) == 0  # a configured database: never
    copied = tmp_path / "copied"
    copied.mkdir()
    shutil.copyfile(ROOT / "sample_stores" / "demo_accounts.csv", copied / "demo_accounts.csv")
    other_chain = Database(default_url(copied))
    assert seed_demo_accounts(other_chain, copied, ["F1", "F2"]) == 0  # the sample's file in another chain: none at all
    assert list_users(other_chain) == []
    other_chain.dispose()
    elsewhere.dispose()


@pytest.mark.slow
@pytest.mark.parametrize(("url", "code", "message"), [
    ("postgresql+psycopg://hq:secret@localhost:99999999/planner", 1,
     "input error: PLANNER_DATABASE_URL = 'postgresql+psycopg://hq:***@localhost:99999999/planner': expected a port from 1 to 65535"),
    ("postgresql+psycopg://hq@localhost:abc/planner", 1, ("input error: PLANNER_DATABASE_URL: expected a database URL like "
                                                          "postgresql+psycopg://user@host:5432/dbname or sqlite:///path/planner.db")),
    ("mysql://hq@localhost/planner", 1, "input error: PLANNER_DATABASE_URL = 'mysql://hq@localhost/planner': expected a postgresql or sqlite URL"),
    ("sqlite:///no/such/folder/planner.db", 2, "planning failed: cannot open the database sqlite:///no/such/folder/planner.db: unable to open database file"),
])
def test_a_wrong_database_url_is_named_with_its_password_hidden(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str, code: int,
                                                                message: str) -> None:
    from click.testing import CliRunner

    from planner.cli import cli

    monkeypatch.setenv(URL_VARIABLE, url)
    chain, out = str(ROOT / "tests/data/chain"), tmp_path / "out"
    for command in (["runs", "list", chain], ["users", "list", chain], ["run", chain, "--quiet", "--out", str(out)]):
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == code and result.output.strip() == message, (command, result.output)
    assert not out.exists()


def lock_out(db: Database, username: str) -> None:
    for attempt in range(MAX_FAILURES):
        with pytest.raises(AccountError, match="wrong username or password"):
            sign_in(db, username, f"guess {attempt}")
    with pytest.raises(SignInThrottled):
        sign_in(db, username, "correct horse")


@pytest.mark.slow
def test_unlock_ends_a_lockout_at_once(database) -> None:
    add_user(database, "anna", "correct horse", MANAGER, "S1", STORES)
    lock_out(database, "anna")
    assert unlock_user(database, "anna") == MAX_FAILURES
    assert sign_in(database, "anna", "correct horse").username == "anna"
    assert unlock_user(database, "anna") == 0
    with pytest.raises(AccountError, match="^there is no user 'nobody'$"):
        unlock_user(database, "nobody")


@pytest.mark.slow
def test_a_new_password_replaces_the_old_one_and_ends_its_sessions(database) -> None:
    before = add_user(database, "anna", "correct horse", MANAGER, "S1", STORES)
    lock_out(database, "anna")
    after = set_password(database, "anna", "a new horse")
    assert after.account == before.account and after.credential != before.credential
    assert principal(database, "anna", before.account, before.credential) is None  # the old session ends
    assert principal(database, "anna", before.account) == after  # the account itself is the same
    assert sign_in(database, "anna", "a new horse").credential == after.credential  # and no longer locked
    with pytest.raises(AccountError, match="wrong username or password"):
        sign_in(database, "anna", "correct horse")
    with pytest.raises(AccountError, match="at least 8 characters"):
        set_password(database, "anna", "short")
    with pytest.raises(AccountError, match="^there is no user 'nobody'$"):
        set_password(database, "nobody", "long enough")


def chain_folder(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    shutil.copytree(DATA / "chain", folder)
    return folder


@pytest.mark.slow
def test_a_database_belongs_to_the_data_folder_that_first_opens_it(database, tmp_path: Path) -> None:
    """A database without the record (as an earlier version made it) is adopted; another folder is refused."""
    own, other = chain_folder(tmp_path, "own"), chain_folder(tmp_path, "copy of own")
    add_user(database, "anna", "correct horse", MANAGER, "S1", STORES)
    assert made_for(database) is None
    connect(database.url, own).dispose()
    assert made_for(database) == str(own.resolve())
    connect(database.url, own).dispose()  # again: still its own
    with pytest.raises(ForeignDatabase) as refused:
        connect(database.url, other)
    message = str(refused.value)
    assert message.startswith(f"the database {database.url} was made for the data folder {own.resolve()}, not {other.resolve()}")
    assert f"`planner db reset '{other.resolve()}'`" in message
    if database.engine.dialect.name == "sqlite":
        assert message.endswith(f"(the old file is kept) or `planner run '{other.resolve()}' --new-db`")
    else:
        assert "a database used from two machines needs the same folder path on both" in message and "--new-db" not in message
    assert [u.username for u in list_users(database)] == ["anna"]  # refusing changes nothing


def test_an_earlier_versions_database_belongs_to_the_folder_of_its_runs(database, tmp_path: Path) -> None:
    original, copy = chain_folder(tmp_path, "original"), chain_folder(tmp_path, "copy")
    start_run(database, "2026-W48", original, tmp_path / "out", {})  # recorded by a version without the record
    with pytest.raises(ForeignDatabase, match=f"made for the data folder {original.resolve()}, not {copy.resolve()}"):
        connect(database.url, copy)
    connect(database.url, original).dispose()


@pytest.mark.slow
def test_reset_starts_the_database_afresh_for_the_new_folder(database, tmp_path: Path) -> None:
    """SQLite: the file moves aside with everything in it; PostgreSQL: the planner's tables are emptied."""
    original, copy = chain_folder(tmp_path, "original"), chain_folder(tmp_path, "copy")
    connect(database.url, original).dispose()
    add_user(database, "anna", "correct horse", MANAGER, "S1", STORES)
    start_run(database, "2026-W48", original, tmp_path / "out", {})
    assert contents(database) == "1 account, 0 store requests and 1 run"
    done = reset_database(database, copy, now=datetime(2026, 11, 23, 14, 15))
    fresh = connect(database.url, copy)
    assert contents(fresh) == "0 accounts, 0 store requests and 0 runs" and made_for(fresh) == str(copy.resolve())
    assert start_run(fresh, "2026-W48", copy, tmp_path / "out", {}) == 1  # numbering starts again
    if database.engine.dialect.name == "sqlite":
        backup = tmp_path / "planner-20261123-141500.db"
        assert done == f"moved the old database to {backup}; a new, empty one at {tmp_path / 'planner.db'} now belongs to {copy.resolve()}"
        kept = Database(f"sqlite:///{backup}")
        assert [u.username for u in list_users(kept)] == ["anna"] and len(list_runs(kept)) == 1
        assert made_for(kept) == str(original.resolve())
        kept.dispose()
        assert not list(tmp_path.glob("planner-*.db-*")), "no WAL file is left without its database"
    else:
        assert done == (f"emptied the planner's tables in {database.url} (1 account, 0 store requests and 1 run deleted); "
                        f"the database now belongs to {copy.resolve()}")
    fresh.dispose()


@pytest.mark.slow
def test_a_postgresql_database_of_another_folder_is_refused_until_it_is_reset(postgres_url: str, tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Used from a second machine with the data folder at another path: refused; --new-db does not empty a
    shared database; `db reset --yes` does."""
    from click.testing import CliRunner

    from planner.cli import cli

    first, second = chain_folder(tmp_path, "machine one"), chain_folder(tmp_path, "machine two")
    monkeypatch.setenv(URL_VARIABLE, postgres_url)
    db = connect(postgres_url, first)
    try:
        add_user(db, "hq", "head office pw", HEAD_OFFICE, None, STORES)
        runner = CliRunner()
        refused = runner.invoke(cli, ["users", "list", str(second)])
        assert (refused.exit_code, refused.output.strip()) == (2, (
            f"planning failed: the database {postgres_url} was made for the data folder {first}, not {second}: run the planner "
            f"with the data folder at {first} (a database used from two machines needs the same folder path on both), "
            f"or empty it for this folder with `planner db reset '{second}'`"))
        new_db = runner.invoke(cli, ["run", str(second), "--out", str(tmp_path / "out"), "--new-db"])
        assert (new_db.exit_code, new_db.output.strip()) == (2, (
            f"planning failed: --new-db moves only an SQLite file aside, and {postgres_url} was made for the data folder {first}: "
            f"empty it for this folder with `planner db reset '{second}'` (it asks first)"))
        assert [u.username for u in list_users(db)] == ["hq"] and not (tmp_path / "out").exists()
        asked = runner.invoke(cli, ["db", "reset", str(second)], input="y\n")
        assert asked.exit_code == 0, asked.output
        assert asked.output.startswith(f"{postgres_url} was made for {first} and holds 1 account, 0 store requests and 0 runs. "
                                       f"Delete all of it and start afresh for {second}? [y/N]: ")
        assert asked.output.endswith(f"emptied the planner's tables in {postgres_url} (1 account, 0 store requests and 0 runs deleted); "
                                     f"the database now belongs to {second}\n")
        assert runner.invoke(cli, ["users", "list", str(second)]).output == ""
        assert runner.invoke(cli, ["users", "list", str(first)]).exit_code == 2  # now the first machine is the other one
    finally:
        from planner.db import Base

        Base.metadata.drop_all(db.engine)
        db.dispose()
