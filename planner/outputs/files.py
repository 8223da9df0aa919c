"""plan.csv, changes.csv, local_index.csv and summary.json, each written atomically, and the rules
for text in a spreadsheet cell that the CSV files and the workbooks (outputs.excel) share.

Every CSV is written formula-safe (OWASP's rule for CSV injection): a text cell starting with
= + - @ tab or CR gets a leading apostrophe, so a spreadsheet shows it as text instead of running
it; a text cell that itself starts with an apostrophe gets one more, so `read_output_csv` gives back
exactly what was written. Numbers stay numbers. In a workbook the same text is stored as text with
Excel's quote prefix, after `clean_text` took out what an xlsx file cannot hold.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from planner.schemas import PLAN_COLUMNS

GUARD = "'"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")  # text starting with one of these can become a formula in a spreadsheet
EXCEL_CELL_CHARACTERS = 32_767  # UTF-16 code units; Excel refuses to open a cell holding more
CUT_MARK = " ... [cut: Excel holds 32,767 characters per cell]"
_NOT_STORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")  # XML 1.0 cannot hold them


def clean_text(value: str) -> str:
    """The text without the characters an xlsx file cannot hold (control characters but tab, line
    feed and carriage return; U+FFFE/FFFF; lone surrogates), cut to what an Excel cell holds, with a
    visible mark where it was cut."""
    text = _NOT_STORABLE.sub("", value)
    if len(text) <= EXCEL_CELL_CHARACTERS // 2 or len(text.encode("utf-16-le")) <= 2 * EXCEL_CELL_CHARACTERS:
        return text
    kept = text.encode("utf-16-le")[: 2 * (EXCEL_CELL_CHARACTERS - len(CUT_MARK))]
    return kept.decode("utf-16-le", errors="ignore") + CUT_MARK  # "ignore": a character cut in half goes


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Write through a temporary file in the same folder, then rename it over `path` (never half-written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _new_temporary(path)
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def _new_temporary(path: Path) -> Path:
    """An empty `.<name>.<random>.tmp` next to `path`, made with the mode a new file gets from the
    process's umask (mkstemp would make it 0600; the process umask is never changed)."""
    while True:
        temporary = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return temporary


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot become formulas in a spreadsheet (module docstring)."""
    safe = frame.copy()
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):
            safe[column] = [GUARD + v if isinstance(v, str) and v.startswith((*FORMULA_TRIGGERS, GUARD)) else v for v in safe[column]]
    return safe


def read_output_csv(path: Path, **options: Any) -> pd.DataFrame:
    """A CSV written by `write_csv`, its text cells as they were before the formula guard."""
    frame = pd.read_csv(path, **options)
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = [v[1:] if isinstance(v, str) and v.startswith(GUARD) else v for v in frame[column]]
    return frame


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """A formula-safe CSV with `.` decimals, UTF-8, LF line ends and 4-decimal floats: the same input gives the same bytes."""
    safe = csv_safe(frame)
    atomic_write(path, lambda tmp: safe.to_csv(tmp, index=False, float_format="%.4f", lineterminator="\n"))


def plan_csv_frame(plan: pd.DataFrame) -> pd.DataFrame:
    """The contract columns first, in order, then the explanatory extras."""
    return plan[PLAN_COLUMNS + [c for c in plan.columns if c not in PLAN_COLUMNS]]


def write_json(data: dict[str, Any], path: Path) -> None:
    """Pretty, key-ordered JSON."""
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
