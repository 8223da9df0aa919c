"""The planner's database: accounts, sign-in attempts, store requests and run history (SQLAlchemy).

An embedded SQLite file (`planner.db` in the data folder) is the default. A chain whose managers and
head office work at the same time sets `[database] url = "postgresql+psycopg://..."` in
planning.toml, or the PLANNER_DATABASE_URL environment variable (which wins, so a password need
not sit in the data folder; the CLI and the app read it into the config, PlanConfig.with_database_url).
The tables are created on first use.

A database records the data folder it was made for (its resolved path): a copied or moved folder
brings its planner.db along, and that database is refused (ForeignDatabase) until it is started
afresh (`planner db reset`, planner.db.reset). A PostgreSQL database used from two machines needs
the data folder at the same path on both.
"""

from __future__ import annotations

import shlex
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    JSON,
    Engine,
    ForeignKey,
    String,
    Text,
    create_engine,
    event,
    make_url,
    select,
)
from sqlalchemy.exc import (
    ArgumentError,
    IntegrityError,
    OperationalError,
    ProgrammingError,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import NullPool

from planner.config import DATABASE_URL_VARIABLE, PlanConfig
from planner.errors import ConfigError, PlannerError, StorageError

URL_VARIABLE = DATABASE_URL_VARIABLE
FULL_OR_READ_ONLY = ("disk is full", "disk I/O error", "readonly database")  # SQLite's words for a disk it cannot write
SQLITE_FILE = "planner.db"
DATA_FOLDER = "data_folder"  # the Setting that records the data folder a database was made for


def utc_now() -> datetime:
    """Timestamps are stored in UTC, without a zone (the same on SQLite and PostgreSQL)."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """All tables of the planner's database."""


class User(Base):
    """A person who signs in to the app: a store manager (bound to one store) or head office."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    store_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class LoginAttempt(Base):
    """One sign-in attempt, kept to slow down password guessing."""

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=utc_now)
    succeeded: Mapped[bool]


class StoreRequest(Base):
    """A store's proposal to add or drop a product; head office approves or rejects it."""

    __tablename__ = "store_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[str] = mapped_column(String(64), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    change: Mapped[str] = mapped_column(String(8))
    comment: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class RequestEvent(Base):
    """One step in a request's history: proposed, approved, rejected, retired."""

    __tablename__ = "request_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("store_requests.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utc_now)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")


class Run(Base):
    """One planning run: its week, inputs, config, status, figures and where its files are."""

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    week: Mapped[str] = mapped_column(String(8), index=True)  # ISO week planned, e.g. 2026-W48
    status: Mapped[str] = mapped_column(String(16))  # running, published, failed, interrupted
    started_at: Mapped[datetime] = mapped_column(default=utc_now)
    finished_at: Mapped[datetime | None]
    pid: Mapped[int]
    host: Mapped[str] = mapped_column(String(255))
    data_dir: Mapped[str] = mapped_column(Text)
    out_dir: Mapped[str] = mapped_column(Text)
    run_dir: Mapped[str | None] = mapped_column(Text)
    inputs: Mapped[list | None] = mapped_column(JSON)  # [{file, sha256, lines}]
    config: Mapped[dict | None] = mapped_column(JSON)
    figures: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)


class RunLine(Base):
    """A carried product of a run's plan: the next week's current assortment once published."""

    __tablename__ = "run_lines"
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    store_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(8))


class Setting(Base):
    """A fact about the database itself: the data folder it was made for (DATA_FOLDER)."""

    __tablename__ = "planner_settings"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Database:
    """An engine and a session factory for one database URL; creates the tables if they are missing.

    An SQLite file is opened afresh for every session (no pool), so a file moved aside by `planner db
    reset` is never used again by a long-running process such as the app."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = create_engine(url, poolclass=NullPool) if sqlite_file(url) else create_engine(url)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        _create_tables(self.engine)
        self.session: sessionmaker[Session] = sessionmaker(self.engine, expire_on_commit=False)

    def dispose(self) -> None:
        """Close the pooled connections."""
        self.engine.dispose()


def database_url(data_dir: Path, config: PlanConfig) -> str:
    """The config's [database] url, else SQLite in the data folder; a ConfigError naming where the
    url came from (planning.toml or PLANNER_DATABASE_URL) if it is not a usable database URL."""
    if config.database.url:
        return _checked_url(config.database.url, config.database.url_source)
    return default_url(data_dir)


def connect(url: str, data_dir: Path | None = None) -> Database:
    """The Database at `url`; a DatabaseUnavailable naming it (password as ***) if it cannot be opened.
    Given `data_dir`, the database must be that folder's (claim_data_folder), else ForeignDatabase."""
    try:
        db = Database(url)
    except OperationalError as exc:
        raise _open_error(exc, url) from exc
    if data_dir is None:
        return db
    try:
        claim_data_folder(db, data_dir)
    except OperationalError as exc:
        db.dispose()
        raise _open_error(exc, url) from exc
    except PlannerError:
        db.dispose()
        raise
    return db


def _open_error(exc: OperationalError, url: str) -> PlannerError:
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    if any(text in reason for text in FULL_OR_READ_ONLY):
        return StorageError(f"cannot write the planner's database ({reason}): is its disk full or read-only?"
                            " The published plan is unchanged")
    return DatabaseUnavailable(f"cannot open the database {shown_url(url)}: {reason}")


def made_for(db: Database) -> str | None:
    """The data folder the database was made for: its record, else (a database of an earlier version)
    the data folder of its newest run; None for a database without either."""
    with db.session() as session:
        recorded = session.get(Setting, DATA_FOLDER)
        if recorded is not None:
            return recorded.value
        return session.scalar(select(Run.data_dir).order_by(Run.id.desc()).limit(1))


def claim_data_folder(db: Database, data_dir: Path) -> None:
    """Check that the database belongs to `data_dir`, else raise ForeignDatabase naming the folder it
    belongs to and the ways out. A database without the record (an earlier version made it) is
    recorded as made_for says, or as `data_dir`'s if that says nothing."""
    folder = str(data_dir.resolve())
    with db.session() as session:
        recorded = session.get(Setting, DATA_FOLDER)
    owner = recorded.value if recorded is not None else _adopt(db, made_for(db) or folder)
    if owner != folder:
        raise ForeignDatabase(_foreign_message(db, owner, folder))


def record_data_folder(db: Database, folder: str) -> None:
    """Record (or replace) the data folder the database was made for."""
    with db.session.begin() as session:
        session.merge(Setting(name=DATA_FOLDER, value=folder))


def _adopt(db: Database, folder: str) -> str:
    """Record `folder` unless another process recorded one first; the recorded folder."""
    try:
        with db.session.begin() as session:
            session.add(Setting(name=DATA_FOLDER, value=folder))
    except IntegrityError:
        pass  # another process adopted the database first: its record counts
    with db.session() as session:
        recorded = session.get(Setting, DATA_FOLDER)
    if recorded is None:  # added above or by the other process; gone only if the database was emptied meanwhile
        raise DatabaseUnavailable(f"the database {shown_url(db.url)} lost its data folder record while it was opened: run again")
    return recorded.value


def _foreign_message(db: Database, owner: str, folder: str) -> str:
    where = f"the database {shown_url(db.url)} was made for the data folder {owner}, not {folder}"
    if sqlite_file(db.url):
        return (f"{where} (a copied or moved folder brings its database along): start a new one for this folder with "
                f"`planner db reset {shlex.quote(folder)}` (the old file is kept) or `planner run {shlex.quote(folder)} --new-db`")
    return (f"{where}: run the planner with the data folder at {owner} (a database used from two machines needs the same "
            f"folder path on both), or empty it for this folder with `planner db reset {shlex.quote(folder)}`")


def _create_tables(engine: Engine) -> None:
    """Create missing tables. Two processes opening a new database at once race on CREATE TABLE: the
    loser sees an error for a table the winner just made, and the second attempt finds them all."""
    for attempt in range(3):
        try:
            Base.metadata.create_all(engine)
            return
        except (OperationalError, ProgrammingError, IntegrityError):
            if attempt == 2:
                raise
            time.sleep(0.2 * (attempt + 1))


def open_database(data_dir: Path, config: PlanConfig) -> Database:
    """The chain's database (made on first use), checked to be `data_dir`'s: ForeignDatabase if it
    was made for another folder."""
    return connect(database_url(data_dir, config), data_dir)


class DatabaseUnavailable(PlannerError):
    """The database is down, unreachable, or its file cannot be opened."""

    exit_code = 2


class ForeignDatabase(PlannerError):
    """The database was made for another data folder (the folder was copied or moved with it)."""

    exit_code = 2


DATABASE_BACKENDS = ("sqlite", "postgresql")


def _checked_url(url: str, source: str) -> str:
    """`url`, or a ConfigError naming `source` if it is not a usable database URL (password shown as ***)."""
    try:
        parsed = make_url(url)
        port = parsed.port
    except (ArgumentError, ValueError) as exc:
        raise ConfigError(f"{source}: expected a database URL like postgresql+psycopg://user@host:5432/dbname"
                          " or sqlite:///path/planner.db") from exc
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() not in DATABASE_BACKENDS:
        raise ConfigError(f"{source} = {shown!r}: expected a postgresql or sqlite URL")
    if port is not None and not 1 <= port <= 65_535:
        raise ConfigError(f"{source} = {shown!r}: expected a port from 1 to 65535")
    return url


def default_url(data_dir: Path) -> str:
    """The SQLite file in the data folder."""
    return f"sqlite:///{(data_dir / SQLITE_FILE).resolve()}"


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite URL; None for PostgreSQL or an in-memory SQLite database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:") or parsed.query.get("mode") == "memory":
        return None
    return Path(parsed.database)


def shown_url(url: str) -> str:
    """The URL as messages show it: the password as ***."""
    return make_url(url).render_as_string(hide_password=True)


def _sqlite_pragmas(connection, _record) -> None:  # noqa: ANN001 - DBAPI objects
    """Readers do not block the writer (WAL), and a busy database is waited for, not an error."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
