"""Messy but valid POS exports are read exactly; what is set aside is counted and reported."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from planner import InputError, PlanConfig, load_chain
from planner.config import PosConfig
from planner.inputs.parse import parse_date, parse_number

DATA = Path(__file__).parent / "data"
TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("text", "decimal_comma", "value"),
    [("12.5", False, 12.5), ("12,5", True, 12.5), ("12,5", False, 12.5), ("1.234,56", True, 1234.56),
     ("1,234.56", False, 1234.56), ("1,234", False, 1234.0), ("1,234", True, 1.234), ("-3", False, -3.0),
     (" 7 ", False, 7.0), ("1 234,5", True, 1234.5), ("12.5kg", False, None), ("", False, None)],
)
def test_numbers_in_till_formats(text: str, decimal_comma: bool, value: float | None) -> None:
    parsed = parse_number(pd.Series([text]), decimal_comma=decimal_comma).iloc[0]
    assert (pd.isna(parsed) and value is None) or parsed == value


@pytest.mark.parametrize("text", ["2026-03-09", "09.03.2026", "09/03/2026", "2026-03-09 14:31:05", "2026-03-09T14:31"])
def test_dates_in_till_formats(text: str) -> None:
    assert parse_date(pd.Series([text])).values.iloc[0] == pd.Timestamp("2026-03-09")


def chain_with_pos(tmp_path: Path, name: str, raw: bytes) -> Path:
    folder = tmp_path / "chain"
    shutil.copytree(DATA / "chain", folder)
    (folder / "pos" / "S1" / name).write_bytes(raw)
    return folder


def week_units(chain, store: str, sku: str, week: str) -> float:
    weekly = chain.weekly
    row = weekly[(weekly["store_id"] == store) & (weekly["sku"] == sku) & (weekly["week_start"] == pd.Timestamp(week))]
    return float(row["units"].sum())


def test_german_windows_export_with_bom_quotes_and_crlf(tmp_path: Path) -> None:
    text = (
        "\ufeffBuchungsdatum;Markt;Artikel-Nr.;Stück;Umsatz EUR;Kassierer\r\n"
        "16.11.2026;S1;000202;1.200;1.548,00;\"Müller; Jörg\"\r\n"
        "17.11.2026;S1;000202;-2;-2,58;Weiß\r\n"
        "\r\n"
    )
    folder = chain_with_pos(tmp_path, "extra.csv", text.encode("utf-8"))
    chain = load_chain(folder, PlanConfig(), today=TODAY)
    assert week_units(chain, "S1", "000202", "2026-11-16") == 1198.0
    assert chain.pos_report.counts.return_lines == 1 and chain.pos_report.counts.return_units == 2.0
    assert any("1 blank lines ignored" in w for w in chain.warnings)


def test_windows_1252_file_is_read(tmp_path: Path) -> None:
    text = "Datum;Filiale;Artikelnummer;Menge;Umsatz;Bemerkung\n16.11.2026;S1;000202;3;3,87;Größe ß\n"
    folder = chain_with_pos(tmp_path, "cp1252.csv", text.encode("cp1252"))
    chain = load_chain(folder, PlanConfig(), today=TODAY)
    info = next(i for i in chain.pos_report.files if i.file.endswith("cp1252.csv"))
    assert info.encoding == "windows-1252" and info.separator == ";"
    assert week_units(chain, "S1", "000202", "2026-11-16") == 3.0


def test_unknown_headers_can_be_mapped_in_the_config(tmp_path: Path) -> None:
    text = "Tag,Laden,Code,Stk,Wert\n2026-11-16,S1,000202,4,5.16\n"
    folder = chain_with_pos(tmp_path, "odd.csv", text.encode())
    with pytest.raises(InputError, match=r"odd\.csv line 1: expected column\(s\) store_id, sku"):
        load_chain(folder, PlanConfig(), today=TODAY)
    mapping = PlanConfig(pos=PosConfig(columns={"Laden": "store_id", "Code": "sku", "Stk": "units", "Wert": "revenue"}))
    chain = load_chain(folder, mapping, today=TODAY)
    assert week_units(chain, "S1", "000202", "2026-11-16") == 4.0


def test_unknown_skus_are_counted_and_left_out(tmp_path: Path) -> None:
    text = "date,store_id,sku,units,revenue\n2026-11-16,S1,999999,5,5.00\n2026-11-17,S1,999999,1,1.00\n2026-11-16,S1,000202,2,2.58\n"
    folder = chain_with_pos(tmp_path, "unknown.csv", text.encode())
    chain = load_chain(folder, PlanConfig(), today=TODAY)
    assert chain.pos_report.counts.unknown_skus == {"999999": 2}
    assert chain.pos_report.counts.unknown_sku_units == 6.0
    assert not (chain.weekly["sku"] == "999999").any()
    assert any("2 lines (6 units) name SKUs missing from products.csv" in w for w in chain.warnings)


@pytest.mark.slow
def test_a_file_delivered_twice_is_counted_once(tmp_path: Path) -> None:
    folder = tmp_path / "chain"
    shutil.copytree(DATA / "chain", folder)
    single = load_chain(folder, PlanConfig(), today=TODAY)
    shutil.copyfile(folder / "pos/S1/2026.csv", folder / "pos/S1/2026 (copy).csv")
    double = load_chain(folder, PlanConfig(), today=TODAY)
    pd.testing.assert_frame_equal(single.weekly, double.weekly)
    assert any("not read again, same content as pos/S1/" in w for w in double.warnings)


def test_leading_zeros_survive_and_weekly_totals_equal_daily_sums(tmp_path: Path) -> None:
    chain = load_chain(DATA / "chain", PlanConfig(), today=TODAY)
    assert set(chain.products["sku"]) == {"000101", "000102", "000201", "000202"}
    raw = pd.read_csv(DATA / "chain/pos/S1/2026.csv", dtype={"sku": str})
    daily = raw[raw["sku"] == "000101"]["units"].sum()
    assert chain.weekly.query("store_id == 'S1' and sku == '000101'")["units"].sum() == daily


def test_errors_name_the_column_as_the_till_wrote_it(tmp_path: Path) -> None:
    text = "Datum;Filiale;Artikelnummer;Menge;Umsatz\n16.11.2026;S1;000202;zwei;2,58\n"
    folder = chain_with_pos(tmp_path, "kasse.csv", text.encode())
    with pytest.raises(InputError, match=r"pos/S1/kasse\.csv line 2, column Menge \(units\): expected a number from -1,000,000 to 1,000,000, found 'zwei'"):
        load_chain(folder, PlanConfig(), today=TODAY)


def test_pos_data_with_no_known_product_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "chain"
    shutil.copytree(DATA / "chain", folder)
    for path in (folder / "pos").rglob("*.csv"):
        path.unlink()
    (folder / "pos" / "S1" / "x.csv").write_text("date,store_id,sku,units,revenue\n2026-11-16,S1,777777,1,1.00\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"pos/: expected POS lines for products in products\.csv.*found '1 lines'"):
        load_chain(folder, PlanConfig(), today=TODAY)
