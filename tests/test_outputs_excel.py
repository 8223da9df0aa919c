"""plan.xlsx opens with openpyxl, has the expected sheets, matches plan.csv, and never holds a formula from data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import TODAY
from openpyxl import Workbook, load_workbook

from planner import PlanConfig, run_week
from planner.outputs.excel import EUR
from planner.outputs.sheetrows import BulkRows, ColumnStyle, save_with_rows

DATA = Path(__file__).parent / "data"
HOSTILE = ['=HYPERLINK("http://evil.example","click")', "+49 Brot", "-20% Aktion Milch", "@SUM(A1:A9)"]
SHEETS = ["Summary", "Core", "Store plans", "Changes", "Local profile", "Run"]


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("hostile") / "chain"
    shutil.copytree(DATA / "chain", folder)
    products = pd.read_csv(folder / "products.csv", dtype=str)
    products["name"] = HOSTILE
    products.to_csv(folder / "products.csv", index=False)
    stores = pd.read_csv(folder / "stores.csv", dtype=str)
    stores.loc[0, "name"] = "=1+1"
    stores.to_csv(folder / "stores.csv", index=False)
    out = folder.parent / "out"
    return run_week(folder, out, PlanConfig(), today=TODAY)


def test_workbook_has_the_expected_sheets_and_tables(hostile_run) -> None:
    workbook = load_workbook(hostile_run.out_dir / "plan.xlsx")
    assert workbook.sheetnames == SHEETS
    for name in SHEETS[:-1]:
        sheet = workbook[name]
        assert sheet.freeze_panes == "A4"
        assert len(sheet.tables) == 1
        assert sheet.page_setup.orientation == "landscape"
    assert len(workbook["Summary"]._charts) == 1


def test_text_from_data_never_becomes_a_formula(hostile_run) -> None:
    workbook = load_workbook(hostile_run.out_dir / "plan.xlsx")
    seen = set()
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r}"
                if cell.value in HOSTILE or cell.value == "=1+1":
                    assert cell.data_type == "s"
                    seen.add(cell.value)
    assert "=1+1" in seen
    assert seen & set(HOSTILE)


def test_store_plans_sheet_matches_plan_csv(hostile_run) -> None:
    plan = pd.read_csv(hostile_run.out_dir / "plan.csv", dtype={"store_id": str, "sku": str})
    sheet = load_workbook(hostile_run.out_dir / "plan.xlsx")["Store plans"]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    header, body = rows[0], rows[1:]
    table = pd.DataFrame(body, columns=header)
    assert len(table) == len(plan)
    assert list(table["SKU"]) == list(plan["sku"])
    assert list(table["Store"]) == list(plan["store_id"])
    assert table["Profit / week"].to_numpy() == pytest.approx(plan["expected_profit_per_week"].to_numpy(), abs=1e-3)
    assert list(table["Reason"]) == list(plan["reason"])


def test_summary_sheet_matches_summary_json(hostile_run) -> None:
    sheet = load_workbook(hostile_run.out_dir / "plan.xlsx")["Summary"]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    table = pd.DataFrame(rows[1:3], columns=rows[0]).set_index("Store")
    for store_id, figures in hostile_run.summary["stores"].items():
        assert table.at[store_id, "Profit / week"] == pytest.approx(figures["expected_profit_per_week"], abs=0.01)
        assert table.at[store_id, "Shelf capacity"] == figures["shelf_capacity"]


def test_bulk_rows_read_back_with_their_types_formats_and_quote_prefix(tmp_path: Path) -> None:
    """The rows spliced into the sheet XML read back as openpyxl would have written them."""
    frame = pd.DataFrame({
        "name": ["Milch & <Brot>", "=1+1", "  padded ", "bell\x07", None],
        "expected_profit_per_week": [1.5, float("nan"), float("inf"), -2.25, 1e-7],
        "stores": pd.array([3, None, 0, 12, 7], dtype="Int64"),
        "fresh": [True, False, True, False, True],
        "forced": ["", "core", None, 4, 2.5],
    })
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Data"
    sheet.cell(row=1, column=1, value="header")
    styles = []
    for col, number_format in enumerate(["@", EUR, "0", "General", "General"], start=1):
        plain, quoted = sheet.cell(row=2, column=col), sheet.cell(row=3, column=col)
        plain.number_format = quoted.number_format = number_format
        quoted.quotePrefix = True
        styles.append(ColumnStyle(plain.style_id, quoted.style_id))
    sheet.delete_rows(2, 2)
    sheet.cell(row=7, column=1, value="after")
    save_with_rows(workbook.save, tmp_path / "bulk.xlsx", [BulkRows("Data", frame, 2, styles, [None, 30.0, None, None, None])])

    back = load_workbook(tmp_path / "bulk.xlsx")["Data"]
    values = [list(row) for row in back.iter_rows(min_row=2, max_row=6, values_only=True)]
    assert values == [
        ["Milch & <Brot>", 1.5, 3, True, None],
        ["=1+1", None, None, False, "core"],
        ["  padded ", None, 0, True, None],
        ["bell", -2.25, 12, False, 4],
        [None, 1e-7, 7, True, 2.5],
    ]
    assert back["A3"].data_type == "s" and back["A3"].quotePrefix and not back["A2"].quotePrefix
    assert back["B2"].number_format == EUR and back["C2"].number_format == "0"
    assert back.row_dimensions[3].height == 30
    assert back["A1"].value == "header" and back["A7"].value == "after"
    assert back.dimensions == "A1:E7"
