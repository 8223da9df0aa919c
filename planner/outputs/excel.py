"""The head-office workbook (plan.xlsx): summary with chart, core, store plans, changes, local profile, run.

Every table is a real Excel table (filters, banded rows) with a frozen header, number formats and
a print setup (landscape, fit to width, header row repeated). Text that comes from data files is
always written as text: a product called "=HYPERLINK(...)" stays a name, never becomes a formula.
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from planner.outputs.files import atomic_write
from planner.outputs.sheetrows import (
    FORMULA_TRIGGERS,
    BulkRows,
    ColumnStyle,
    clean_text,
    save_with_rows,
)

EUR = '#,##0.00 "EUR"'
UNITS = "#,##0.0"
PERCENT = "0.0%"
INDEX = "0.00"
TITLE_FONT = Font(name="Calibri", bold=True, size=14)
NOTE_FONT = Font(name="Calibri", italic=True, color="555555")
HEADER_FONT = Font(name="Calibri", bold=True, color="FFFFFF")
BOLD_FONT = Font(name="Calibri", bold=True)
PLAIN_FONT = Font(name="Calibri")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
REASON_WIDTH = 70  # characters
TEXT_WIDTH_MAX = 50  # other text columns, characters
KEY_WIDTH_MAX = 60  # Run sheet: label column, characters
VALUE_WIDTH = 100  # Run sheet: value column, characters
NOT_ADDITIVE = {"core_items", "shelf_value", "budget_value"}  # a core counted once per store; marginal values

# column -> (header shown in Excel, number format)
COLUMNS: dict[str, tuple[str, str | None]] = {
    "store_id": ("Store", None), "name": ("Name", None), "sku": ("SKU", None), "category": ("Category", None),
    "role": ("Role", None), "change": ("Change", None), "reason": ("Reason", None), "source": ("Demand from", None),
    "expected_units_per_week": ("Units / week", UNITS), "expected_profit_per_week": ("Profit / week", EUR),
    "expected_sales_per_week": ("Sales / week", EUR), "shelf_space": ("Shelf units", "0.0"),
    "inventory_cost": ("Inventory (EUR)", EUR), "local_index": ("Local index", INDEX),
    "category_index": ("Category index", INDEX), "waste_units_per_week": ("Waste units / week", UNITS),
    "waste_cost_per_week": ("Waste / week", EUR), "profit_per_shelf_unit": ("Profit / shelf unit", EUR),
    "shelf_used": ("Shelf used", "0.0"), "shelf_capacity": ("Shelf capacity", "0"), "shelf_use": ("Shelf use", PERCENT),
    "budget_used": ("Inventory used", EUR), "inventory_budget": ("Inventory budget", EUR), "budget_use": ("Budget use", PERCENT),
    "core_items": ("Core items", "0"), "addon_items": ("Add-ons", "0"), "adds": ("Adds", "0"), "drops": ("Drops", "0"),
    "uplift_current": ("Uplift vs today / week", EUR), "uplift_uniform": ("Uplift vs uniform / week", EUR),
    "uplift_greedy": ("Uplift vs greedy / week", EUR),
    "shelf_value": ("Value of +1 shelf unit / week", EUR), "budget_value": ("Value of +1 EUR budget / week", "0.0000"),
    "profit_impact_per_week": ("Profit impact / week", EUR), "forced": ("Required by", None),
    "stores": ("Stores", "0"), "chain_units_per_week": ("Chain units / week", UNITS),
    "chain_profit_per_week": ("Chain profit / week", EUR), "fresh": ("Fresh", None), "town": ("Town", None),
    "dimension": ("Dimension", None), "value": ("Value", None), "index": ("Index", INDEX),
}


def safe_text(cell: Any, value: str) -> None:
    """Store `value` as literal text, so a leading = + - @ never makes Excel evaluate it."""
    cell.value = clean_text(value)
    cell.data_type = "s"
    if cell.value.startswith(FORMULA_TRIGGERS):
        cell.quotePrefix = True


def write_workbook(path: Path, sheets: dict[str, Any]) -> None:
    """Write plan.xlsx atomically from the tables in `sheets` (see runs.weekly for the keys)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    bulk = [
        _summary_sheet(workbook, sheets["title"], sheets["stores"], sheets["notes"]),
        _table_sheet(workbook, "Core", "Core: fresh products carried in every store", sheets["core"]),
        _table_sheet(workbook, "Store plans", "Every carried product per store, with the reason", sheets["plan"]),
        _table_sheet(workbook, "Changes", "Adds and drops against today's assortment: the list each store executes", sheets["changes"]),
        _table_sheet(workbook, "Local profile", "How each store indexes against the chain (1.00 = chain average)", sheets["profile"]),
    ]
    _color_scale(workbook["Local profile"], sheets["profile"], "index")
    _key_value_sheet(workbook, "Run", sheets["run"])
    atomic_write(path, lambda tmp: save_with_rows(workbook.save, tmp, bulk))


def tables_workbook(tables: dict[str, tuple[str, pd.DataFrame]]) -> bytes:
    """A workbook of titled tables (sheet name -> (title, frame)), formatted like plan.xlsx: the
    app's per-store downloads."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    bulk = [_table_sheet(workbook, name, title, frame) for name, (title, frame) in tables.items()]
    buffer = io.BytesIO()
    save_with_rows(workbook.save, buffer, bulk)
    return buffer.getvalue()


def _summary_sheet(workbook: Workbook, title: str, stores: pd.DataFrame, notes: list[str]) -> BulkRows:
    rows = _table_sheet(workbook, "Summary", title, stores, total_row=True)
    sheet = workbook["Summary"]
    row = len(stores) + 6
    for note in notes:
        safe_text(sheet.cell(row=row, column=1), note)
        sheet.cell(row=row, column=1).font = NOTE_FONT
        row += 1
    chart = BarChart()
    chart.type = "col"
    chart.title = "Uplift per store, EUR / week"
    chart.y_axis.title = "EUR / week"
    columns = list(stores.columns)
    for column in (c for c in columns if c.startswith("uplift_")):
        index = columns.index(column) + 1
        chart.add_data(Reference(sheet, min_col=index, min_row=3, max_row=len(stores) + 3), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=4, max_row=len(stores) + 3))
    chart.height, chart.width = 8, 18
    sheet.add_chart(chart, f"A{row + 1}")
    return rows


def _table_sheet(workbook: Workbook, name: str, title: str, frame: pd.DataFrame, *, total_row: bool = False) -> BulkRows:
    """Title in row 1, an Excel table from row 3, frozen header, formats, widths and print setup.

    openpyxl writes the title and header; the data rows are returned, to be spliced in on save."""
    sheet = workbook.create_sheet(name)
    safe_text(sheet.cell(row=1, column=1), title)
    sheet.cell(row=1, column=1).font = TITLE_FONT
    header_row = 3
    for col, column in enumerate(frame.columns, start=1):
        cell = sheet.cell(row=header_row, column=col)
        safe_text(cell, COLUMNS.get(column, (column, None))[0])
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL  # explicit, for viewers that ignore table styles
    wrapped = "reason" in frame.columns
    styles = [_column_style(sheet, header_row + 1, col, column, wrapped) for col, column in enumerate(frame.columns, start=1)]
    sheet.delete_rows(header_row + 1, 2)  # the style probes: their styles stay registered in the workbook
    last_row = header_row + max(len(frame), 1)
    ref = f"A{header_row}:{get_column_letter(len(frame.columns))}{last_row}"
    table = Table(displayName=name.replace(" ", "_"), ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    sheet.add_table(table)
    if total_row:
        _chain_total_row(sheet, frame, last_row + 1)
    _widths(sheet, frame, header_row)
    print_setup(sheet, header_row)
    heights = None
    if wrapped:  # Excel grows wrapped rows when it opens the file; LibreOffice and printing need the height
        heights = [15.0 * lines if lines > 1 else None for lines in 1 + frame["reason"].astype(str).str.len() // REASON_WIDTH]
    return BulkRows(name, frame, header_row + 1, styles, heights)


def _column_style(sheet: Worksheet, row: int, col: int, column: str, wrapped: bool) -> ColumnStyle:
    """Register a column's cell style, plain and quote-prefixed, on two probe cells (rows `row`, `row` + 1)."""
    plain, quoted = sheet.cell(row=row, column=col), sheet.cell(row=row + 1, column=col)
    for cell in (plain, quoted):
        number_format = COLUMNS.get(column, ("", None))[1]
        if number_format:
            cell.number_format = number_format
        if wrapped:
            cell.alignment = Alignment(wrap_text=column == "reason", vertical="top")
    quoted.quotePrefix = True
    return ColumnStyle(plain.style_id, quoted.style_id)


def print_setup(sheet: Worksheet, header_row: int) -> None:
    """Frozen header; printed landscape, fit to the page width, the header row on every page."""
    sheet.freeze_panes = f"A{header_row + 1}"
    page_setup(sheet)
    sheet.print_title_rows = f"{header_row}:{header_row}"


def page_setup(sheet: Worksheet) -> None:
    """A4 landscape, fit to the page width."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _chain_total_row(sheet: Worksheet, frame: pd.DataFrame, row: int) -> None:
    sheet.cell(row=row, column=1, value="Chain").font = BOLD_FONT
    for col, column in enumerate(frame.columns, start=1):
        number_format = COLUMNS.get(column, ("", None))[1]
        additive = column not in NOT_ADDITIVE and number_format != PERCENT
        if col > 1 and number_format and additive and pd.api.types.is_numeric_dtype(frame[column]):
            cell = sheet.cell(row=row, column=col, value=float(frame[column].sum()))
            cell.number_format = number_format
            cell.font = BOLD_FONT


def _widths(sheet: Worksheet, frame: pd.DataFrame, header_row: int) -> None:
    """Columns as wide as their values (text capped, reasons wrapped); long headers wrap onto two lines."""
    header_lines = 1
    for col, column in enumerate(frame.columns, start=1):
        header, number_format = COLUMNS.get(column, (column, None))
        if column == "reason":
            width = REASON_WIDTH
        elif pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(frame[column]):
            largest = float(frame[column].abs().max()) if len(frame) and frame[column].notna().any() else 0.0
            width = len(f"{largest:,.2f}") + (4 if number_format == EUR else 0) + 3
        else:
            width = min(int(frame[column].astype(str).str.len().max() or 0) + 2, TEXT_WIDTH_MAX) if len(frame) else 10
        width = max(width, max(len(word) for word in header.split()) + 2, 8)
        header_lines = max(header_lines, len(textwrap.wrap(header, width - 2)))
        sheet.column_dimensions[get_column_letter(col)].width = width
        sheet.cell(row=header_row, column=col).alignment = Alignment(wrap_text=True, vertical="center")
    if header_lines > 1:
        sheet.row_dimensions[header_row].height = 15 * header_lines


def _color_scale(sheet: Worksheet, frame: pd.DataFrame, column: str) -> None:
    if column not in frame.columns or frame.empty:
        return
    letter = get_column_letter(list(frame.columns).index(column) + 1)
    rule = ColorScaleRule(start_type="num", start_value=0.5, start_color="F8696B", mid_type="num", mid_value=1.0,
                          mid_color="FFFFFF", end_type="num", end_value=2.0, end_color="63BE7B")
    sheet.conditional_formatting.add(f"{letter}4:{letter}{len(frame) + 3}", rule)


def _key_value_sheet(workbook: Workbook, name: str, rows: list[tuple[str, Any]]) -> None:
    sheet = workbook.create_sheet(name)
    safe_text(sheet.cell(row=1, column=1), "Run report: data, parameters, solver, warnings")
    sheet.cell(row=1, column=1).font = TITLE_FONT
    for r, (key, value) in enumerate(rows, start=3):
        safe_text(sheet.cell(row=r, column=1), key)
        sheet.cell(row=r, column=1).font = BOLD_FONT if not key.startswith("  ") else PLAIN_FONT
        if isinstance(value, str):
            safe_text(sheet.cell(row=r, column=2), value)
        elif value is not None:
            sheet.cell(row=r, column=2, value=value).number_format = "#,##0" if isinstance(value, int) else "#,##0.00"
        if key.startswith("warning"):
            sheet.cell(row=r, column=2).fill = PatternFill("solid", fgColor="FFF2CC")
    key_width = min(max([len(key) for key, _ in rows] + [20]) + 2, KEY_WIDTH_MAX)
    sheet.column_dimensions["A"].width = key_width
    sheet.column_dimensions["B"].width = VALUE_WIDTH
    for r, (_, value) in enumerate(rows, start=3):
        sheet.cell(row=r, column=1).alignment = Alignment(wrap_text=True, vertical="top")
        sheet.cell(row=r, column=2).alignment = Alignment(wrap_text=True, vertical="top", horizontal="left")
        lines = max(1, -(-len(str(value)) // VALUE_WIDTH), -(-len(str(rows[r - 3][0])) // key_width))
        if lines > 1:  # Excel grows wrapped rows when it opens the file; LibreOffice and printing need the height
            sheet.row_dimensions[r].height = 15 * lines
    page_setup(sheet)
