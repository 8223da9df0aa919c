"""New POS deliveries next to old ones: a file delivered twice counts once, and a re-export of a
store's days replaces the earlier lines of those days (and the warnings say so)."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest
from conftest import TODAY

from planner import PlanConfig, load_chain
from planner.config import PosConfig

DATA = Path(__file__).parent / "data"


def chain_for(tmp_path: Path) -> Path:
    folder = tmp_path / "chain"
    shutil.copytree(DATA / "chain", folder)
    return folder


def loaded(folder: Path, engine: str):
    return load_chain(folder, dataclasses.replace(PlanConfig(), pos=PosConfig(engine=engine)), today=TODAY)


@pytest.mark.parametrize("engine", ["duckdb", "pandas"])
def test_a_reexport_replaces_the_days_it_covers_and_says_so(tmp_path: Path, engine: str) -> None:
    folder = chain_for(tmp_path)
    before = loaded(folder, engine)
    original = (folder / "pos" / "S1" / "2026.csv").read_text().splitlines()
    day = original[1].split(",")[0]  # the first day of S1's file
    of_day = [line for line in original[1:] if line.startswith(day + ",")]
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
