"""The published run folder: its file names and formats, written by the weekly run and read by the
app; the only module that knows them.

OUT_DIR/runs/<week>-<run id>/ holds one run's complete outputs; OUT_DIR/current links to the
published one, and each output in OUT_DIR is a link through `current`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from planner.customers import Customers
from planner.inputs import ChainData
from planner.optimize import PlanResult, WhatIfBasis
from planner.outputs.basis import WHAT_IF_DIR, read_basis, write_basis
from planner.outputs.customers import monthly_segments, previous_segments, segment_state, store_segments
from planner.outputs.excel import write_workbook
from planner.outputs.files import plan_csv_frame, read_output_csv, write_csv, write_json
from planner.outputs.report import workbook_sheets
from planner.profiles import Profiles
from planner.schemas import STORE_ID

PLAN_CSV = "plan.csv"  # one row per store and carried product (the target)
CHANGES_CSV = "changes.csv"  # every add and drop to the target, with its week (1 = this week)
LOCAL_INDEX_CSV = "local_index.csv"  # each store's index against the chain per category and attribute
WORKBOOK = "plan.xlsx"  # the head-office workbook
PROFILES_FILE = "profiles.parquet"  # every store x product demand profile, for the app's why / why not
SUMMARY_JSON = "summary.json"  # solver, figures, per-store figures, data report, config
OUTPUT_FILES = (PLAN_CSV, CHANGES_CSV, LOCAL_INDEX_CSV, WORKBOOK, PROFILES_FILE, WHAT_IF_DIR, SUMMARY_JSON)
CUSTOMERS_DIR = "customers"  # only when the tills give loyalty cards: groups of >= 20 cardholders, never a card
SEGMENTS_CSV = "segments.csv"  # one row per segment: name, size, spend, home stores, what it over-buys
STORE_SEGMENTS_CSV = "store_segments.csv"  # per store and segment: cardholders, spend share against the chain
LOYALTY_CSV = "loyalty.csv"  # per store: cardholders, loyal ones, card share of revenue
MONTHLY_CSV = "monthly_segments.csv"  # per store, month and segment: share of card spend
PRODUCT_BUYERS_CSV = "product_buyers.csv"  # per store and product: cardholders, loyal regulars, at risk, their segments
SEGMENTS_JSON = "segments.json"  # ids, names and centroids: next week's run keeps the ids
RUNS_DIR = "runs"  # OUT_DIR/runs/<week>-<run id>: every run's complete outputs, kept
CURRENT_LINK = "current"  # OUT_DIR/current -> runs/<published run>
ID_COLUMNS = {STORE_ID: str, "sku": str}


@dataclass(frozen=True)
class PublishedFiles:
    """The tables of one published run folder, as the app reads them."""

    plan: pd.DataFrame
    changes: pd.DataFrame
    local_index: pd.DataFrame
    profiles: pd.DataFrame
    summary: dict[str, Any]
    workbook: bytes
    customers: PublishedCustomers | None  # None when the chain has no loyalty-card data


@dataclass(frozen=True)
class PublishedCustomers:
    """The customer tables of a run folder (CUSTOMERS_DIR)."""

    segments: pd.DataFrame
    store_segments: pd.DataFrame
    loyalty: pd.DataFrame
    monthly: pd.DataFrame
    product_buyers: pd.DataFrame  # customers.risk.RISK_COLUMNS without `suppressed`; empty figures below 20 cardholders


def write_run_folder(folder: Path, result: PlanResult, changes: pd.DataFrame, profiles: Profiles, summary: dict[str, Any], chain: ChainData,
                     customers: Customers | None = None) -> None:
    """Every output file of a run into `folder` (created)."""
    folder.mkdir(parents=True)
    if customers is not None:
        write_customers(folder / CUSTOMERS_DIR, customers, profiles.at_risk)
    write_csv(plan_csv_frame(result.plan), folder / PLAN_CSV)
    write_csv(changes, folder / CHANGES_CSV)
    write_csv(profiles.indices, folder / LOCAL_INDEX_CSV)
    write_workbook(folder / WORKBOOK, workbook_sheets(result, changes, profiles, summary, chain,
                                                      store_segments(customers) if customers is not None else None))
    names = profiles.pairs["sku"].map(chain.products.set_index("sku")["name"])
    profiles.pairs.assign(name=names).to_parquet(folder / PROFILES_FILE, index=False)
    write_basis(folder / WHAT_IF_DIR, result.basis)  # for the app's what-if and why-not pages: Parquet and JSON, versioned
    write_json(summary, folder / SUMMARY_JSON)



def published_folder(out_dir: Path) -> Path:
    """The folder of the published plan (the run folder `current` points to; `out_dir` before any)."""
    return published_run(out_dir) or out_dir



def published_run(out_dir: Path) -> Path | None:
    """The run folder OUT_DIR/current points to, resolved; None before the first publish."""
    current = out_dir / CURRENT_LINK
    return current.resolve() if current.is_symlink() else None

def read_run_folder(folder: Path) -> PublishedFiles:
    """The tables of a run folder written by write_run_folder."""
    return PublishedFiles(
        plan=read_output_csv(folder / PLAN_CSV, dtype=ID_COLUMNS, keep_default_na=False, na_values=[""]),
        changes=read_output_csv(folder / CHANGES_CSV, dtype=ID_COLUMNS, keep_default_na=False, na_values=[""]),
        local_index=read_output_csv(folder / LOCAL_INDEX_CSV, dtype={STORE_ID: str, "value": str}),
        profiles=pd.read_parquet(folder / PROFILES_FILE),
        summary=json.loads((folder / SUMMARY_JSON).read_text(encoding="utf-8")),
        workbook=(folder / WORKBOOK).read_bytes(),
        customers=read_customers(folder / CUSTOMERS_DIR),
    )


def write_customers(folder: Path, customers: Customers, at_risk: pd.DataFrame | None = None) -> None:
    """The customer tables and the segments' state into `folder` (created); `at_risk`: the profiles'
    customers.risk table (product_buyers.csv)."""
    folder.mkdir()
    if at_risk is not None:
        write_csv(at_risk.drop(columns="suppressed"), folder / PRODUCT_BUYERS_CSV)
    write_csv(customers.segments, folder / SEGMENTS_CSV)
    write_csv(store_segments(customers), folder / STORE_SEGMENTS_CSV)
    write_csv(customers.loyalty.drop(columns="suppressed"), folder / LOYALTY_CSV)
    write_csv(monthly_segments(customers), folder / MONTHLY_CSV)
    write_json(segment_state(customers), folder / SEGMENTS_JSON)


def read_customers(folder: Path) -> PublishedCustomers | None:
    """The customer tables written by write_customers; None when the run had no card data."""
    if not (folder / SEGMENTS_CSV).exists():
        return None
    ids = {STORE_ID: str}
    return PublishedCustomers(
        segments=read_output_csv(folder / SEGMENTS_CSV, keep_default_na=False, na_values=[""]),
        store_segments=read_output_csv(folder / STORE_SEGMENTS_CSV, dtype=ids),
        loyalty=read_output_csv(folder / LOYALTY_CSV, dtype=ids),
        monthly=read_output_csv(folder / MONTHLY_CSV, dtype=ids),
        product_buyers=(read_output_csv(folder / PRODUCT_BUYERS_CSV, dtype=ID_COLUMNS, keep_default_na=False, na_values=[""])
                        if (folder / PRODUCT_BUYERS_CSV).exists() else pd.DataFrame(columns=[STORE_ID, "sku"])),
    )


def last_segments(out_dir: Path) -> tuple[pd.DataFrame, dict[int, str]] | None:
    """The published run's segment centroids and names (to keep their ids this week), if it had any."""
    run = published_run(out_dir)
    path = run / CUSTOMERS_DIR / SEGMENTS_JSON if run else None
    if path is None or not path.exists():
        return None
    return previous_segments(json.loads(path.read_text(encoding="utf-8")))


def read_what_if(folder: Path) -> WhatIfBasis:
    """The what-if basis of a run folder; StalePublishedPlan when it is missing or of another format."""
    return read_basis(folder / WHAT_IF_DIR)


def summary_version(folder: Path) -> float:
    """A number that changes whenever the folder's run is replaced: the summary's modification time."""
    return (folder / SUMMARY_JSON).stat().st_mtime


def plan_exists(out_dir: Path) -> bool:
    """True when every output of a complete run is present."""
    return all((out_dir / name).exists() for name in OUTPUT_FILES)
