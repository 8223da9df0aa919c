"""Any number, finite or not, in any numeric column or setting: the planner either publishes a plan
whose every figure is finite, or refuses with its one-line message. Never a traceback."""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_config_ranges import SETTINGS

from planner.cli import cli
from planner.schemas import POS, PRODUCTS, STORES

DATA = Path(__file__).parent / "data"
NUMERIC = [(file, column.name) for file, table in (("products.csv", PRODUCTS), ("stores.csv", STORES), ("pos/S1/2026.csv", POS))
           for column in table.columns if column.kind in ("number", "int")]
PLAN_FILES = ("plan.csv", "changes.csv", "local_index.csv")
PLAN_FIGURES = ["expected_units_per_week", "expected_profit_per_week", "shelf_space", "inventory_cost"]

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**20), 10**20),
    st.sampled_from(["nan", "inf", "-inf", "1e308", "-1e308", "1e-320", "-0", "0", "NaN", "Infinity", "1e19"]),
)


def written(value: float | str) -> str:
    return value if isinstance(value, str) else repr(value)


def refused_or_finite(folder: Path) -> None:
    """Run the planner on `folder`: a refusal is one message, a published plan holds only finite numbers."""
    out = folder.parent / "out"
    result = CliRunner().invoke(cli, ["run", str(folder), "--out", str(out), "--quiet"])
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    if result.exit_code:
        assert result.exit_code in (1, 2) and result.output.startswith(("input error: ", "planning failed: ")), result.output
        return
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"), parse_constant=lambda name: math.nan)
    assert all(math.isfinite(v) for v in _numbers(summary)), "summary.json holds a non-finite figure"
    for name in PLAN_FILES:
        numeric = pd.read_csv(out / name).select_dtypes("number").to_numpy(dtype=float)
        assert not (abs(numeric) == math.inf).any(), f"{name} holds an infinite figure"
    plan = pd.read_csv(out / "plan.csv")
    assert plan[PLAN_FIGURES].notna().all().all(), "a plan line without its units, profit, space or inventory"


def _numbers(value: object) -> list[float]:
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return []
    return [float(value)]


HOSTILE = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.slow
@HOSTILE
@given(target=st.sampled_from(NUMERIC), row=st.integers(0, 3), value=numbers)
def test_any_number_in_any_numeric_column_is_refused_or_planned_with_finite_figures(target: tuple[str, str], row: int, value) -> None:
    file, column = target
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "chain"
        shutil.copytree(DATA / "chain", folder)
        table = pd.read_csv(folder / file, dtype=str, keep_default_na=False)
        table.loc[row % len(table), column] = written(value)
        table.to_csv(folder / file, index=False)
        refused_or_finite(folder)


@pytest.mark.slow
@HOSTILE
@given(setting=st.sampled_from(SETTINGS), value=numbers)
def test_any_number_in_any_setting_is_refused_or_planned_with_finite_figures(setting: tuple[str, str, object, bool], value) -> None:
    section, key, _bounds, _whole = setting
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "chain"
        shutil.copytree(DATA / "chain", folder)
        literal = written(value).replace("NaN", "nan").replace("Infinity", "inf")  # not TOML: refused as such
        (folder / "planning.toml").write_text(f"[{section}]\n{key} = {literal}\n", encoding="utf-8")
        refused_or_finite(folder)
