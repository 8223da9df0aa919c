"""One planning run per chain, and per output folder, at a time.

The chain: a PostgreSQL session advisory lock, or an exclusive flock on `<SQLite file>.lock`. The
output folder: a flock on OUT_DIR/.planner.lock (two databases writing one folder). All of them end
with the process that holds them, even when it is killed, so a crash never leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from planner.db import Database
from planner.errors import PlannerError

ADVISORY_KEY = 804_771_234  # any fixed number: the planner's run lock in a shared PostgreSQL
POLL_SECONDS = 0.5


class RunLocked(PlannerError):
    """Another planning run of the same chain is in progress."""

    exit_code = 2


@contextmanager
def run_lock(db: Database, wait_seconds: float, describe_holder: Callable[[], str]) -> Iterator[None]:
    """Hold the chain's run lock; wait up to `wait_seconds` for it, then raise RunLocked naming the
    run that holds it (`describe_holder()`)."""
    deadline = time.monotonic() + wait_seconds
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as connection:
            while not connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}).scalar():
                _wait_or_raise(deadline, wait_seconds, describe_holder)
            connection.commit()
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
                connection.commit()
        return
    with folder_lock(Path(f"{db.engine.url.database}.lock"), wait_seconds, describe_holder):
        yield


@contextmanager
def folder_lock(path: Path, wait_seconds: float, describe_holder: Callable[[], str]) -> Iterator[None]:
    """An exclusive flock on `path` (created if missing), waited for up to `wait_seconds`."""
    deadline = time.monotonic() + wait_seconds
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                _wait_or_raise(deadline, wait_seconds, describe_holder)
        yield
    finally:
        os.close(handle)  # releases the flock


def _wait_or_raise(deadline: float, wait_seconds: float, describe_holder: Callable[[], str]) -> None:
    if time.monotonic() >= deadline:
        waited = f" after waiting {wait_seconds:g} s" if wait_seconds else ""
        raise RunLocked(f"another planning run of this chain is in progress ({describe_holder()}); not starting{waited}. "
                        "Run again when it has finished, or pass --wait SECONDS.")
    time.sleep(POLL_SECONDS)
