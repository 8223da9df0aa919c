"""Shared builders: synthetic chains in the input contract, the sample chain, and a sample run."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from planner import PlanConfig, build_profiles, load_chain, run_week
from planner.examples import write_synthetic_chain

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_stores"
TODAY = date(2026, 11, 23)


def tiny_chain(folder: Path, *, n_stores: int = 3, n_products: int = 40, seed: int = 0, fresh: bool = True) -> Path:
    """A small synthetic chain on disk (weekly POS totals)."""
    return write_synthetic_chain(folder, n_stores=n_stores, n_products=n_products, seed=seed, fresh=fresh)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return tiny_chain(tmp_path / "chain")


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory):
    """The sample chain planned once per test session with its own planning.toml."""
    from planner import load_config

    out = tmp_path_factory.mktemp("sample out")
    with pytest.MonkeyPatch.context() as patch:  # a database belongs to one data folder
        patch.setenv("PLANNER_DATABASE_URL", f"sqlite:///{tmp_path_factory.mktemp('sample db') / 'planner.db'}")
        return run_week(SAMPLE, out, configured(load_config(SAMPLE / "planning.toml")), today=TODAY)


def configured(config: PlanConfig | None = None) -> PlanConfig:
    """`config` with the test's database (PLANNER_DATABASE_URL), as the CLI and the app pass it."""
    return (config or PlanConfig()).with_environment(os.environ)


def profiles_for(folder: Path, config: PlanConfig | None = None):
    """Load and profile a chain folder."""
    config = config or PlanConfig()
    chain = load_chain(folder, config, today=TODAY)
    return chain, build_profiles(chain, config)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A throwaway PostgreSQL server started for this test session (never one already running)."""
    initdb = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not initdb:
        pytest.skip("PostgreSQL server binaries are not installed (apt-get install postgresql)")
    bin_dir = initdb[-1].parent
    folder = Path(tempfile.mkdtemp(prefix="planner-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: use an ordinary user
        if subprocess.run(["id", "-u", "pgtest"], capture_output=True).returncode:
            subprocess.run(["useradd", "-m", "pgtest"], check=True)
        shutil.chown(folder, "pgtest")
        run_as = ["runuser", "-u", "pgtest", "--"]
    port = free_port()
    data = folder / "data"
    subprocess.run([*run_as, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "planner"], check=True, capture_output=True)
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
    subprocess.run([*run_as, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l", str(folder / "log"), "start"],
                   check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://planner@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*run_as, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path):
    """The planner's database on an SQLite file and on a real PostgreSQL server, emptied after each test."""
    from planner.db import Base, Database

    url = f"sqlite:///{tmp_path / 'planner.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    db = Database(url)
    try:
        yield db
    finally:
        Base.metadata.drop_all(db.engine)
        db.dispose()


def repository_databases() -> set[Path]:
    """The planner.db files in the repository's data folders."""
    return {*SAMPLE.rglob("planner.db"), *(ROOT / "tests").rglob("planner.db")}


@pytest.fixture(scope="session", autouse=True)
def session_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Runs and the app never touch a planner.db in the repository's data folders: until a test or a
    fixture sets its own, PLANNER_DATABASE_URL points at a file of this session."""
    before = repository_databases()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PLANNER_DATABASE_URL", f"sqlite:///{tmp_path_factory.mktemp('session db') / 'planner.db'}")
        yield
    made = sorted(repository_databases() - before)
    assert not made, f"a test made a database in the repository (pass configured() to run_week): {made}"


@pytest.fixture(autouse=True)
def private_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's runs and accounts go to its own SQLite file."""
    monkeypatch.setenv("PLANNER_DATABASE_URL", f"sqlite:///{tmp_path / 'planner.db'}")


def pytest_configure(config: pytest.Config) -> None:
    """The `slow` marker: `pytest -m "not slow"` is the quick check (about a minute); CI runs every test."""
    config.addinivalue_line("markers", "slow: a test of half a second or more (full runs, servers, browsers); left out by -m 'not slow'")

