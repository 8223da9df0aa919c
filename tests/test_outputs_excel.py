"""plan.xlsx opens with openpyxl, has the expected sheets, matches plan.csv, never holds a formula from
data, and prints each store on its own legible pages."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import TODAY, configured
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string, get_column_letter

from planner import run_week
from planner.cli import cli
from planner.outputs.excel import EUR, REASON_WIDTH, tables_workbook, write_workbook
from planner.outputs.files import CUT_MARK, EXCEL_CELL_CHARACTERS, csv_safe

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
    with pytest.MonkeyPatch.context() as patch:  # a database belongs to one data folder
        patch.setenv("PLANNER_DATABASE_URL", f"sqlite:///{folder.parent / 'planner.db'}")
        return run_week(folder, out, configured(), today=TODAY)


def test_workbook_has_the_expected_sheets_and_tables(hostile_run) -> None:
    workbook = load_workbook(hostile_run.out_dir / "plan.xlsx")
    assert workbook.sheetnames == SHEETS
    for name in SHEETS[:-1]:
        sheet = workbook[name]
        assert sheet.freeze_panes == "A4"
        assert len(sheet.tables) == 1
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


def _sheet_table(path: Path, name: str) -> pd.DataFrame:
    """A plan.xlsx table read back with openpyxl: header in row 3, data below it."""
    sheet = load_workbook(path)[name]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


def test_summary_sheet_matches_summary_json(hostile_run) -> None:
    table = _sheet_table(hostile_run.out_dir / "plan.xlsx", "Summary").set_index("Store")
    stores = hostile_run.summary["stores"]
    for store_id, figures in stores.items():
        assert table.at[store_id, "Name"] == figures["name"]
        assert table.at[store_id, "Profit / week"] == pytest.approx(figures["expected_profit_per_week"], abs=0.01)
        assert table.at[store_id, "Shelf use"] == pytest.approx(figures["shelf_used"] / figures["shelf_capacity"], abs=1e-4)
        assert table.at[store_id, "Add-ons"] == figures["addon_items"]
        for baseline, header in [("current", "today"), ("uniform", "uniform"), ("greedy", "greedy")]:
            assert table.at[store_id, f"Uplift vs {header} / week"] == pytest.approx(figures["uplift_per_week"][baseline], abs=0.01)
    chain = table.loc["Chain"]
    assert chain["Profit / week"] == pytest.approx(hostile_run.summary["quality"]["expected_profit_per_week"], abs=0.005)
    assert chain["Adds this week"] == sum(f["adds_this_week"] for f in stores.values())
    assert pd.isna(chain["Weeks to target"])  # weeks are not added up over stores


def test_one_chain_figure_in_the_summary_row_summary_json_and_the_command_line(tmp_path: Path) -> None:
    """With a chain listing cost, the Chain row is not the sum of the store rows: it is the chain's
    expected profit and uplifts after that cost, the same figures as summary.json and the CLI's."""
    folder = tmp_path / "chain"
    shutil.copytree(DATA / "chain", folder)
    (folder / "planning.toml").write_text("[costs]\nlisting_cost_per_product = 2.5\n", encoding="utf-8")
    out = tmp_path / "out"
    printed = CliRunner().invoke(cli, ["run", str(folder), "--out", str(out), "--week", "2026-W48"])
    assert printed.exit_code == 0, printed.output
    quality = json.loads((out / "summary.json").read_text())["quality"]
    assert quality["listing_cost_per_week"] > 0
    done = re.search(r"done: \w+ plan, EUR ([\d,.]+) expected profit per week", printed.output)
    assert float(done[1].replace(",", "")) == pytest.approx(quality["expected_profit_per_week"], abs=0.005)
    table = _sheet_table(out / "plan.xlsx", "Summary").set_index("Store")
    chain, stores = table.loc["Chain"], table.drop(index="Chain").dropna(subset=["Name"])
    assert chain["Profit / week"] == pytest.approx(quality["expected_profit_per_week"], abs=0.005)
    assert chain["Profit / week"] == pytest.approx(stores["Profit / week"].sum() - quality["listing_cost_per_week"], abs=0.01)
    for baseline, header in [("current", "today"), ("uniform", "uniform"), ("greedy", "greedy")]:
        assert chain[f"Uplift vs {header} / week"] == pytest.approx(quality["uplift_per_week"][baseline], abs=0.005)


def test_core_changes_and_profile_sheets_match_the_csv_files(hostile_run) -> None:
    out = hostile_run.out_dir
    ids = {"store_id": str, "sku": str}
    plan = pd.read_csv(out / "plan.csv", dtype=ids)
    core = _sheet_table(out / "plan.xlsx", "Core").set_index("SKU")
    expected = plan[plan["role"] == "core"].groupby("sku")["expected_profit_per_week"].sum()
    assert set(core.index) == set(expected.index)
    assert core["Chain profit / week"].to_numpy() == pytest.approx(expected.reindex(core.index).to_numpy(), abs=1e-3)
    roles = _sheet_table(out / "plan.xlsx", "Store plans")["Role"]
    assert list(roles) == list(plan["role"].replace({"addon": "add-on"}))  # words for people, codes in plan.csv

    changes = pd.read_csv(out / "changes.csv", dtype=ids, keep_default_na=False)
    sheet = _sheet_table(out / "plan.xlsx", "Changes")
    assert list(zip(sheet["Store"], sheet["SKU"], sheet["Change"], strict=True)) == list(
        zip(changes["store_id"], changes["sku"], changes["change"], strict=True))
    assert sheet["Profit impact / week"].to_numpy() == pytest.approx(changes["profit_impact_per_week"].to_numpy(), abs=1e-3)
    assert list(sheet["Reason"]) == list(changes["reason"])
    assert list(sheet["Required by"].fillna("")) == list(changes["forced"])

    index = pd.read_csv(out / "local_index.csv", dtype={"store_id": str, "value": str})
    profile = _sheet_table(out / "plan.xlsx", "Local profile")
    products = profile[profile["Dimension"] == "product"]
    attributes = profile[profile["Dimension"] != "product"]
    shown = index[index["expected_units"] > 0].set_index(["store_id", "dimension", "value"])["index"]
    assert len(attributes) == len(shown)
    keys = pd.MultiIndex.from_frame(attributes[["Store", "Dimension", "Value"]].astype(str))
    assert attributes["Index"].to_numpy() == pytest.approx(shown.reindex(keys).to_numpy(), abs=1e-3)
    planned = plan.set_index(["store_id", "sku"])["local_index"]
    product_keys = pd.MultiIndex.from_arrays([products["Store"], products["Value"].str.split(" ").str[0]])
    carried = product_keys.isin(planned.index)
    assert len(products) > 0 and carried.any()
    assert products["Index"].to_numpy()[carried] == pytest.approx(planned.reindex(product_keys[carried]).to_numpy(), abs=1e-3)


def test_run_sheet_reports_the_solver_and_the_files(hostile_run) -> None:
    sheet = load_workbook(hostile_run.out_dir / "plan.xlsx")["Run"]
    rows = {key: value for key, value in sheet.iter_rows(min_row=3, max_col=2, values_only=True) if key}
    summary = hostile_run.summary
    assert rows["Solver"] == summary["solver"]
    assert rows["Status"] == summary["status"]
    assert rows["Objective (EUR / week)"] == pytest.approx(summary["objective"], abs=0.01)
    assert rows["Recomputed from plan (EUR / week)"] == pytest.approx(summary["objective"], abs=0.01)
    assert rows["POS files read"] == summary["data"]["pos_files"]
    assert sum(key.startswith("file: ") for key in rows) == summary["data"]["pos_files"]


def test_table_rows_read_back_with_their_types_formats_and_quote_prefix() -> None:
    """The rows of a table read back with their types and number formats: text as text, quote-prefixed
    where it looks like a formula, without the characters an xlsx file cannot hold; a missing value
    (None, NaN, infinite, "") is an absent cell; wrapped text gets a taller row."""
    frame = pd.DataFrame({
        "name": ["Milch & <Brot>", "\x01=1+1", "  padded ", "bell\x07\ufffe", None],
        "expected_profit_per_week": [1.5, float("nan"), float("inf"), -2.25, 1e-7],
        "stores": pd.array([3, None, 0, 12, 7], dtype="Int64"),
        "fresh": [True, False, True, False, True],
        "forced": ["", "core", None, 4, 2.5],
        "reason": ["kurz", "lang " * 40, "kurz", "kurz", "kurz"],
    })
    back = load_workbook(io.BytesIO(tables_workbook({"Data": ("header", frame)})))["Data"]
    values = [list(row) for row in back.iter_rows(min_row=4, max_row=8, max_col=5, values_only=True)]
    assert values == [
        ["Milch & <Brot>", 1.5, 3, True, None],
        ["=1+1", None, None, False, "core"],
        ["  padded ", None, 0, True, None],
        ["bell", -2.25, 12, False, 4],
        [None, 1e-7, 7, True, 2.5],
    ]
    assert back["A5"].data_type == "s" and back["A5"].quotePrefix and not back["A4"].quotePrefix
    assert back["B4"].number_format == EUR and back["C4"].number_format == "0"
    assert back.row_dimensions[5].height >= 30 and back.row_dimensions[4].height is None
    assert back["A1"].value == "header" and back["A3"].value == "Name"
    assert back.dimensions == "A1:F8"


def test_the_store_csv_download_cannot_carry_a_formula() -> None:
    frame = pd.DataFrame({"name": ["=HYPERLINK(\"x\")", "Milch", "+49", None], "units": [1.0, -2.0, 3.0, 4.0]})
    safe = csv_safe(frame)
    assert list(safe["name"])[:3] == ["'=HYPERLINK(\"x\")", "Milch", "'+49"] and pd.isna(safe["name"].iloc[3])
    assert list(safe["units"]) == [1.0, -2.0, 3.0, 4.0]


def test_no_csv_output_holds_formula_like_text(hostile_run) -> None:
    """Every CSV the planner writes, read back raw: a cell starting with = + - @ tab or CR is a number;
    read back as the planner reads it, the hostile names are intact."""
    from click.testing import CliRunner

    from planner.cli import cli
    from planner.outputs.files import read_output_csv

    data = hostile_run.out_dir.parent / "chain"
    backtests = []
    for option, name in ((["--holdout-weeks", "4"], "forecast.csv"), (["--decisions", "--cut-weeks", "4"], "decisions.csv")):
        result = CliRunner().invoke(cli, ["backtest", str(data), *option, "--out", str(hostile_run.out_dir / name)])
        assert result.exit_code == 0, result.output
        backtests.append(hostile_run.out_dir / name)
    files = [hostile_run.out_dir / f for f in ("plan.csv", "changes.csv", "local_index.csv")] + backtests
    for path in files:
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                for value in row:
                    if value.startswith(("=", "+", "-", "@", "\t", "\r")):
                        float(value)  # a number such as -2.5 is fine; text here would be a formula
    plan = read_output_csv(hostile_run.out_dir / "plan.csv", dtype={"store_id": str, "sku": str})
    raw = pd.read_csv(hostile_run.out_dir / "plan.csv", dtype={"store_id": str, "sku": str})
    names = set(plan["name"])
    assert names & set(HOSTILE) and not set(raw["name"]) & set(HOSTILE)
    assert {f"'{n}" for n in names & set(HOSTILE)} <= set(raw["name"])
    assert read_output_csv(hostile_run.out_dir / "changes.csv")["name"].isin([*HOSTILE, *names]).all()


def test_the_csv_guard_reads_back_exactly(tmp_path: Path) -> None:
    from planner.outputs.files import read_output_csv, write_csv

    frame = pd.DataFrame({"text": ["=1+1", "'=quoted", "'plain", "plain", "-5 %", "@x", None], "number": [-1.5, 2, 3, -4, 5, 6, 7]})
    path = tmp_path / "f.csv"
    write_csv(frame, path)
    back = read_output_csv(path)
    assert list(back["text"][:6]) == list(frame["text"][:6]) and pd.isna(back["text"].iloc[6])
    assert list(back["number"]) == list(frame["number"])


def test_a_cell_longer_than_excel_holds_is_cut_with_a_mark() -> None:
    frame = pd.DataFrame({"text": ["x" * 40_000, "short", "\U0001F34E" * 20_000]})  # an apple takes two of Excel's characters
    back = load_workbook(io.BytesIO(tables_workbook({"Data": ("long", frame)})))["Data"]
    assert len(back["A4"].value) == EXCEL_CELL_CHARACTERS and back["A4"].value.endswith(CUT_MARK)
    assert back["A5"].value == "short"
    apples = back["A6"].value
    assert apples.endswith(CUT_MARK) and len(apples.encode("utf-16-le")) // 2 <= EXCEL_CELL_CHARACTERS


def test_a_name_longer_than_an_excel_cell_is_warned_about_and_cut_in_the_workbook(tmp_path: Path) -> None:
    folder = tmp_path / "chain"
    shutil.copytree(DATA / "chain", folder)
    products = pd.read_csv(folder / "products.csv", dtype=str)
    long_name = "Bio Vollkornbrot " * 2_500  # 42,500 characters
    products.loc[0, "name"] = long_name
    products.to_csv(folder / "products.csv", index=False)
    result = run_week(folder, tmp_path / "out", configured(), today=TODAY)
    assert any(
        "products.csv: column 'name' holds 1 texts longer than the 32,767 characters an Excel cell holds (line 2)" in w
        for w in result.chain.warnings
    )
    names = [row[2].value for row in load_workbook(result.out_dir / "plan.xlsx")["Store plans"].iter_rows() if row[1].value == products.loc[0, "sku"]]
    assert names and all(len(n) == EXCEL_CELL_CHARACTERS and n.endswith(CUT_MARK) for n in names)
    plan = pd.read_csv(result.out_dir / "plan.csv")
    assert (plan.loc[plan["sku"] == products.loc[0, "sku"], "name"] == long_name).all()


# Printing, checked independently of outputs.printing: A4 in points, and the printed width of one unit
# of column width at 100 %: Excel measures it in Calibri 11 as 7 px (5.25 pt), LibreOffice with Carlito
# (Calibri's metric twin) as 5.57 pt, LibreOffice with DejaVu Sans standing in for Calibri as 7.3 pt.
A4_LANDSCAPE, A4_PORTRAIT = 841.89, 595.28
CALIBRI_UNIT_PT, STAND_IN_UNIT_PT = 5.58, 7.3
PER_STORE_SHEETS = ["Store plans", "Changes", "Local profile"]
# the order CT_Worksheet (ECMA-376) gives the children of <worksheet>; Excel repairs a file that breaks it
WORKSHEET_ORDER = ["sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr", "sheetProtection",
                   "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate", "customSheetViews", "mergeCells",
                   "phoneticPr", "conditionalFormatting", "dataValidations", "hyperlinks", "printOptions", "pageMargins", "pageSetup",
                   "headerFooter", "rowBreaks", "colBreaks", "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing",
                   "legacyDrawing", "legacyDrawingHF", "picture", "oleObjects", "controls", "webPublishItems", "tableParts", "extLst"]


def _width(sheet, letter: str) -> float:
    """A column's width; openpyxl files a <col min= max=> range of columns under its first letter only."""
    index = column_index_from_string(letter)
    return next(d.width for d in sheet.column_dimensions.values() if d.min <= index <= d.max)


def _printed(sheet) -> tuple[float, float, float]:
    """(printable width in points, sheet width in points at 100 % in Calibri, the printed scale)."""
    paper = A4_LANDSCAPE if sheet.page_setup.orientation == "landscape" else A4_PORTRAIT
    printable = paper - 72 * (sheet.page_margins.left + sheet.page_margins.right)
    units = sum(_width(sheet, get_column_letter(c)) for c in range(1, sheet.max_column + 1))
    if sheet.sheet_properties.pageSetUpPr.fitToPage:
        assert (sheet.page_setup.fitToWidth or 1, sheet.page_setup.fitToHeight) == (1, 0)  # absent: the schema's 1
        # fit to width shrinks with the font the printer measures in: legible even with the wide stand-in
        return printable, units * CALIBRI_UNIT_PT, min(1.0, printable / (units * STAND_IN_UNIT_PT))
    return printable, units * CALIBRI_UNIT_PT, (sheet.page_setup.scale or 100) / 100  # absent: the schema's 100


def test_each_store_prints_on_its_own_legible_pages(sample_run) -> None:
    """Every sheet of the sample plan: A4, landscape only where wider than a portrait page, the smallest
    text >= 8 pt as printed, one page wide in Calibri, wrapped text with room; on the per-store sheets
    a page break at every change of store, header row and store column on every page."""
    path = sample_run.out_dir / "plan.xlsx"
    workbook = load_workbook(path)
    title = workbook["Summary"]["A1"].value
    assert sample_run.summary["run"]["week"] in title  # the planned week, in the header of every page
    for sheet in workbook.worksheets:
        assert sheet.page_setup.paperSize == 9  # A4
        printable, width, scale = _printed(sheet)
        assert (sheet.page_setup.orientation == "landscape") == (width > A4_PORTRAIT - 72 * 0.5), sheet.title
        assert width * scale <= printable + 1, f"{sheet.title} is wider than a page at {scale:.0%}"
        sizes = {cell.font.sz or 11 for row in sheet.iter_rows() for cell in row if cell.value is not None}
        assert min(sizes) * scale >= 8, f"{sheet.title}: {min(sizes)} pt text prints at {min(sizes) * scale:.1f} pt"
        assert (sheet.oddHeader.left.text, sheet.oddHeader.center.text) == ("&A", title)
        assert sheet.oddFooter.center.text == "Page &P of &N"
        assert not sheet.HeaderFooter.scaleWithDoc
        if sheet.title != "Run":
            assert sheet.print_title_rows == "$3:$3"
            assert any("A1" in str(merged) for merged in sheet.merged_cells.ranges)  # the title wraps within the table
        breaks = [b.id for b in sheet.row_breaks.brk]
        if sheet.title in PER_STORE_SHEETS:
            stores = [row[0] for row in sheet.iter_rows(min_row=4, max_col=1, values_only=True)]
            changes = [4 + i for i in range(1, len(stores)) if stores[i] != stores[i - 1]]
            assert len(set(stores)) == 3 and breaks == [row - 1 for row in changes]  # a break after the row before each store
            assert sheet.print_title_cols == "$A:$A"
        else:
            assert breaks == []
    plans = workbook["Store plans"]
    reasons = [(row[12].value, plans.row_dimensions[row[12].row].height) for row in plans.iter_rows(min_row=4)]
    assert _width(plans, "M") <= REASON_WIDTH and plans["M4"].alignment.wrap_text
    assert all(height and height >= 30 for text, height in reasons if len(text) > 1.2 * _width(plans, "M"))
    labels = set(_sheet_table(path, "Local profile").query("Dimension == 'organic'")["Value"])
    assert labels == {"organic", "not organic"}


def test_printed_sheets_are_valid_ooxml(sample_run) -> None:
    """The print settings sit where the schema puts them, in every sheet, also the big ones."""
    with zipfile.ZipFile(sample_run.out_dir / "plan.xlsx") as package:
        sheets = [name for name in package.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", name)]
        workbook = package.read("xl/workbook.xml").decode()
        assert workbook.count('name="_xlnm.Print_Titles"') == len(sheets) - 1  # all but Run
        for name in sheets:
            xml = package.read(name).decode()
            children = re.findall(r"<(?:\w+:)?(\w+)\b", xml.split(">", 2)[2])
            top = [tag for tag in dict.fromkeys(children) if tag in WORKSHEET_ORDER]
            assert top == sorted(top, key=WORKSHEET_ORDER.index), name
            assert {"pageMargins", "pageSetup", "headerFooter"} <= set(top), name
        plans = package.read("xl/worksheets/sheet3.xml").decode()
        assert plans.index("</sheetData>") < plans.index("<rowBreaks") and plans.count("<row ") > 800


def test_the_header_argument_and_yes_no_attributes_print_as_words(tmp_path: Path) -> None:
    stores = pd.DataFrame({"store_id": ["S1", "S2"], "name": ["Markt Mitte", "Markt Nord"], "expected_profit_per_week": [10.0, 20.0]})
    plan = pd.DataFrame({"store_id": ["S1", "S1", "S2"], "sku": ["001", "002", "001"], "name": ["Milch", "Brot", "Milch"],
                         "expected_profit_per_week": [1.0, 2.0, 3.0], "reason": ["kurz", "lang " * 60, "kurz"]})
    profile = pd.DataFrame({"store_id": ["S1", "S1", "S1", "S1", "S1", "S2", "S2"],
                            "dimension": ["organic", "organic", "pack_size", "pack_size", "private_label", "organic", "private_label"],
                            "value": ["1", "0", "1", "6", "Yes", "0", "no"], "index": [1.2, 0.9, 1.0, 1.0, 1.1, 1.0, 0.8]})
    sheets = {"title": "Plan", "stores": stores, "chain": {}, "notes": ["a note " * 80], "core": plan.drop(columns="store_id"), "plan": plan,
              "changes": plan.assign(change="add"), "profile": profile, "run": [("Planned week", "2026-W49")]}
    write_workbook(tmp_path / "plan.xlsx", sheets, header="Plan for 2026-W49 & W50")
    workbook = load_workbook(tmp_path / "plan.xlsx")
    assert {sheet.oddHeader.center.text for sheet in workbook.worksheets} == {"Plan for 2026-W49 && W50"}  # & doubled: not a code
    values = [row[2] for row in workbook["Local profile"].iter_rows(min_row=4, values_only=True)]
    assert values == ["organic", "not organic", "1", "6", "private label", "not organic", "not private label"]  # packs of 1 and 6
    changes = workbook["Changes"]
    assert [b.id for b in changes.row_breaks.brk] == [5]
    assert changes.row_dimensions[5].height >= 4 * 15 and _width(changes, "E") <= REASON_WIDTH
    assert workbook["Summary"].row_dimensions[8].height >= 30  # the long note (below the 2 stores and the total) wraps across the table
    download = load_workbook(io.BytesIO(tables_workbook({"Plan": ("Markt Mitte (S1): every carried product", plan.head(2))})))
    assert download["Plan"].oddHeader.center.text == "Markt Mitte (S1): every carried product"


def test_a_page_header_full_of_ampersands_stays_within_excels_255_characters() -> None:
    """Each & is doubled in the header; the cut counts the doubled length, so the header is never dropped as too long."""
    frame = pd.DataFrame({"store_id": ["S1"], "name": ["Milch"]})
    sheet = load_workbook(io.BytesIO(tables_workbook({"Plan": ("R&D " * 80, frame)})))["Plan"]
    centre = sheet.oddHeader.center.text
    assert centre.startswith("R&&D R&&D ") and centre.endswith("...")
    assert len(f"&L{sheet.oddHeader.left.text}&C{centre}") <= 255


def test_a_table_longer_than_a_sheet_goes_on_several_cut_where_a_store_begins(tmp_path: Path) -> None:
    """Excel holds 1,048,576 rows a sheet (a 300-store chain's plan has more): here 5 rows a sheet."""
    plan = pd.DataFrame({"store_id": ["S1"] * 4 + ["S2"] * 3 + ["S3"] * 7, "sku": [f"{n:03d}" for n in range(14)],
                         "name": "=HYPERLINK(1)", "expected_profit_per_week": 1.0})
    stores = pd.DataFrame({"store_id": ["S1", "S2", "S3"], "name": ["A", "B", "C"], "expected_profit_per_week": [4.0, 3.0, 7.0]})
    sheets = {"title": "Plan", "stores": stores, "chain": {}, "notes": [], "core": plan.head(0).drop(columns="store_id"), "plan": plan,
              "changes": plan.head(2).assign(change="add"), "profile": pd.DataFrame(columns=["store_id", "dimension", "value", "index"]),
              "run": [("Planned week", "2026-W49")]}
    write_workbook(tmp_path / "plan.xlsx", sheets, rows_per_sheet=5)
    workbook = load_workbook(tmp_path / "plan.xlsx")
    parts = [name for name in workbook.sheetnames if name.startswith("Store plans")]
    assert parts == ["Store plans", "Store plans (2)", "Store plans (3)", "Store plans (4)"]
    rows = [[row for row in workbook[name].iter_rows(min_row=4, values_only=True) if row[0]] for name in parts]
    assert [[row[0] for row in part] for part in rows] == [["S1"] * 4, ["S2"] * 3, ["S3"] * 5, ["S3"] * 2]  # S3 alone is too long
    assert [row[1] for part in rows for row in part] == list(plan["sku"])  # every row, once, in order
    assert workbook["Store plans (2)"]["A1"].value.endswith("(part 2 of 4)")
    assert workbook["Store plans (3)"]["C4"].value == "=HYPERLINK(1)" and workbook["Store plans (3)"]["C4"].data_type == "s"
    assert workbook["Changes"].max_row >= 5 and "Changes (2)" not in workbook.sheetnames
