"""The DuckDB and the plain pandas engine read every input to the same tables and counts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import SAMPLE, TODAY

from planner import PlanConfig, load_chain
from planner.inputs.pos import fingerprint
from planner.inputs.posduck import DuckLines
from planner.inputs.posmeta import PendingFile

DATA = Path(__file__).parent / "data"
ENGINES = ("duckdb", "pandas")


def copy_chain(tmp_path: Path) -> Path:
    folder = tmp_path / "chain"
    shutil.copytree(DATA / "chain", folder)
    return folder


def assert_same_chain(folder: Path) -> None:
    fast, plain = (load_chain(folder, PlanConfig(), today=TODAY, engine=engine) for engine in ENGINES)
    pd.testing.assert_frame_equal(fast.weekly, plain.weekly, check_exact=False, rtol=1e-9, atol=1e-5)  # DuckDB sums lines rounded to 6 places
    pd.testing.assert_frame_equal(fast.store_days, plain.store_days)
    assert fast.pos_report.counts == plain.pos_report.counts
    assert fast.pos_report.files == plain.pos_report.files
    assert fast.warnings == plain.warnings


@pytest.mark.slow
def test_engines_agree_on_the_sample_chain() -> None:
    assert_same_chain(SAMPLE)


def test_engines_agree_on_messy_files(tmp_path: Path) -> None:
    folder = copy_chain(tmp_path)
    german = "Datum;Filiale;Artikelnummer;Menge;Umsatz\r\n16.11.2026;S1;000202;1.200;1.548,00\r\n17.11.2026;S1;000101;2;2,58\r\n"
    (folder / "pos" / "S1" / "thousands.csv").write_text(german, encoding="utf-8")
    (folder / "pos" / "S1" / "ansi.csv").write_bytes("date,store,sku,units,revenue,Kassierer\n2026-11-18,S1,000101,1,1.29,Jürgen\n".encode("cp1252"))
    (folder / "pos" / "S1" / "quoted.csv").write_text('date,store,sku,units,revenue\n2026-11-19,S1,"000101",3,"3.87"\n\n')
    assert_same_chain(folder)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_each_file_is_read_in_the_one_date_format_all_its_lines_fit(tmp_path: Path, engine: str) -> None:
    folder = copy_chain(tmp_path)
    header = "date,store,sku,units,revenue\n"
    files = {
        "us.csv": ["11/15/2026", "11/20/2026"],  # a day above 12 in second place: month first
        "week_day_first.csv": ["01/07/2026", "06/07/2026"],  # either way; day first spans 5 days, month first 5 months
        "week_month_first.csv": ["07/08/2026", "07/12/2026"],  # either way; month first spans 4 days
        "two_digit_year.csv": ["16.11.26", "17.11.26"],
    }

    def s1_days() -> set[str]:
        days = load_chain(folder, PlanConfig(), today=TODAY, engine=engine).store_days
        return set(days.loc[days["store_id"] == "S1", "date"].dt.strftime("%Y-%m-%d"))

    before = s1_days()
    for name, days in files.items():
        (folder / "pos" / "S1" / name).write_text(header + "".join(f"{d},S1,000101,1,1.29\n" for d in days), encoding="utf-8")
    assert s1_days() - before == {"2026-11-15", "2026-11-20", "2026-07-01", "2026-07-06", "2026-07-08", "2026-07-12", "2026-11-16", "2026-11-17"}
    assert_same_chain(folder)


def test_fast_path_takes_clean_files_and_leaves_the_rest_to_the_careful_reader(tmp_path: Path) -> None:
    clean = tmp_path / "clean.csv"
    clean.write_text("date,store,sku,units,revenue\n2026-11-16,S1,000101,2,2.58\n2026-11-17,S1,000101,-1,-1.29\n")
    also_clean = tmp_path / "also_clean.csv"
    also_clean.write_text("date,store,sku,units,revenue\n2026-11-18,S1,000101,4,5.16\n")
    thousands = tmp_path / "thousands.csv"
    thousands.write_text("Datum;Filiale;Artikelnummer;Menge;Umsatz\n16.11.2026;S1;000101;1.200;1.548,00\n")
    unknown_store = tmp_path / "unknown.csv"
    unknown_store.write_text("date,store,sku,units,revenue\n2026-11-16,S9,000101,2,2.58\n")
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("date,store,sku,units,revenue\n2026-11-16,S1,000101,2\n")
    files = [clean, also_clean, thousands, unknown_store, ragged]
    pending = [PendingFile(path, path.name, *fingerprint(path)) for path in files]
    duck = DuckLines({"S1"}, TODAY, "0" * 64)
    taken = duck.add_files(pending, {})
    assert sorted(taken) == ["also_clean.csv", "clean.csv"]
    assert taken["clean.csv"].lines == 2 and taken["clean.csv"].stores == ["S1"]
    assert duck.con.execute("SELECT count(*), sum(units) FROM lines").fetchall() == [(3, 5.0)]


@pytest.mark.parametrize("engine", ENGINES)
def test_parquet_exports_read_like_csv(tmp_path: Path, engine: str) -> None:
    folder = copy_chain(tmp_path)
    csv_chain = load_chain(folder, PlanConfig(), today=TODAY, engine=engine)
    source = folder / "pos" / "S1" / "2026.csv"
    lines = pd.read_csv(source, dtype=str)
    typed = lines.assign(**{c: pd.to_numeric(lines[c]) for c in lines.columns if c in ("units", "revenue")})
    typed[lines.columns[0]] = pd.to_datetime(lines[lines.columns[0]])
    typed.to_parquet(source.with_suffix(".parquet"), index=False)
    source.unlink()
    parquet_chain = load_chain(folder, PlanConfig(), today=TODAY, engine=engine)
    pd.testing.assert_frame_equal(csv_chain.weekly, parquet_chain.weekly, check_exact=False, rtol=1e-9, atol=1e-5)  # DuckDB sums lines rounded to 6 places
