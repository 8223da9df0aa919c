"""Turn string columns into typed ones, collecting a Problem for every value that does not fit."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.errors import Problem
from planner.inputs.csvfile import LINE
from planner.schemas import Column, Table

_GERMAN_THOUSANDS = r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$"  # 1.234,56
_ENGLISH_THOUSANDS = r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$"  # 1,234.56
_DECIMAL_COMMA = r"^[+-]?\d*,\d+$"  # 12,5
FLAGS = {"1": 1, "0": 0, "true": 1, "false": 0, "yes": 1, "no": 0, "ja": 1, "nein": 0, "y": 1, "n": 0, "x": 1}


def parse_number(raw: pd.Series, *, decimal_comma: bool) -> pd.Series:
    """Numbers written as `12.5`, `12,5`, `1.234,56` or `1,234.56`; unreadable values become NaN.

    `decimal_comma` (the file uses `;` separators) settles the ambiguous forms: there `1,234` is
    1.234 and `1.200` is 1200; in a `,`-separated file `1,234` is 1234.
    """
    values = pd.to_numeric(raw, errors="coerce").astype("float64")
    if decimal_comma:  # in a decimal-comma file, 1.200 is twelve hundred
        values[raw.str.contains(".", regex=False) & raw.str.match(_GERMAN_THOUSANDS)] = float("nan")
    todo = values.isna() & (raw != "")
    text = raw.copy()
    text[todo] = raw[todo].str.strip().str.replace(r"[\s\u00a0']", "", regex=True)
    if todo.any():
        rest = text[todo]
        german = rest.str.match(_GERMAN_THOUSANDS)
        if decimal_comma:
            comma = rest.str.match(_DECIMAL_COMMA) & ~german
            english = rest.str.match(_ENGLISH_THOUSANDS) & ~german & ~comma
        else:
            english = rest.str.match(_ENGLISH_THOUSANDS) & ~german
            comma = rest.str.match(_DECIMAL_COMMA) & ~english
        fixed = rest.copy()
        fixed[german] = rest[german].str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        fixed[english] = rest[english].str.replace(",", "", regex=False)
        fixed[comma] = rest[comma].str.replace(",", ".", regex=False)
        values[todo] = pd.to_numeric(fixed, errors="coerce")
    return values.astype("float64")


def parse_date(raw: pd.Series) -> pd.Series:
    """Dates as `YYYY-MM-DD`, `DD.MM.YYYY` or `DD/MM/YYYY`, optionally followed by a time; else NaT."""
    dates = pd.to_datetime(raw, format="%Y-%m-%d", errors="coerce")
    text = raw.copy()
    todo = dates.isna() & (raw != "")
    text[todo] = raw[todo].str.strip().str.split(r"[ T]", n=1, regex=True).str[0]
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y/%m/%d", "%d.%m.%y"):
        todo = dates.isna() & (text != "")
        if not todo.any():
            break
        dates[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce")
    return dates.astype("datetime64[ns]").dt.normalize()


def parse_columns(frame: pd.DataFrame, table: Table, label: str, *, decimal_comma: bool) -> tuple[pd.DataFrame, list[Problem]]:
    """Type the declared columns of `frame` in place of their strings; extra columns stay text."""
    problems: list[Problem] = []
    out = frame.copy()
    for column in table.columns:
        raw = frame[column.name].astype(str)
        values, bad = _parse_one(raw, column, decimal_comma=decimal_comma)
        out[column.name] = values
        for line, found in zip(frame.loc[bad, LINE].head(50), raw[bad].head(50), strict=True):
            problems.append(Problem(label, line=int(line), column=column.name, found=found, expected=column.expectation()))
        if bad.sum() > 50:
            extra = int(bad.sum()) - 50
            problems.append(Problem(label, column=column.name, expected=f"({extra} more such values not listed)"))
    return out, problems


def _parse_one(raw: pd.Series, column: Column, *, decimal_comma: bool) -> tuple[pd.Series, pd.Series]:
    stripped = raw.str.strip()
    if column.kind in ("id", "text"):
        return stripped, stripped == ""
    if column.kind == "date":
        values = parse_date(stripped)
        return values, values.isna()
    if column.kind == "flag":
        values = stripped.str.lower().map(FLAGS)
        return values.fillna(-1).astype("int64"), values.isna()
    values = parse_number(stripped, decimal_comma=decimal_comma)
    bad = values.isna() | np.isinf(values)
    if column.kind == "int":
        bad |= values.notna() & (values != values.round())
    if column.minimum is not None:
        below = values <= column.minimum if column.strictly_positive else values < column.minimum
        bad |= below.fillna(False)
    if column.maximum is not None:
        bad |= (values > column.maximum).fillna(False)
    return values, bad
