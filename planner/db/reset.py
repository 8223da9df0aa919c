"""Starting a database afresh for a data folder: `planner db reset` and `planner run --new-db`.

An SQLite file is moved aside to a dated name next to it (nothing is deleted); a PostgreSQL
database has the planner's tables emptied. Either way the database then records the new folder.
The caller holds the chain's run lock, so no run writes to the database meanwhile.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select, text

from planner.db import (
    Base,
    Database,
    Run,
    StoreRequest,
    User,
    record_data_folder,
    shown_url,
    sqlite_file,
)

SQLITE_COMPANIONS = ("-wal", "-shm")  # SQLite's files next to the database; they move with it


def contents(db: Database) -> str:
    """What the database holds, for a confirmation question: '3 accounts, 1 store request and 5 runs'."""
    with db.session() as session:
        counts = [session.scalar(select(func.count()).select_from(table)) or 0 for table in (User, StoreRequest, Run)]
    parts = [f"{count} {name if count == 1 else name + 's'}" for count, name in zip(counts, ("account", "store request", "run"), strict=True)]
    return f"{parts[0]}, {parts[1]} and {parts[2]}"


def reset_database(db: Database, data_dir: Path, *, now: datetime | None = None) -> str:
    """Start the database afresh for `data_dir` and say what was done. SQLite: the file (and its -wal
    and -shm files) is renamed to `<name>-<date>-<time><suffix>` next to it, and a new, empty one is made;
    PostgreSQL (or an in-memory SQLite): every table of the planner is emptied."""
    folder = str(data_dir.resolve())
    path = sqlite_file(db.url)
    if path is None:
        held = contents(db)
        _empty_tables(db)
        record_data_folder(db, folder)
        return f"emptied the planner's tables in {shown_url(db.url)} ({held} deleted); the database now belongs to {folder}"
    with db.engine.connect() as connection:  # the WAL's pages into the file, so the file alone holds everything
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    backup = _backup_path(path, now or datetime.now())
    for suffix in SQLITE_COMPANIONS:  # left over by a crash, or open in another process: they belong to the old file
        companion = Path(f"{path}{suffix}")
        if companion.exists():
            os.replace(companion, f"{backup}{suffix}")
    os.replace(path, backup)
    fresh = Database(db.url)
    record_data_folder(fresh, folder)
    fresh.dispose()
    return f"moved the old database to {backup}; a new, empty one at {path} now belongs to {folder}"


def _backup_path(path: Path, now: datetime) -> Path:
    """planner.db -> planner-20261123-141500.db (-2, -3 ... if that name is taken)."""
    name = f"{path.stem}-{now:%Y%m%d-%H%M%S}"
    candidate, number = path.with_name(f"{name}{path.suffix}"), 1
    while any(Path(f"{candidate}{suffix}").exists() for suffix in ("", *SQLITE_COMPANIONS)):
        number += 1
        candidate = path.with_name(f"{name}-{number}{path.suffix}")
    return candidate


def _empty_tables(db: Database) -> None:
    """Delete every row of the planner's tables (PostgreSQL: TRUNCATE, numbering restarts at 1)."""
    tables = Base.metadata.sorted_tables
    with db.session.begin() as session:
        if db.engine.dialect.name == "postgresql":
            quote = db.engine.dialect.identifier_preparer.quote
            session.execute(text(f"TRUNCATE {', '.join(quote(t.name) for t in tables)} RESTART IDENTITY"))
        else:
            for table in reversed(tables):
                session.execute(table.delete())
