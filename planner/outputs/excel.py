"""The head-office workbook (plan.xlsx): summary with chart, core, store plans, changes, local profile, run.

Every table is a real Excel table (filters, banded rows) with a frozen header, number formats and
a print setup (outputs.printing: A4, legible scale, header row repeated, each store on its own
pages). Long text wraps in a bounded column width. Text that comes from data files is always
written as text: a product called "=HYPERLINK(...)" stays a name, never becomes a formula.
"""

from __future__ import annotations

import io
import math
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.text import RichText
from openpyxl.chart.title import title_maker
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from planner.outputs.files import atomic_write
from planner.outputs.printing import BODY_PT, fit_widths, print_layout
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
REASON_WIDTH = 60  # characters; longer reasons wrap
TEXT_WIDTH_MAX = 40  # other text columns, characters; longer text wraps
REASON_FLOOR, TEXT_FLOOR = 30, 12  # characters: on a wide sheet text columns narrow to these (outputs.printing.fit_widths)
LINE_HEIGHT = 15.0  # points per line of wrapped Calibri 11
MAX_ROW_HEIGHT = 409.0  # points, Excel's limit
KEY_WIDTH_MAX = 45  # Run sheet: label column, characters
VALUE_WIDTH = 80  # Run sheet: value column, characters
PER_STORE = ("plan", "changes", "profile")  # tables with a block of rows per store: each store prints on its own pages
FLAGS = {"1": True, "1.0": True, "true": True, "yes": True, "y": True, "ja": True,
         "0": False, "0.0": False, "false": False, "no": False, "n": False, "nein": False}  # yes/no spellings in a product master
NOT_ADDITIVE = {"core_items", "shelf_value", "budget_value", "weeks_to_target"}  # a core counted once per store; marginal values

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
    "shelf_value": ("EUR / week per extra shelf unit", EUR), "budget_value": ("EUR / week per extra EUR of budget", "0.0000"),
    "profit_impact_per_week": ("Profit impact / week", EUR), "forced": ("Required by", None),
    "stores": ("Stores", "0"), "chain_units_per_week": ("Chain units / week", UNITS),
    "chain_profit_per_week": ("Chain profit / week", EUR), "fresh": ("Fresh", None), "town": ("Town", None),
    "dimension": ("Dimension", None), "value": ("Value", None), "index": ("Index", INDEX),
    "week": ("Week", "0"), "location": ("Location", None), "aisle": ("Aisle", None), "subcategory": ("Subcategory", None),
    "case_pack": ("Case pack", "0"), "first_order_units": ("First order (units)", "0"),
    "adds_this_week": ("Adds this week", "0"), "drops_this_week": ("Drops this week", "0"),
    "weeks_to_target": ("Weeks to target", "0"), "binding_limit": ("Binding limit", None),
}


def safe_text(cell: Any, value: str) -> None:
    """Store `value` as literal text, so a leading = + - @ never makes Excel evaluate it."""
    cell.value = clean_text(value)
    cell.data_type = "s"
    if cell.value.startswith(FORMULA_TRIGGERS):
        cell.quotePrefix = True


def write_workbook(path: Path, sheets: dict[str, Any], *, header: str = "") -> None:
    """Write plan.xlsx atomically from the tables in `sheets` (see runs.weekly for the keys).

    `header` is printed at the top of every page (e.g. the planned week), next to the sheet name;
    without it, the workbook title is."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    header = header or sheets["title"]
    tables = [
        ("Core", "Core: fresh products carried in every store", "core"),
        ("Store plans", "Every carried product per store, with the reason", "plan"),
        ("Changes", "Adds and drops against today's assortment: the list each store executes", "changes"),
        ("Local profile", "How each store indexes against the chain (1.00 = chain average)", "profile"),
    ]
    frames = sheets | {"profile": flag_labels(sheets["profile"])}
    bulk = [_summary_sheet(workbook, sheets["title"], sheets["stores"], sheets["notes"], header, sheets["chain"])]
    bulk += [_table_sheet(workbook, name, title, frames[key], header=header, per_store=key in PER_STORE) for name, title, key in tables]
    _color_scale(workbook["Local profile"], sheets["profile"], "index")
    _key_value_sheet(workbook, "Run", sheets["run"], header)
    atomic_write(path, lambda tmp: save_with_rows(workbook.save, tmp, bulk))


def tables_workbook(tables: dict[str, tuple[str, pd.DataFrame]]) -> bytes:
    """A workbook of titled tables (sheet name -> (title, frame)), formatted like plan.xlsx: the
    app's per-store downloads. Each page's header carries its sheet's title."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    bulk = [_table_sheet(workbook, name, title, frame, header=title) for name, (title, frame) in tables.items()]
    buffer = io.BytesIO()
    save_with_rows(workbook.save, buffer, bulk)
    return buffer.getvalue()


def flag_labels(profile: pd.DataFrame) -> pd.DataFrame:
    """The local profile with the values of yes/no attributes as words: organic 1 / 0 becomes
    "organic" / "not organic" (a dimension counts as yes/no when every one of its values is)."""
    attribute = ~profile["dimension"].isin(["category", "product"])
    flags = profile["value"].astype(str).str.strip().str.lower().map(FLAGS)
    yes_no = attribute & flags.notna().groupby(profile["dimension"]).transform("all")
    if not yes_no.any():
        return profile
    label = profile["dimension"].astype(str).str.replace("_", " ")
    words = np.where(flags.eq(True), label, "not " + label)
    return profile.assign(value=profile["value"].astype(str).where(~yes_no, words))


def _summary_sheet(workbook: Workbook, title: str, stores: pd.DataFrame, notes: list[str], header: str,
                   chain: dict[str, float]) -> BulkRows:
    """The store table with its Chain row (`chain`: the chain's own figures where they are not the
    sum of the stores, e.g. profit after the chain listing cost), the notes and the uplift chart."""
    rows = _table_sheet(workbook, "Summary", title, stores, header=header, total_row=True, chain=chain)
    sheet = workbook["Summary"]
    row = len(stores) + 6
    last = get_column_letter(max(len(stores.columns), 1))
    width = sum(sheet.column_dimensions[get_column_letter(col)].width for col in range(1, len(stores.columns) + 1))
    for note in notes:  # one cell across the table, wrapped: a note never runs past the printed page
        cell = sheet.cell(row=row, column=1)
        safe_text(cell, note)
        cell.font = NOTE_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.merge_cells(f"A{row}:{last}{row}")
        lines = math.ceil(len(cell.value) / max(width - 4, 1))
        if lines > 1:
            sheet.row_dimensions[row].height = min(LINE_HEIGHT * lines, MAX_ROW_HEIGHT)
        row += 1
    chart = BarChart()
    chart.type = "col"
    chart.title = _chart_title("Uplift per store, EUR / week", 14)
    chart.y_axis.title = _chart_title("EUR / week", BODY_PT)
    chart.x_axis.txPr = chart.y_axis.txPr = _chart_text(BODY_PT)
    columns = list(stores.columns)
    for column in (c for c in columns if c.startswith("uplift_")):
        index = columns.index(column) + 1
        chart.add_data(Reference(sheet, min_col=index, min_row=3, max_row=len(stores) + 3), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=4, max_row=len(stores) + 3))
    chart.legend.txPr = _chart_text(BODY_PT)
    chart.height, chart.width = 8, 18
    sheet.add_chart(chart, f"A{row + 1}")
    return rows


def _chart_text(points: float) -> RichText:
    """Chart text (axis labels, legend) at `points`, so it stays legible on the scaled printout."""
    props = CharacterProperties(sz=round(100 * points))
    return RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=props), endParaRPr=props)])


def _chart_title(text: str, points: float) -> Any:
    title = title_maker(text)
    for paragraph in title.tx.rich.p:
        paragraph.pPr = ParagraphProperties(defRPr=CharacterProperties(sz=round(100 * points)))
        for run in paragraph.r or []:
            run.rPr = CharacterProperties(sz=round(100 * points))
    return title


def _table_sheet(workbook: Workbook, name: str, title: str, frame: pd.DataFrame, *, header: str,
                 per_store: bool = False, total_row: bool = False, chain: dict[str, float] | None = None) -> BulkRows:
    """Title in row 1, an Excel table from row 3, frozen header, formats, widths and print setup.

    openpyxl writes the title and header; the data rows are returned, to be spliced in on save.
    With `per_store`, each store's block of rows starts a new printed page."""
    sheet = workbook.create_sheet(name)
    safe_text(sheet.cell(row=1, column=1), title)
    sheet.cell(row=1, column=1).font = TITLE_FONT
    header_row = 3
    for col, column in enumerate(frame.columns, start=1):
        cell = sheet.cell(row=header_row, column=col)
        safe_text(cell, COLUMNS.get(column, (column, None))[0])
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL  # explicit, for viewers that ignore table styles
    numeric = [_is_number(frame[column]) for column in frame.columns]
    styles = [_column_style(sheet, header_row + 1, col, COLUMNS.get(column, ("", None))[1], numeric[col - 1],
                            indent=col > 1 and numeric[col - 2]) for col, column in enumerate(frame.columns, start=1)]
    sheet.delete_rows(header_row + 1, 2)  # the style probes: their styles stay registered in the workbook
    last_row = header_row + max(len(frame), 1)
    ref = f"A{header_row}:{get_column_letter(len(frame.columns))}{last_row}"
    table = Table(displayName=name.replace(" ", "_"), ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    sheet.add_table(table)
    if total_row:
        _chain_total_row(sheet, frame, last_row + 1, chain or {})
    widths = _widths(sheet, frame, header_row, totals=total_row)
    for col in range(2, len(frame.columns) + 1):
        if numeric[col - 2] and not numeric[col - 1]:  # the header lines up with its indented text
            sheet.cell(row=header_row, column=col).alignment = Alignment(horizontal="left", indent=1, wrap_text=True, vertical="center")
    _title_across(sheet, len(frame.columns), sum(widths))
    sheet.freeze_panes = f"A{header_row + 1}"
    print_layout(sheet, header_row=header_row, header=header, store_rows=_store_starts(frame, header_row + 1) if per_store else ())
    # Excel grows wrapped rows when it opens the file; LibreOffice and printing need the height
    lines = np.ones(len(frame))
    for column, width, number in zip(frame.columns, widths, numeric, strict=True):
        if not number:
            lines = np.maximum(lines, _line_counts(frame[column], width))
    heights = [min(LINE_HEIGHT * n, MAX_ROW_HEIGHT) if n > 1 else None for n in lines.tolist()]
    return BulkRows(name, frame, header_row + 1, styles, heights if any(heights) else None)


def _is_number(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _store_starts(frame: pd.DataFrame, first_row: int) -> list[int]:
    """Sheet rows where the store changes (the first row of every store but the first)."""
    if "store_id" not in frame.columns or frame.empty:
        return []
    stores = frame["store_id"].astype(str).to_numpy()
    return [first_row + int(i) for i in np.flatnonzero(stores[1:] != stores[:-1]) + 1]


def _line_counts(values: pd.Series, width: float) -> np.ndarray:
    """Printed lines of each wrapped text in a column `width` wide (an estimate that errs long)."""
    lengths = values.fillna("").astype(str).str.len().to_numpy(dtype=float)
    per_line = max(1.1 * width - 3, 1)  # text is narrower than the digits a width counts, less indent and word breaks
    return np.where(lengths <= width - 2, 1, np.ceil(lengths / per_line))


def _title_across(sheet: Worksheet, columns: int, width: float) -> None:
    """The title in row 1 as one wrapped cell across the table, so it never runs past the page."""
    cell = sheet.cell(row=1, column=1)
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    if columns > 1:
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=columns)
    lines = math.ceil(len(str(cell.value)) * TITLE_FONT.sz / BODY_PT / max(width - 4, 1))
    if lines > 1:
        sheet.row_dimensions[1].height = min(20.0 * lines, MAX_ROW_HEIGHT)


def _column_style(sheet: Worksheet, row: int, col: int, number_format: str | None, number: bool, *, indent: bool) -> ColumnStyle:
    """Register a column's cell style, plain and quote-prefixed, on two probe cells (rows `row`, `row` + 1).

    Text wraps at the column width, indented after a number column (so it never touches the number)."""
    plain, quoted = sheet.cell(row=row, column=col), sheet.cell(row=row + 1, column=col)
    for cell in (plain, quoted):
        if number_format:
            cell.number_format = number_format
        cell.alignment = (Alignment(vertical="top") if number else  # an indent needs explicit left alignment
                          Alignment(horizontal="left" if indent else None, wrap_text=True, vertical="top", indent=int(indent)))
    quoted.quotePrefix = True
    return ColumnStyle(plain.style_id, quoted.style_id)


def print_setup(sheet: Worksheet, header_row: int) -> None:
    """Frozen header; printed on A4 at a legible scale (outputs.printing), the header row on every page."""
    sheet.freeze_panes = f"A{header_row + 1}"
    print_layout(sheet, header_row=header_row)


def _chain_total_row(sheet: Worksheet, frame: pd.DataFrame, row: int, chain: dict[str, float]) -> None:
    """The bold Chain row: `chain`'s figure where it has one, else the sum of the stores."""
    sheet.cell(row=row, column=1, value="Chain").font = BOLD_FONT
    for col, column in enumerate(frame.columns, start=1):
        number_format = COLUMNS.get(column, ("", None))[1]
        additive = column not in NOT_ADDITIVE and number_format != PERCENT
        if col > 1 and number_format and (additive or column in chain) and pd.api.types.is_numeric_dtype(frame[column]):
            cell = sheet.cell(row=row, column=col, value=float(chain.get(column, frame[column].sum())))
            cell.number_format = number_format
            cell.font = BOLD_FONT


def _widths(sheet: Worksheet, frame: pd.DataFrame, header_row: int, *, totals: bool = False) -> list[float]:
    """Columns as wide as their values, text capped (it wraps) and at least as wide as its header,
    text narrowed on a sheet too wide to print legibly; long number headers wrap onto two lines.
    With `totals`, numbers are as wide as their column's (bold) total too. Returns the widths, characters."""
    widths, floors = [], []
    for column in frame.columns:
        header, number_format = COLUMNS.get(column, (column, None))
        values = frame[column]
        if _is_number(values):
            largest = float(values.abs().max()) if len(frame) and values.notna().any() else 0.0
            if totals and column not in NOT_ADDITIVE and number_format != PERCENT:  # the chain total row's figure
                largest = max(largest, abs(float(values.sum())))
            shown = f"{100 * largest:,.1f}%" if number_format == PERCENT else f"{largest:,.2f}" + (" EUR" if number_format == EUR else "")
            widths.append(max(len(shown) + 2, _longest_word(header) + 2, 7))
            floors.append(None)
        else:
            texts = values.fillna("").astype(str)
            longest = int(texts.str.len().max() or 0) if len(frame) else 8
            width = max(min(longest + 2, REASON_WIDTH if column == "reason" else TEXT_WIDTH_MAX), len(header) + 2, 8)
            words = max([_longest_word(text) for text in texts.drop_duplicates()], default=0)  # never broken mid-word
            widths.append(width)
            floors.append(min(width, max(REASON_FLOOR if column == "reason" else TEXT_FLOOR, _longest_word(header) + 2, words + 2)))
    widths = fit_widths(widths, floors)
    header_lines = 1
    for col, (column, width) in enumerate(zip(frame.columns, widths, strict=True), start=1):
        header = COLUMNS.get(column, (column, None))[0]
        header_lines = max(header_lines, len(textwrap.wrap(header, width - 2)))
        sheet.column_dimensions[get_column_letter(col)].width = width
        sheet.cell(row=header_row, column=col).alignment = Alignment(wrap_text=True, vertical="center")
    if header_lines > 1:
        sheet.row_dimensions[header_row].height = LINE_HEIGHT * header_lines
    return widths


def _longest_word(text: str) -> int:
    return max(map(len, text.split()), default=0)


def _color_scale(sheet: Worksheet, frame: pd.DataFrame, column: str) -> None:
    if column not in frame.columns or frame.empty:
        return
    letter = get_column_letter(list(frame.columns).index(column) + 1)
    rule = ColorScaleRule(start_type="num", start_value=0.5, start_color="F8696B", mid_type="num", mid_value=1.0,
                          mid_color="FFFFFF", end_type="num", end_value=2.0, end_color="63BE7B")
    sheet.conditional_formatting.add(f"{letter}4:{letter}{len(frame) + 3}", rule)


def _key_value_sheet(workbook: Workbook, name: str, rows: list[tuple[str, Any]], header: str) -> None:
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
        lines = max(1, -(-len(str(value)) // (VALUE_WIDTH - 4)), -(-len(str(rows[r - 3][0])) // (key_width - 4)))
        if lines > 1:  # Excel grows wrapped rows when it opens the file; LibreOffice and printing need the height
            sheet.row_dimensions[r].height = min(LINE_HEIGHT * lines, MAX_ROW_HEIGHT)
    print_layout(sheet, header_row=None, header=header)
