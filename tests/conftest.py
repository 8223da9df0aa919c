"""Shared builders: synthetic chains in the input contract, the sample chain, and a sample run."""

from __future__ import annotations

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
    return run_week(SAMPLE, out, load_config(SAMPLE / "planning.toml"), today=TODAY)


def profiles_for(folder: Path, config: PlanConfig | None = None):
    """Load and profile a chain folder."""
    config = config or PlanConfig()
    chain = load_chain(folder, config, today=TODAY)
    return chain, build_profiles(chain, config)
