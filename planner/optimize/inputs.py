"""ModelInputs: the (store, sku) candidates and every number the MILP needs, and nothing else.

Candidates are built once, here: a store-product pair gets a decision only when it could earn
money there (positive expected weekly profit), when it may be needed to meet a category minimum,
or when it is a fresh product that could be core (all stores together make money on it). All
other pairs can never be in an optimal plan and are left out, which keeps the model small.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from planner.config import AssortmentConfig

PAIR_COLUMNS = ["profit", "shelf_space", "inventory_cost", "category", "fresh", "listed_now"]


@dataclass(frozen=True)
class ModelInputs:
    """Numbers for the MILP. Money in EUR per week (profit) or EUR (inventory), space in shelf units."""

    stores: pd.Index  # store ids, in stores.csv order
    shelf_capacity: pd.Series  # store -> shelf units
    inventory_budget: pd.Series  # store -> EUR
    pairs: pd.DataFrame  # MultiIndex (store_id, sku) -> PAIR_COLUMNS; the add-on / carry candidates
    core_skus: pd.Index  # fresh products that may be core (a candidate pair in every store)
    category_minimum: pd.Series  # (store_id, category) -> items required (already capped at what exists)
    rules: AssortmentConfig
    tokens: dict[str, str]  # store id or sku -> name-safe token for variable and constraint names


def build_model_inputs(stores: pd.DataFrame, profiles: pd.DataFrame, shelf_space: pd.Series, rules: AssortmentConfig) -> ModelInputs:
    """Select candidate pairs from the profiles (store_id, sku, profit_per_week, ...) and collect the limits.

    `shelf_space` maps sku -> shelf units of one listing.
    """
    frame = profiles.assign(
        profit=profiles["profit_per_week"],
        shelf_space=profiles["sku"].map(shelf_space).astype(float),
    )
    chain_profit = frame[frame["fresh"]].groupby("sku")["profit"].sum()
    core_possible = set(chain_profit.index[chain_profit > 0])
    if rules.core_min_items > 0:
        core_possible |= set(chain_profit.sort_values(ascending=False).index[: rules.core_min_items])
    keep = (frame["profit"] > 0) | frame["sku"].isin(core_possible)
    if rules.min_items_per_category > 0:
        ranked = frame.sort_values("profit", ascending=False).groupby(["store_id", "category"]).cumcount()
        keep |= ranked < rules.min_items_per_category
    pairs = frame[keep].set_index(["store_id", "sku"])[PAIR_COLUMNS].sort_index()
    store_index = pd.Index(stores["store_id"], name="store_id")
    per_sku = pairs.index.get_level_values("sku").value_counts()
    core = pd.Index(sorted(s for s in core_possible if per_sku.get(s, 0) == len(store_index)), name="sku")
    in_category = frame.groupby(["store_id", "category"]).size()
    minimum = in_category.clip(upper=rules.min_items_per_category) if rules.min_items_per_category else in_category.iloc[:0]
    return ModelInputs(
        stores=store_index,
        shelf_capacity=stores.set_index("store_id")["shelf_capacity"].astype(float),
        inventory_budget=stores.set_index("store_id")["inventory_budget"].astype(float),
        pairs=pairs,
        core_skus=core,
        category_minimum=minimum[minimum > 0],
        rules=rules,
        tokens=name_tokens([*store_index, *frame["sku"].unique(), *frame["category"].unique()]),
    )


def name_tokens(ids: list[str]) -> dict[str, str]:
    """A unique name-safe token per id: letters, digits and `_` only (PuLP rewrites other characters)."""
    tokens: dict[str, str] = {}
    used: set[str] = set()
    for value in dict.fromkeys(ids):
        token = re.sub(r"[^A-Za-z0-9_]", "_", str(value)) or "x"
        candidate, n = token, 1
        while candidate in used:
            n += 1
            candidate = f"{token}_{n}"
        tokens[value] = candidate
        used.add(candidate)
    return tokens
