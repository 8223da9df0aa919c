"""Cached loaders for a published plan folder. Pages read through these, never from files directly."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from planner.runs import OUTPUT_FILES

ID_COLUMNS = {"store_id": str, "sku": str}


@dataclass(frozen=True)
class PublishedPlan:
    """The files of one published run."""

    plan: pd.DataFrame
    changes: pd.DataFrame
    local_index: pd.DataFrame
    summary: dict[str, Any]
    workbook: bytes


def plan_exists(out_dir: Path) -> bool:
    """True when every output of a complete run is present."""
    return all((out_dir / name).exists() for name in OUTPUT_FILES)


def plan_version(out_dir: Path) -> float:
    """Changes whenever a new run is published (summary.json is written last)."""
    return (out_dir / "summary.json").stat().st_mtime


@st.cache_data(show_spinner="Loading the plan ...")
def load_plan(out_dir: str, version: float) -> PublishedPlan:
    """Read a plan folder; `version` (from plan_version) makes the cache reload after a new run."""
    folder = Path(out_dir)
    return PublishedPlan(
        plan=pd.read_csv(folder / "plan.csv", dtype=ID_COLUMNS, keep_default_na=False, na_values=[""]),
        changes=pd.read_csv(folder / "changes.csv", dtype=ID_COLUMNS, keep_default_na=False, na_values=[""]),
        local_index=pd.read_csv(folder / "local_index.csv", dtype={"store_id": str, "value": str}),
        summary=json.loads((folder / "summary.json").read_text(encoding="utf-8")),
        workbook=(folder / "plan.xlsx").read_bytes(),
    )


def store_rows(frame: pd.DataFrame, store_id: str) -> pd.DataFrame:
    """Only the rows of one store: pages never see another store's lines."""
    return frame[frame["store_id"] == store_id].reset_index(drop=True)
