"""The head-office workbook (plan.xlsx): summary with chart, core, store plans, changes, local profile, run.

Written with XlsxWriter. Every table is a real Excel table (filters, banded rows) with a frozen
header, number formats and a print setup (outputs.printing: A4, legible scale, header row
repeated, each store on its own pages). Long text wraps in a bounded column width. Text that comes
from data files is always written as text (outputs.sheetrows): a product called "=HYPERLINK(...)"
stays a name, never becomes a formula.

XlsxWriter's constant_memory mode would stream the rows, but it writes no tables (add_table() is
refused there), so the workbook is built in memory and zipped on close.
"""

from __future__ import annotations

import gc
import io
import math
import re
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet as OpenpyxlWorksheet
from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from planner.outputs.files import FORMULA_TRIGGERS, atomic_write, clean_text
from planner.outputs.printing import (
    BODY_PT,
    fit_widths,
    openpyxl_print_layout,
    print_layout,
)
from planner.outputs.sheetrows import ColumnStyle, flag_labels, sheet_parts, write_rows, write_value
from planner.schemas import STORE_ID

EUR = '#,##0.00 "EUR"'
UNITS = "#,##0.0"
PERCENT = "0.0%"
INDEX = "0.00"
TITLE_PT = 14.0
HEADER_COLOR, NOTE_COLOR, WARNING_COLOR, WHITE = "1F4E78", "555555", "FFF2CC", "FFFFFF"  # RGB
TITLE = {"bold": True, "font_size": TITLE_PT, "text_wrap": True, "valign": "top"}  # XlsxWriter format properties
HEADER = {"bold": True, "font_color": f"#{WHITE}", "bg_color": f"#{HEADER_COLOR}", "text_wrap": True, "valign": "vcenter"}
NOTE = {"italic": True, "font_color": f"#{NOTE_COLOR}", "text_wrap": True, "valign": "top"}
INDENTED = {"align": "left", "indent": 1}  # text after a number column, so it never touches the number
TABLE_STYLE = "Table Style Medium 2"
HEADER_ROW = 2  # the table header, counted from 0 as in XlsxWriter (row 3 in Excel); the title is in row 0
SHEET_ROWS = 1_048_576 - HEADER_ROW - 2  # data rows of one sheet: Excel's rows less the title, the header and a total row
DIGIT_PX = 7  # a character of column width in pixels (Calibri 11's digit), as XlsxWriter measures it
CHART_CM = (18, 8)  # width, height of the Summary's chart
REASON_WIDTH = 60  # characters; longer reasons wrap
TEXT_WIDTH_MAX = 40  # other text columns, characters; longer text wraps
REASON_FLOOR, TEXT_FLOOR = 30, 12  # characters: on a wide sheet text columns narrow to these (outputs.printing.fit_widths)
LINE_HEIGHT = 15.0  # points per line of wrapped Calibri 11
MAX_ROW_HEIGHT = 409.0  # points, Excel's limit
KEY_WIDTH_MAX = 45  # Run sheet: label column, characters
VALUE_WIDTH = 80  # Run sheet: value column, characters
PER_STORE = ("plan", "changes", "profile")  # tables with a block of rows per store: each store prints on its own pages
NOT_ADDITIVE = {"core_items", "shelf_value", "budget_value", "weeks_to_target"}  # a core counted once per store; marginal values
WORKBOOK_OPTIONS = {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}

# column -> (header shown in Excel, number format)
COLUMNS: dict[str, tuple[str, str | None]] = {
    STORE_ID: ("Store", None), "name": ("Name", None), "sku": ("SKU", None), "category": ("Category", None),
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
    "segment": ("Customer segment", None), "cardholders": ("Cardholders", "0"), "spend_share": ("Share of card spend", PERCENT),
    "chain_spend_share": ("Chain share", PERCENT), "spend_per_week": ("Card spend / week", EUR),
    "visits_per_week": ("Visits / week", "0.0"),
}




@dataclass
class _Book:
    """An XlsxWriter workbook and its cell formats, one Format per set of properties."""

    workbook: Workbook
    _formats: dict[tuple[tuple[str, Any], ...], Format] = field(default_factory=dict)

    def format(self, **properties: Any) -> Format:
        key = tuple(sorted(properties.items()))
        if key not in self._formats:
            self._formats[key] = self.workbook.add_format(properties)
        return self._formats[key]

    def style(self, **properties: Any) -> ColumnStyle:
        """The format with `properties`, plain and quote-prefixed."""
        return ColumnStyle(self.format(**properties), self.format(**properties, quote_prefix=True))


def write_workbook(path: Path, sheets: dict[str, Any], *, header: str = "", rows_per_sheet: int = SHEET_ROWS) -> None:
    """Write plan.xlsx atomically from the tables in `sheets` (the keys of workbook_sheets).

    `header` is printed at the top of every page (e.g. the planned week), next to the sheet name;
    without it, the workbook title is. A table of more than `rows_per_sheet` rows goes on several
    sheets ("Store plans", "Store plans (2)", ...), cut where a store's rows begin."""
    header = header or sheets["title"]
    tables = [
        ("Core", "Core: fresh products carried in every store", "core"),
        ("Store plans", "Every carried product per store, with the reason", "plan"),
        ("Changes", "Adds and drops against today's assortment: the list each store executes", "changes"),
        ("Local profile", "How each store indexes against the chain (1.00 = chain average)", "profile"),
    ]
    if "customers" in sheets:
        tables.append(("Customers", "Each store's customer segments (loyalty cards) against the chain; "
                       "groups of fewer than 20 cardholders are left empty", "customers"))
    frames = sheets | {"profile": flag_labels(sheets["profile"])}

    def build(book: _Book) -> None:
        _summary_sheet(book, sheets["title"], sheets["stores"], sheets["notes"], header, sheets["chain"])
        for name, title, key in tables:
            parts = sheet_parts(frames[key], rows_per_sheet)
            for number, (start, stop) in enumerate(parts, start=1):
                sheet, _ = _table_sheet(book, name if number == 1 else f"{name} ({number})",
                                        title if len(parts) == 1 else f"{title} (part {number} of {len(parts)})",
                                        frames[key].iloc[start:stop], header=header, per_store=key in PER_STORE)
                if key in ("profile", "customers"):
                    _color_scale(sheet, sheets[key].iloc[start:stop], "index")
        _key_value_sheet(book, "Run", sheets["run"], header)

    atomic_write(path, lambda tmp: _write(str(tmp), build))


def tables_workbook(tables: dict[str, tuple[str, pd.DataFrame]]) -> bytes:
    """A workbook of titled tables (sheet name -> (title, frame)), formatted like plan.xlsx: the
    app's per-store downloads. Each page's header carries its sheet's title."""
    buffer = io.BytesIO()
    _write(buffer, lambda book: [_table_sheet(book, name, title, frame, header=title) for name, (title, frame) in tables.items()])
    return buffer.getvalue()


def _write(target: str | io.BytesIO, build: Callable[[_Book], Any]) -> None:
    """Build a workbook with `build` and write it to `target` (a file name or a buffer)."""
    with _cyclic_gc_paused(), Workbook(target, WORKBOOK_OPTIONS) as workbook:
        build(_Book(workbook))


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused, as long as the block runs.

    XlsxWriter keeps a tuple per cell until it closes the workbook; each full collection walks them
    all again, which made a 30-store plan take twice as long. Reference counting still frees
    everything; the collector resumes afterwards (if it ran before)."""
    running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if running:
            gc.enable()


def _summary_sheet(book: _Book, title: str, stores: pd.DataFrame, notes: list[str], header: str, chain: dict[str, float]) -> None:
    """The store table with its Chain row (`chain`: the chain's own figures where they are not the
    sum of the stores, e.g. profit after the chain listing cost), the notes and the uplift chart."""
    sheet, widths = _table_sheet(book, "Summary", title, stores, header=header, chain=chain)
    row = HEADER_ROW + len(stores) + 3  # under the stores, the Chain row and a blank row
    last = max(len(stores.columns), 1) - 1
    style = book.style(**NOTE)
    for note in notes:  # one cell across the table, wrapped: a note never runs past the printed page
        if last > 0:
            sheet.merge_range(row, 0, row, last, "", style.plain)
        write_value(sheet, row, 0, note, style)
        lines = math.ceil(len(clean_text(note)) / max(sum(widths) - 4, 1))
        if lines > 1:
            sheet.set_row(row, min(LINE_HEIGHT * lines, MAX_ROW_HEIGHT))
        row += 1
    uplifts = [col for col, column in enumerate(stores.columns) if str(column).startswith("uplift_")]
    if stores.empty or not uplifts:
        return
    chart = book.workbook.add_chart({"type": "column"})
    first, last_store = HEADER_ROW + 1, HEADER_ROW + len(stores)
    for col in uplifts:
        chart.add_series({"name": [sheet.name, HEADER_ROW, col], "categories": [sheet.name, first, 0, last_store, 0],
                          "values": [sheet.name, first, col, last_store, col]})
    chart.set_title({"name": "Uplift per store, EUR / week", "name_font": {"size": TITLE_PT}})
    chart.set_y_axis({"name": "EUR / week", "name_font": {"size": BODY_PT}, "num_font": {"size": BODY_PT}, "num_format": EUR})  # legible when scaled
    chart.set_x_axis({"num_font": {"size": BODY_PT}})
    chart.set_legend({"position": "right", "font": {"size": BODY_PT}})
    chart.set_size({"width": round(CHART_CM[0] / 2.54 * 96), "height": round(CHART_CM[1] / 2.54 * 96)})
    sheet.insert_chart(row + 1, 0, chart)


def _table_sheet(book: _Book, name: str, title: str, frame: pd.DataFrame, *, header: str, per_store: bool = False,
                 chain: dict[str, float] | None = None) -> tuple[Worksheet, list[float]]:
    """Title in row 1, an Excel table from row 3, frozen header, formats, widths and print setup.

    With `chain`, the bold Chain row under the table (see _chain_total_row); with `per_store`, each
    store's block of rows starts a new printed page. Returns the sheet and its column widths."""
    sheet = book.workbook.add_worksheet(name)
    numeric = [_is_number(frame.iloc[:, col]) for col in range(len(frame.columns))]
    widths, header_lines = _widths(frame, totals=chain is not None)
    after_number = [col > 0 and numeric[col - 1] for col in range(len(frame.columns))]
    columns = [{"header": clean_text(_header(column)), "header_format": book.format(**HEADER, **(INDENTED if after and not number else {}))}
               for column, number, after in zip(frame.columns, numeric, after_number, strict=True)]
    last_row = HEADER_ROW + max(len(frame), 1)
    options = {"name": re.sub(r"\W", "_", name), "style": TABLE_STYLE, "columns": columns}
    if sheet.add_table(HEADER_ROW, 0, last_row, len(frame.columns) - 1, options) != 0:
        raise ValueError(f"sheet {name!r}: XlsxWriter refused its table (see the warning above)")
    styles = [book.style(**_cell_properties(COLUMNS.get(column, ("", None))[1], number, indent=after))
              for column, number, after in zip(frame.columns, numeric, after_number, strict=True)]
    write_rows(sheet, frame, HEADER_ROW + 1, styles, _row_heights(frame, widths, numeric))
    if chain is not None:
        _chain_total_row(book, sheet, frame, last_row + 1, chain)
    for col, width in enumerate(widths):
        sheet.set_column_pixels(col, col, round(width * DIGIT_PX))  # set_column() would add the cell padding to the width
    if header_lines > 1:
        sheet.set_row(HEADER_ROW, LINE_HEIGHT * header_lines)
    _title_across(book, sheet, title, len(frame.columns), sum(widths))
    sheet.freeze_panes(HEADER_ROW + 1, 0)
    print_layout(sheet, widths, header_row=HEADER_ROW, header=header, store_rows=_store_starts(frame, HEADER_ROW + 1) if per_store else ())
    return sheet, widths


def _header(column: Any) -> str:
    return COLUMNS.get(column, (str(column), None))[0]


def _cell_properties(number_format: str | None, number: bool, *, indent: bool) -> dict[str, Any]:
    """A column's cell format: numbers at the top of their row; text wrapped at the column width,
    indented after a number column (an indent needs explicit left alignment)."""
    properties: dict[str, Any] = {"valign": "top"} if number else {"text_wrap": True, "valign": "top", **(INDENTED if indent else {})}
    return properties | ({"num_format": number_format} if number_format else {})


def _row_heights(frame: pd.DataFrame, widths: list[float], numeric: list[bool]) -> list[float | None] | None:
    """Points per data row where its wrapped text needs more than one line (None: the default height).
    Excel grows wrapped rows when it opens the file; LibreOffice and printing need the height."""
    lines = np.ones(len(frame))
    for col, (width, number) in enumerate(zip(widths, numeric, strict=True)):
        if not number:
            lines = np.maximum(lines, _line_counts(frame.iloc[:, col], width))
    heights = [min(LINE_HEIGHT * n, MAX_ROW_HEIGHT) if n > 1 else None for n in lines.tolist()]
    return heights if any(heights) else None


def _is_number(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _store_starts(frame: pd.DataFrame, first_row: int) -> list[int]:
    """Sheet rows (from 0) where the store changes: the first row of every store but the first."""
    if STORE_ID not in frame.columns or frame.empty:
        return []
    stores = frame[STORE_ID].astype(str).to_numpy()
    return [first_row + int(i) for i in np.flatnonzero(stores[1:] != stores[:-1]) + 1]


def _line_counts(values: pd.Series, width: float) -> np.ndarray:
    """Printed lines of each wrapped text in a column `width` wide (an estimate that errs long)."""
    lengths = values.fillna("").astype(str).str.len().to_numpy(dtype=float)
    per_line = max(1.1 * width - 3, 1)  # text is narrower than the digits a width counts, less indent and word breaks
    return np.where(lengths <= width - 2, 1, np.ceil(lengths / per_line))


def _title_across(book: _Book, sheet: Worksheet, title: str, columns: int, width: float) -> None:
    """The title in row 1 as one wrapped cell across the table, so it never runs past the page."""
    style = book.style(**TITLE)
    if columns > 1:
        sheet.merge_range(0, 0, 0, columns - 1, "", style.plain)
    write_value(sheet, 0, 0, title, style)
    lines = math.ceil(len(clean_text(title)) * TITLE_PT / BODY_PT / max(width - 4, 1))
    if lines > 1:
        sheet.set_row(0, min(20.0 * lines, MAX_ROW_HEIGHT))


def _chain_total_row(book: _Book, sheet: Worksheet, frame: pd.DataFrame, row: int, chain: dict[str, float]) -> None:
    """The bold Chain row: `chain`'s figure where it has one, else the sum of the stores."""
    sheet.write_string(row, 0, "Chain", book.format(bold=True))
    for col, column in enumerate(frame.columns):
        number_format = COLUMNS.get(column, ("", None))[1]
        additive = column not in NOT_ADDITIVE and number_format != PERCENT
        if col > 0 and number_format and (additive or column in chain) and pd.api.types.is_numeric_dtype(frame[column]):
            value = float(chain.get(column, frame[column].sum()))
            if math.isfinite(value):
                sheet.write_number(row, col, value, book.format(bold=True, num_format=number_format))


def _widths(frame: pd.DataFrame, *, totals: bool = False) -> tuple[list[float], int]:
    """Columns as wide as their values, text capped (it wraps) and at least as wide as its header,
    text narrowed on a sheet too wide to print legibly; long number headers wrap onto two lines.
    With `totals`, numbers are as wide as their column's (bold) total too. Returns the widths
    (characters) and the lines of the header row."""
    widths: list[float] = []
    floors: list[float | None] = []
    for col, column in enumerate(frame.columns):
        header, number_format = _header(column), COLUMNS.get(column, ("", None))[1]
        values = frame.iloc[:, col]
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
    lines = max([len(textwrap.wrap(_header(column), int(width) - 2)) for column, width in zip(frame.columns, widths, strict=True)], default=1)
    return widths, max(lines, 1)


def _longest_word(text: str) -> int:
    return max(map(len, text.split()), default=0)


def _color_scale(sheet: Worksheet, frame: pd.DataFrame, column: str) -> None:
    """Red below the chain (0.5), white at it (1.0), green above it (2.0)."""
    if column not in frame.columns or frame.empty:
        return
    col = list(frame.columns).index(column)
    sheet.conditional_format(HEADER_ROW + 1, col, HEADER_ROW + len(frame), col, {
        "type": "3_color_scale", "min_type": "num", "min_value": 0.5, "min_color": "#F8696B",
        "mid_type": "num", "mid_value": 1.0, "mid_color": "#FFFFFF", "max_type": "num", "max_value": 2.0, "max_color": "#63BE7B"})


def _key_value_sheet(book: _Book, name: str, rows: list[tuple[str, Any]], header: str) -> None:
    """The Run sheet: a label and a value per row, wrapped; numbers with thousands separators, warnings on yellow."""
    sheet = book.workbook.add_worksheet(name)
    write_value(sheet, 0, 0, "Run report: data, parameters, solver, warnings", book.style(bold=True, font_size=TITLE_PT))
    key_width = min(max([len(key) for key, _ in rows] + [20]) + 2, KEY_WIDTH_MAX)
    for row, (key, value) in enumerate(rows, start=2):
        write_value(sheet, row, 0, key, book.style(bold=not key.startswith("  "), text_wrap=True, valign="top"))
        properties: dict[str, Any] = {"text_wrap": True, "valign": "top", "align": "left"}
        if value is not None and not isinstance(value, str):
            properties["num_format"] = "#,##0" if isinstance(value, int) else "#,##0.00"
        if key.startswith("warning"):
            properties["bg_color"] = f"#{WARNING_COLOR}"
        write_value(sheet, row, 1, value, book.style(**properties))
        lines = max(1, -(-len(str(value)) // (VALUE_WIDTH - 4)), -(-len(key) // (key_width - 4)))
        if lines > 1:  # Excel grows wrapped rows when it opens the file; LibreOffice and printing need the height
            sheet.set_row(row, min(LINE_HEIGHT * lines, MAX_ROW_HEIGHT))
    for col, width in enumerate((key_width, VALUE_WIDTH)):
        sheet.set_column_pixels(col, col, width * DIGIT_PX)
    print_layout(sheet, [key_width, VALUE_WIDTH], header_row=None, header=header)


# The planning template (outputs.template) is still built with openpyxl: the same look and text rules there.
TITLE_FONT = Font(name="Calibri", bold=True, size=TITLE_PT)
HEADER_FONT = Font(name="Calibri", bold=True, color=WHITE)
BOLD_FONT = Font(name="Calibri", bold=True)
HEADER_FILL = PatternFill("solid", fgColor=HEADER_COLOR)


def safe_text(cell: Any, value: str) -> None:
    """Store `value` in an openpyxl cell as literal text, so a leading = + - @ never makes Excel evaluate it."""
    cell.value = clean_text(value)
    cell.data_type = "s"
    if cell.value.startswith(FORMULA_TRIGGERS):
        cell.quotePrefix = True


def print_setup(sheet: OpenpyxlWorksheet, header_row: int) -> None:
    """An openpyxl sheet's frozen header and print layout (outputs.printing), the header row (from 1) on every page."""
    sheet.freeze_panes = f"A{header_row + 1}"
    openpyxl_print_layout(sheet, header_row=header_row)
