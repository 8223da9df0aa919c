"""What the app's pages may read and change: every function takes the signed-in Principal and
checks it, so a store manager sees and changes only their own store, whatever the widgets or the
session state ask for. Published files are read once per run and cached."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from planner.db import Database, connect
from planner.db.accounts import Principal, seed_demo_accounts
from planner.db.requests import AccessDenied
from planner.inputs.masters import read_stores
from planner.optimize import StoreWhatIf, WhatIfBasis, replan_store
from planner.outputs.runfolder import (
    PublishedFiles,
    published_folder,
    read_run_folder,
    read_what_if,
    summary_version,
)
from planner.schemas import STORE_ID

PublishedPlan = PublishedFiles  # the whole chain: pages get slices through store_view


@dataclass(frozen=True)
class StoreView:
    """One store's part of the published plan."""

    store_id: str
    figures: dict[str, Any]  # summary.json's entry for the store
    plan: pd.DataFrame
    changes: pd.DataFrame
    local_index: pd.DataFrame
    profiles: pd.DataFrame  # every product's demand profile in this store, carried or not
    substitution: dict[str, Any]  # the chain's transfer rate, its interval and source (no store's figures)
    customers: StoreCustomers | None  # None when the chain has no loyalty-card data


@dataclass(frozen=True)
class StoreCustomers:
    """One store's customer segments (groups of at least 20 cardholders; no other store's figures)."""

    segments: pd.DataFrame  # outputs.customers.store_segments rows of the store
    loyalty: dict[str, Any]  # the store's row of loyalty.csv
    monthly: pd.DataFrame  # the store's rows of monthly_segments.csv
    over_buys: dict[str, str]  # segment name -> what it buys more of than the average cardholder
    product_buyers: pd.DataFrame  # the store's rows of product_buyers.csv, indexed by sku


def published_plan(out_dir: Path) -> tuple[str, float]:
    """(folder, version) of the published plan: the run folder OUT_DIR/current points to, read as a
    whole even if the next run is published meanwhile; the version makes the caches reload."""
    folder = published_folder(out_dir)
    return str(folder), summary_version(folder)


@st.cache_data(show_spinner="Loading the plan ...")
def load_plan(plan_dir: str, version: float) -> PublishedPlan:
    """Read a published plan folder (from published_plan)."""
    return read_run_folder(Path(plan_dir))


@st.cache_resource(show_spinner="Loading the planning model ...", max_entries=2)
def load_basis(plan_dir: str, version: float) -> WhatIfBasis:
    """The published what-if basis (written by the planner itself, next to the plan)."""
    return read_what_if(Path(plan_dir))


def visible_stores(published: PublishedPlan, who: Principal) -> list[str]:
    """The stores the user may open: all for head office, their own for a manager."""
    return [s for s in published.summary["stores"] if who.may_see(s)]


def store_view(published: PublishedPlan, who: Principal, store_id: str) -> StoreView:
    """One store's plan, changes, indices and profiles; AccessDenied for another manager's store."""
    _check(who, store_id)
    if store_id not in published.summary["stores"]:
        raise AccessDenied(f"store {store_id} is not in the published plan")
    return StoreView(
        store_id=store_id,
        figures=published.summary["stores"][store_id],
        plan=_rows(published.plan, store_id),
        changes=_rows(published.changes, store_id),
        local_index=_rows(published.local_index, store_id),
        profiles=_rows(published.profiles, store_id),
        substitution=published.summary["data"].get("substitution", {}),
        customers=_store_customers(published, store_id),
    )


def _store_customers(published: PublishedPlan, store_id: str) -> StoreCustomers | None:
    customers = published.customers
    if customers is None:
        return None
    loyalty = _rows(customers.loyalty, store_id)
    return StoreCustomers(
        segments=_rows(customers.store_segments, store_id),
        loyalty=loyalty.iloc[0].to_dict() if len(loyalty) else {},
        monthly=_rows(customers.monthly, store_id),
        product_buyers=_rows(customers.product_buyers, store_id).set_index("sku"),
        over_buys=dict(zip(customers.segments["name"], customers.segments["over_buys"], strict=True)),
    )


def chain_segments(published: PublishedPlan, who: Principal) -> pd.DataFrame | None:
    """Every segment across the stores (size, spend, home stores): head office only; None without card data."""
    if not who.is_head_office:
        raise AccessDenied(f"the chain's segments are for head office; {who.username} manages {who.store_id}")
    return published.customers.segments if published.customers is not None else None


def chain_view(published: PublishedPlan, who: Principal) -> dict[str, Any]:
    """The whole summary (every store's figures): head office only."""
    if not who.is_head_office:
        raise AccessDenied(f"the chain overview is for head office; {who.username} manages {who.store_id}")
    return published.summary


def store_what_if(basis: WhatIfBasis, who: Principal, store_id: str, **changes: Any) -> StoreWhatIf:
    """Re-plan one store with the core and the other stores fixed (see optimize.replan_store)."""
    _check(who, store_id)
    return replan_store(basis, store_id, **changes)


def substitutes_of(basis: WhatIfBasis, who: Principal, store_id: str, sku: str) -> pd.DataFrame:
    """The products a sku's buyers switch to in this store (substitute, units/week that would move)."""
    _check(who, store_id)
    flows = basis.inputs.flows
    rows = flows[(flows[STORE_ID] == store_id) & (flows["sku"] == sku)]
    return rows[["substitute", "bound"]].rename(columns={"bound": "units_per_week"}).reset_index(drop=True)


def workbook_for(published: PublishedPlan, who: Principal) -> bytes:
    """The chain workbook: head office only (it holds every store)."""
    chain_view(published, who)
    return published.workbook


@st.cache_resource(show_spinner=False)
def chain_database(url: str, data_dir: str) -> Database:
    """The database, shared by every session of this server, once it is checked to be the data
    folder's (a ForeignDatabase is not cached: the next page load checks again); the sample chain's
    demo accounts are added to it the first time."""
    db = connect(url, Path(data_dir))
    seed_demo_accounts(db, Path(data_dir), list(read_stores(Path(data_dir))[STORE_ID]))
    return db


def _check(who: Principal, store_id: str) -> None:
    if not who.may_see(store_id):
        raise AccessDenied(f"you can only see your own store ({who.store_id}), not {store_id}")


def _rows(frame: pd.DataFrame, store_id: str) -> pd.DataFrame:
    return frame[frame[STORE_ID] == store_id].reset_index(drop=True)
