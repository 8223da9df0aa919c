"""The data rows of a workbook table, written into an XlsxWriter worksheet column by column.

A 30-store chain's plan has over a million cells, so each column is prepared once (finite numbers;
text cleaned once per distinct value, outputs.files.clean_text) before its cells are written.
Text is always written with write_string, so it never becomes a formula, a number or a link; text
starting with = + - @ tab or CR also gets the column's quote-prefix format, so Excel keeps it text
even when the cell is edited. A missing value (None, NaN, infinite, "") is an absent cell.

Also the rows a table is made of: its parts when it outgrows one sheet (sheet_parts), and yes/no
attribute values as words (flag_labels).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from planner.outputs.files import EXCEL_CELL_CHARACTERS, FORMULA_TRIGGERS, clean_text

__all__ = ["EXCEL_CELL_CHARACTERS", "ColumnStyle", "flag_labels", "sheet_parts", "write_rows", "write_value"]  # EXCEL_CELL_CHARACTERS: for inputs.checks

FLAGS = {"1": True, "1.0": True, "true": True, "yes": True, "y": True, "ja": True,
         "0": False, "0.0": False, "false": False, "no": False, "n": False, "nein": False}  # yes/no spellings in a product master


@dataclass(frozen=True)
class ColumnStyle:
    """A column's cell formats: plain, and with the quote prefix (for text that looks like a formula)."""

    plain: Format
    quoted: Format


def write_rows(sheet: Worksheet, frame: pd.DataFrame, first_row: int, styles: Sequence[ColumnStyle],
               heights: Sequence[float | None] | None = None) -> None:
    """The rows of `frame` from sheet row `first_row` (counted from 0) on, one style per column;
    `heights` in points per row, None keeping the default height."""
    for col, style in enumerate(styles):
        _write_column(sheet, frame.iloc[:, col], first_row, col, style)
    for row, height in enumerate(heights or (), start=first_row):
        if height is not None:
            sheet.set_row(row, height)


def write_value(sheet: Worksheet, row: int, col: int, value: Any, style: ColumnStyle) -> None:
    """One cell: text as text, a yes/no as a boolean, a finite number as a number, nothing for a missing value."""
    if isinstance(value, str):
        text = clean_text(value)
        if text:
            sheet.write_string(row, col, text, style.quoted if text.startswith(FORMULA_TRIGGERS) else style.plain)
    elif value is None or value is pd.NA or value is pd.NaT:
        return
    elif isinstance(value, bool | np.bool_):
        sheet.write_boolean(row, col, bool(value), style.plain)
    elif isinstance(value, int | np.integer):
        sheet.write_number(row, col, int(value), style.plain)
    elif isinstance(value, float | np.floating):
        if np.isfinite(value):
            sheet.write_number(row, col, float(value), style.plain)
    else:
        write_value(sheet, row, col, str(value), style)


def _write_column(sheet: Worksheet, values: pd.Series, first_row: int, col: int, style: ColumnStyle) -> None:
    rows = range(first_row, first_row + len(values))
    if pd.api.types.is_bool_dtype(values):
        for row, value in zip(rows, values.tolist(), strict=True):
            write_value(sheet, row, col, value, style)
    elif pd.api.types.is_numeric_dtype(values):
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        finite = np.isfinite(numbers)
        shown = numbers[finite].astype(np.int64) if pd.api.types.is_integer_dtype(values) else numbers[finite]
        write, plain = sheet.write_number, style.plain
        for row, number in zip((np.flatnonzero(finite) + first_row).tolist(), shown.tolist(), strict=True):
            write(row, col, number, plain)
    else:
        cleaned: dict[str, tuple[str, Format]] = {}  # value -> (its text, its format), once per distinct text
        write = sheet.write_string
        for row, value in zip(rows, values.tolist(), strict=True):
            if value.__class__ is not str:
                write_value(sheet, row, col, value, style)
                continue
            known = cleaned.get(value)
            if known is None:
                text = clean_text(value)
                known = cleaned[value] = (text, style.quoted if text.startswith(FORMULA_TRIGGERS) else style.plain)
            if known[0]:
                write(row, col, known[0], known[1])


def sheet_parts(frame: pd.DataFrame, rows: int) -> list[tuple[int, int]]:
    """(start, stop) row ranges of at most `rows` rows that cover `frame` (one sheet each: Excel holds
    1,048,576 rows), cut where a store's rows begin when one begins within the range."""
    if len(frame) <= rows:
        return [(0, len(frame))]
    stores = frame["store_id"] if "store_id" in frame.columns else pd.Series(0, index=frame.index)
    starts = np.flatnonzero((stores != stores.shift()).to_numpy())
    parts, start = [], 0
    while start < len(frame):
        stop = min(start + rows, len(frame))
        cuts = starts[(starts > start) & (starts <= stop)]
        if stop < len(frame) and len(cuts):
            stop = int(cuts[-1])
        parts.append((start, stop))
        start = stop
    return parts


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
