"""plan.csv, changes.csv, local_index.csv and summary.json, each written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from planner.schemas import PLAN_COLUMNS


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file in the same folder, then rename it over `path` (never half-written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        write(Path(temporary))
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; published files get the usual mode
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """A CSV with `.` decimals, UTF-8, LF line ends and 4-decimal floats: the same input gives the same bytes."""
    atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False, float_format="%.4f", lineterminator="\n"))


def plan_csv_frame(plan: pd.DataFrame) -> pd.DataFrame:
    """The contract columns first, in order, then the explanatory extras."""
    return plan[PLAN_COLUMNS + [c for c in plan.columns if c not in PLAN_COLUMNS]]


def write_json(data: dict[str, Any], path: Path) -> None:
    """Pretty, key-ordered JSON."""
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
