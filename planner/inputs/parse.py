"""Turn string columns into typed ones, collecting a Problem for every value that does not fit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.errors import Problem
from planner.inputs.csvfile import LINE
from planner.schemas import EARLIEST_DATE, Column, Table

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


DATE_FORMATS = {  # name -> strptime format; a file uses one of them on every line
    "YYYY-MM-DD": "%Y-%m-%d", "DD.MM.YYYY": "%d.%m.%Y", "DD/MM/YYYY": "%d/%m/%Y", "MM/DD/YYYY": "%m/%d/%Y",
    "YYYY/MM/DD": "%Y/%m/%d", "DD.MM.YY": "%d.%m.%y",
}


@dataclass(frozen=True)
class DateReading:
    """A column's dates in the one format that reads the most of its lines."""

    values: pd.Series  # NaT where that format does not read the line
    format: str | None  # the format's name (DATE_FORMATS), None if no line is a date
    other_formats: pd.Series  # for a line only another format reads: that format's name; "" elsewhere


def parse_date(raw: pd.Series) -> DateReading:
    """Dates in one format for the whole column (a time after the date is ignored).

    The format is the one that reads the most lines; where two read all of them (DD/MM and MM/DD
    when no day is above 12), the one whose dates span the shortest period, day first on a tie.
    """
    tally = raw.value_counts()  # a POS file has a few hundred distinct dates: read each once
    days = tally.index.to_series().str.strip().str.split(r"[ T]", n=1, regex=True).str[0]
    tally = tally[days != ""]
    days = days[days != ""]
    readings = pd.DataFrame({name: pd.to_datetime(days, format=fmt, errors="coerce") for name, fmt in DATE_FORMATS.items()},
                            index=tally.index)
    counts = {name: int(tally[readings[name].notna()].sum()) for name in DATE_FORMATS}
    if max(counts.values(), default=0) == 0:
        return DateReading(pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]"), None, pd.Series("", index=raw.index))
    tied = [name for name in DATE_FORMATS if counts[name] == max(counts.values())]
    chosen = min(tied, key=lambda name: readings[name].max() - readings[name].min())
    values = raw.map(readings[chosen]).astype("datetime64[ns]")
    others = readings.drop(columns=chosen).notna()
    named = pd.Series([" or ".join(others.columns[row]) for row in others.to_numpy()], index=others.index, dtype=object)
    return DateReading(values.dt.normalize(), chosen, raw.map(named).where(values.isna(), "").fillna("").astype(str))


def parse_columns(frame: pd.DataFrame, table: Table, label: str, *, decimal_comma: bool) -> tuple[pd.DataFrame, list[Problem]]:
    """Type the declared columns of `frame` in place of their strings; extra columns stay text."""
    problems: list[Problem] = []
    out = frame.copy()
    for column in table.columns:
        raw = frame[column.name].astype(str)
        if column.kind == "date":
            values, bad, mixed = _parse_dates(frame, raw, column, label)
            problems.extend(mixed)
        else:
            values, bad = _parse_one(raw, column, decimal_comma=decimal_comma)
        out[column.name] = values
        for line, found in zip(frame.loc[bad, LINE].head(50), raw[bad].head(50), strict=True):
            problems.append(Problem(label, line=int(line), column=column.name, found=found, expected=column.expectation()))
        if bad.sum() > 50:
            extra = int(bad.sum()) - 50
            problems.append(Problem(label, column=column.name, expected=f"({extra} more such values not listed)"))
    return out, problems


def _parse_dates(frame: pd.DataFrame, raw: pd.Series, column: Column, label: str) -> tuple[pd.Series, pd.Series, list[Problem]]:
    """The dates, the lines that are no date (or one before EARLIEST_DATE), and one Problem per other
    format some lines are written in: a file whose lines fit two readings is refused, with the lines."""
    reading = parse_date(raw)
    mixed = reading.other_formats != ""
    problems = []
    for other in sorted(set(reading.other_formats[mixed])):
        lines = frame.loc[reading.other_formats == other, LINE]
        listed = ", ".join(str(int(n)) for n in lines.head(10)) + (f" and {len(lines) - 10} more" if len(lines) > 10 else "")
        first = reading.other_formats.index[reading.other_formats == other][0]
        problems.append(Problem(
            label, line=int(lines.iloc[0]), column=column.name, found=raw[first].strip(),
            expected=f"one date format in a file, {reading.format} as on {int(reading.values.notna().sum()):,} other lines; "
                     f"{other} on line(s) {listed}",
        ))
    early = (reading.values < pd.Timestamp(EARLIEST_DATE)).fillna(False)
    return reading.values.where(~early), (reading.values.isna() | early) & ~mixed, problems


def _parse_one(raw: pd.Series, column: Column, *, decimal_comma: bool) -> tuple[pd.Series, pd.Series]:
    stripped = raw.str.strip()
    if column.kind in ("id", "text"):
        return stripped, stripped == ""
    if column.kind == "label":
        return stripped, pd.Series(False, index=raw.index)
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
