"""New POS deliveries next to old ones: a file delivered twice counts once, a re-export of a store's
days replaces the earlier lines of those days (and the warnings say so), and a file read before
comes from the Parquet cache instead of being parsed again."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import TODAY

from planner import PlanConfig, load_chain
from planner.config import PosConfig
from planner.errors import InputError
from planner.inputs.pos import CACHE_DIR

DATA = Path(__file__).parent / "data"


def chain_for(tmp_path: Path) -> Path:
    folder = tmp_path / "chain"
    shutil.copytree(DATA / "chain", folder, ignore=shutil.ignore_patterns(".planner"))  # no cache from other tests
    return folder


def loaded(folder: Path, engine: str):
    return load_chain(folder, dataclasses.replace(PlanConfig(), pos=PosConfig(engine=engine)), today=TODAY)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["duckdb", "pandas"])
def test_a_reexport_replaces_the_days_it_covers_and_says_so(tmp_path: Path, engine: str) -> None:
    folder = chain_for(tmp_path)
    before = loaded(folder, engine)
    original = (folder / "pos" / "S1" / "2026.csv").read_text().splitlines()
    day = original[1].split(",")[0]  # the first day of S1's file
    of_day = [line for line in original[1:] if line.startswith(day + ",") and ",000101," in line]  # only that product's lines go
    reexport = folder / "pos" / "S1" / "2026_korrektur.csv"
    reexport.write_text("date,store_id,sku,units,revenue\n" + f"{day},S1,000101,7,8.33\n")
    later = (folder / "pos" / "S1" / "2026.csv").stat().st_mtime_ns + 10**9
    os.utime(reexport, ns=(later, later))

    after = loaded(folder, engine)
    assert after.pos_report.counts.lines == before.pos_report.counts.lines - len(of_day) + 1
    [replaced] = after.pos_report.replaced
    assert (replaced.earlier, replaced.later, replaced.store_id, replaced.days, replaced.lines) == (
        "pos/S1/2026.csv", "pos/S1/2026_korrektur.csv", "S1", 1, len(of_day))
    assert f"POS: pos/S1/2026_korrektur.csv replaces 1 day(s) of store S1 ({day}) from pos/S1/2026.csv" in " ".join(after.warnings)
    week = after.weekly[(after.weekly["store_id"] == "S1")].iloc[0]
    first_week = before.weekly[(before.weekly["store_id"] == "S1")].iloc[0]
    assert week["week_start"] == first_week["week_start"]
    assert after.weekly["units"].sum() == pytest.approx(before.weekly["units"].sum() - sum(float(x.split(",")[3]) for x in of_day) + 7)


@pytest.mark.parametrize("engine", ["duckdb", "pandas"])
def test_a_file_delivered_twice_counts_once(tmp_path: Path, engine: str) -> None:
    folder = chain_for(tmp_path)
    before = loaded(folder, engine)
    shutil.copyfile(folder / "pos" / "S1" / "2026.csv", folder / "pos" / "S1" / "2026 (1).csv")
    after = loaded(folder, engine)
    assert after.weekly.equals(before.weekly)
    reasons = {f.file: f.skipped_reason for f in after.pos_report.files if f.file.startswith("pos/S1/")}
    assert reasons == {"pos/S1/2026 (1).csv": "", "pos/S1/2026.csv": "same content as pos/S1/2026 (1).csv"}  # name order
    assert not after.pos_report.replaced


@pytest.mark.slow
@pytest.mark.parametrize("messy", ["windows1252_umlauts.csv", "decimal_comma_thousands.csv", "quoted_separator.csv"])
def test_a_file_read_before_comes_from_the_parquet_cache_with_the_same_result(tmp_path: Path, messy: str) -> None:
    folder = chain_for(tmp_path)
    shutil.copyfile(DATA / "messy" / messy, folder / "pos" / "S1" / "2026.csv")
    first = loaded(folder, "duckdb")
    assert not any(f.from_cache for f in first.pos_report.files)
    assert len(list((folder / CACHE_DIR).glob("*.parquet"))) == 2
    second = loaded(folder, "duckdb")
    assert all(f.from_cache for f in second.pos_report.files)
    assert [(f.separator, f.encoding) for f in second.pos_report.files] == [(f.separator, f.encoding) for f in first.pos_report.files]
    pd.testing.assert_frame_equal(second.weekly, first.weekly)
    pd.testing.assert_frame_equal(second.store_days, first.store_days)
    assert second.pos_report.counts == first.pos_report.counts


@pytest.mark.slow
def test_a_cached_file_is_checked_again_against_todays_masters(tmp_path: Path) -> None:
    folder = chain_for(tmp_path)
    loaded(folder, "duckdb")
    stores = pd.read_csv(folder / "stores.csv", dtype=str)
    stores[stores["store_id"] != "S2"].to_csv(folder / "stores.csv", index=False)
    (folder / "assortment.csv").unlink()
    with pytest.raises(InputError, match=r"pos/S2/kasse\.csv line 2, column Filiale \(store_id\): expected a store_id from stores\.csv \(S1\), found 'S2'"):
        loaded(folder, "duckdb")


@pytest.mark.slow
def test_a_damaged_cache_file_is_ignored_and_the_csv_read_again(tmp_path: Path) -> None:
    folder = chain_for(tmp_path)
    first = loaded(folder, "duckdb")
    for path in (folder / CACHE_DIR).glob("*.parquet"):
        path.write_bytes(b"PAR1 half a file")
    again = loaded(folder, "duckdb")
    assert not any(f.from_cache for f in again.pos_report.files)
    pd.testing.assert_frame_equal(again.weekly, first.weekly)
