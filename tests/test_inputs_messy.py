"""Messy but valid POS exports (tests/data/messy) are read to the lines pinned in
tests/data/messy_expected.csv, by the careful reader and by both weekly engines."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import TODAY

from planner import PlanConfig, load_chain
from planner.config import PosConfig
from planner.errors import InputError
from planner.inputs.pos import fingerprint, read_pos_file

DATA = Path(__file__).parent / "data"
MESSY = DATA / "messy"
EXPECTED = pd.read_csv(DATA / "messy_expected.csv", dtype={"sku": str}, parse_dates=["date"])


def test_every_messy_file_has_pinned_lines() -> None:
    assert sorted(p.name for p in MESSY.iterdir()) == sorted(EXPECTED["file"].unique())


@pytest.mark.parametrize("name", sorted(EXPECTED["file"].unique()))
def test_the_careful_reader_reads_the_pinned_lines(name: str) -> None:
    path = MESSY / name
    lines, info = read_pos_file(path, name, fingerprint(path)[0], store_ids={"S1", "S2"}, today=TODAY, header_map={}, card_key="0" * 64)
    expected = EXPECTED[EXPECTED["file"] == name].drop(columns="file").reset_index(drop=True)
    got = lines[["date", "store_id", "sku", "units", "revenue"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert info.lines == len(expected)


@pytest.mark.parametrize("engine", ["duckdb", "pandas"])
@pytest.mark.parametrize("name", sorted(EXPECTED["file"].unique()))
def test_both_engines_sum_the_pinned_lines_to_weeks(tmp_path: Path, name: str, engine: str) -> None:
    folder = tmp_path / "chain"
    shutil.copytree(DATA / "chain", folder)
    shutil.copyfile(MESSY / name, folder / "pos" / "S1" / "2026.csv")
    config = dataclasses.replace(PlanConfig(), pos=PosConfig(engine=engine))
    weekly = load_chain(folder, config, today=TODAY).weekly
    weekly = weekly[weekly["store_id"] == "S1"].reset_index(drop=True)
    expected = EXPECTED[EXPECTED["file"] == name].assign(week_start=lambda f: f["date"] - pd.to_timedelta(f["date"].dt.day_of_week, unit="D"))
    sums = expected.groupby(["store_id", "sku", "week_start"], as_index=False)[["units", "revenue"]].sum()
    pd.testing.assert_frame_equal(weekly[["store_id", "sku", "week_start", "units", "revenue"]], sums, check_dtype=False, atol=1e-9)


def test_store_name_and_town_are_optional(tmp_path: Path) -> None:
    """A store master without a town column and with an empty name is read; the store is then
    called by its id. Shelf and budget stay required."""
    chain = tmp_path / "chain"
    shutil.copytree(Path(__file__).parent / "data" / "chain", chain)
    (chain / "stores.csv").write_text("store_id,name,shelf_capacity,inventory_budget\nS1,,5,400\nS2,Markt Nord,6,500\n", encoding="utf-8")
    stores = load_chain(chain, PlanConfig(), today=TODAY).stores
    assert list(stores["name"]) == ["S1", "Markt Nord"]
    assert list(stores["town"]) == ["", ""]
    (chain / "stores.csv").write_text("store_id,name,inventory_budget\nS1,,400\n", encoding="utf-8")
    with pytest.raises(InputError, match="column.s. shelf_capacity in the header"):
        load_chain(chain, PlanConfig(), today=TODAY)
