"""Bulk table rows for plan.xlsx, written straight into the saved sheet XML.

openpyxl builds each workbook (styles, tables, chart, print setup) but spends tens of microseconds
of Python per cell; a 30-store chain's plan has over a million cells. So the data rows of each
table are left out of the openpyxl sheet and rendered here column by column, with the style ids
openpyxl registered for them, then spliced into the sheet's <sheetData> in one pass.

Text is stored as an inline string (never a formula); text starting with = + - @ tab or CR also
gets the quote-prefix style, so Excel keeps it text even when the cell is edited.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from xml.etree import ElementTree

import numpy as np
import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_ROW_START = re.compile(r'<row r="(\d+)"')
_DIMENSION = re.compile(r'<dimension ref="[^"]*"\s*/>')


@dataclass
class ColumnStyle:
    """cellXfs ids openpyxl registered for one column: plain, and with the quote prefix."""

    plain: int
    quoted: int


@dataclass
class BulkRows:
    """The rows of `frame`, placed on sheet `sheet` from row `first_row` on, one style per column."""

    sheet: str
    frame: pd.DataFrame
    first_row: int
    styles: list[ColumnStyle]
    heights: list[float | None] | None = None  # points per row; None keeps the default height


_NOT_XML = re.compile("[\ufffe\uffff\ud800-\udfff]")  # valid Python text that XML 1.0 cannot hold either


EXCEL_CELL_CHARACTERS = 32_767  # Excel refuses to open a cell holding more
CUT_MARK = " ... [cut: Excel holds 32,767 characters per cell]"


def clean_text(value: str) -> str:
    """The text without the characters an XML sheet cannot hold (control characters, U+FFFE/FFFF,
    surrogates), cut to what an Excel cell holds, with a visible mark where it was cut."""
    text = _NOT_XML.sub("", ILLEGAL_CHARACTERS_RE.sub("", value))
    return text if len(text) <= EXCEL_CELL_CHARACTERS else text[: EXCEL_CELL_CHARACTERS - len(CUT_MARK)] + CUT_MARK


def save_with_rows(save: Callable[[io.BytesIO], None], path: Path | BinaryIO, bulk: list[BulkRows]) -> None:
    """Call `save(buffer)` (openpyxl's Workbook.save), splice `bulk` into its sheets, write `path` (a file or a buffer)."""
    buffer = io.BytesIO()
    save(buffer)
    by_sheet = {rows.sheet: rows for rows in bulk}
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        parts = _sheet_parts(source)
        for info in source.infolist():
            data = source.read(info.filename)
            sheet = parts.get(info.filename)
            if sheet in by_sheet:
                data = _splice(data.decode("utf-8"), by_sheet[sheet]).encode("utf-8")
            target.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)


def _sheet_parts(package: zipfile.ZipFile) -> dict[str, str]:
    """Zip member name -> sheet title, from xl/workbook.xml and its relationships."""
    workbook = ElementTree.fromstring(package.read("xl/workbook.xml"))
    relations = ElementTree.fromstring(package.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target") for rel in relations.iter(f"{_PKG_REL}Relationship")}
    parts = {}
    for sheet in workbook.iter(f"{_MAIN}sheet"):
        target = targets[sheet.get(f"{_REL}id")]
        parts[target.lstrip("/") if target.startswith("/") else f"xl/{target}"] = sheet.get("name")
    return parts


def _splice(xml: str, rows: BulkRows) -> str:
    """Insert the rendered rows before the first openpyxl row that comes after them."""
    last_row = rows.first_row + len(rows.frame) - 1
    existing = [int(match.group(1)) for match in _ROW_START.finditer(xml)]
    clashes = [n for n in existing if rows.first_row <= n <= last_row]
    if clashes:
        raise ValueError(f"sheet {rows.sheet!r}: rows {clashes} are written twice")
    last_column = get_column_letter(max(len(rows.frame.columns), 1))
    xml = _DIMENSION.sub(f'<dimension ref="A1:{last_column}{max([last_row, *existing])}"/>', xml, count=1)
    after = [match.start() for match in _ROW_START.finditer(xml) if int(match.group(1)) > last_row]
    at = after[0] if after else xml.index("</sheetData>")
    return xml[:at] + _render(rows) + xml[at:]


def _render(rows: BulkRows) -> str:
    """The <row> elements, built column by column."""
    frame = rows.frame
    if frame.empty:
        return ""
    numbers = [str(n) for n in range(rows.first_row, rows.first_row + len(frame))]
    columns = [_cells(frame.iloc[:, i], get_column_letter(i + 1), numbers, rows.styles[i]) for i in range(len(frame.columns))]
    heights = rows.heights or [None] * len(frame)
    starts = [f'<row r="{n}">' if h is None else f'<row r="{n}" ht="{h:g}" customHeight="1">' for n, h in zip(numbers, heights, strict=True)]
    return "".join(f"{start}{''.join(cells)}</row>" for start, *cells in zip(starts, *columns, strict=True))


def _cells(values: pd.Series, letter: str, numbers: list[str], style: ColumnStyle) -> list[str]:
    """One column's <c> elements; a missing value (None, NaN, infinite, "") is an absent cell."""
    if pd.api.types.is_bool_dtype(values):
        return [f'<c r="{letter}{n}" s="{style.plain}" t="b"><v>{int(v)}</v></c>' for n, v in zip(numbers, values, strict=True)]
    if pd.api.types.is_numeric_dtype(values):
        floats = values.to_numpy(dtype=float, na_value=np.nan)
        finite = np.isfinite(floats)
        if pd.api.types.is_float_dtype(values):
            text = [repr(v) for v in floats.tolist()]
        else:
            text = [str(int(v)) if ok else "" for v, ok in zip(floats.tolist(), finite, strict=True)]
        return [f'<c r="{letter}{n}" s="{style.plain}"><v>{t}</v></c>' if ok else ""
                for n, t, ok in zip(numbers, text, finite, strict=True)]
    return [_cell(value, f"{letter}{n}", style) for n, value in zip(numbers, values, strict=True)]


def _cell(value: object, ref: str, style: ColumnStyle) -> str:
    """One <c> element; empty text is an absent cell, as in a blank Excel cell."""
    if isinstance(value, str):
        if not value:
            return ""
        cleaned = clean_text(value)
        text = cleaned.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
        space = ' xml:space="preserve"' if cleaned != cleaned.strip() else ""
        s = style.quoted if cleaned.startswith(FORMULA_TRIGGERS) else style.plain
        return f'<c r="{ref}" s="{s}" t="inlineStr"><is><t{space}>{text}</t></is></c>'
    if value is None or (isinstance(value, float) and not np.isfinite(value)) or value is pd.NA:
        return ""
    if isinstance(value, bool | np.bool_):
        return f'<c r="{ref}" s="{style.plain}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | np.integer):
        return f'<c r="{ref}" s="{style.plain}"><v>{int(value)}</v></c>'
    if isinstance(value, float | np.floating):
        return f'<c r="{ref}" s="{style.plain}"><v>{float(value)!r}</v></c>'
    return _cell(str(value), ref, style)
