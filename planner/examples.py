"""Synthetic chains in the input contract, for tests, benchmarks and trying the planner at scale.

`write_synthetic_chain` writes a data folder (stores.csv, products.csv, assortment.csv and weekly
POS totals under pos/) for any number of stores and products. Stores differ in size and in a
random taste per category, so localising pays; limits are set so that each store must choose.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

CATEGORIES = [
    ("Produce", True), ("Dairy", True), ("Bakery", True), ("Meat", True), ("Deli", True), ("Ready Meals", True),
    ("Beverages", False), ("Snacks", False), ("Pantry", False), ("Frozen", False), ("Household", False), ("Personal Care", False),
]


def write_synthetic_chain(
    folder: Path,
    *,
    n_stores: int = 3,
    n_products: int = 40,
    n_weeks: int = 30,
    seed: int = 0,
    fresh: bool = True,
    last_week: str = "2026-11-16",
) -> Path:
    """Write a chain to `folder` and return it. `fresh=False` makes a chain without fresh products."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    categories = [c for c in CATEGORIES if fresh or not c[1]]
    cat_of = rng.integers(0, len(categories), n_products)
    price = np.round(rng.lognormal(0.8, 0.6, n_products).clip(0.39, 25.0), 2)
    is_fresh = np.array([categories[c][1] for c in cat_of])
    products = pd.DataFrame(
        {
            "sku": [f"{i:06d}" for i in range(1, n_products + 1)],
            "name": [f"{categories[c][0]} item {i}" for i, c in enumerate(cat_of, start=1)],
            "category": [categories[c][0] for c in cat_of],
            "fresh": is_fresh.astype(int),
            "price": price,
            "unit_cost": np.round(price * rng.uniform(0.55, 0.8, n_products), 2),
            "shelf_space": rng.integers(1, 4, n_products),
            "case_pack": np.where(is_fresh, rng.integers(4, 13, n_products), rng.integers(6, 25, n_products)),
            "shelf_life_days": np.where(is_fresh, rng.integers(2, 15, n_products), rng.integers(90, 720, n_products)),
        }
    )
    size = rng.uniform(0.6, 1.8, n_stores)
    store_ids = [f"S{i:03d}" for i in range(1, n_stores + 1)]
    taste = rng.lognormal(0.0, 0.45, (n_stores, len(categories)))
    base = rng.lognormal(1.5, 1.0, n_products)
    rate = base[None, :] * size[:, None] * taste[:, cat_of] * rng.lognormal(0.0, 0.3, (n_stores, n_products))
    listed = rng.random((n_stores, n_products)) < 0.75
    weeks = pd.date_range(end=pd.Timestamp(last_week), periods=n_weeks, freq="7D")
    units = rng.poisson(rate[:, :, None] * np.ones(n_weeks)) * listed[:, :, None]
    s_idx, p_idx, w_idx = np.nonzero(units)
    pos = pd.DataFrame(
        {
            "date": weeks[w_idx].strftime("%Y-%m-%d"),
            "store_id": np.array(store_ids)[s_idx],
            "sku": products["sku"].to_numpy()[p_idx],
            "units": units[s_idx, p_idx, w_idx],
        }
    )
    pos["revenue"] = np.round(pos["units"] * price[p_idx], 2)
    shelf_listed = (listed * products["shelf_space"].to_numpy()[None, :]).sum(axis=1)
    inventory = (listed * (products["unit_cost"].to_numpy() * (products["case_pack"].to_numpy() + rate / 7 * 4))).sum(axis=1)
    stores = pd.DataFrame(
        {
            "store_id": store_ids,
            "name": [f"Store {i}" for i in range(1, n_stores + 1)],
            "town": [f"Town {i}" for i in range(1, n_stores + 1)],
            "shelf_capacity": np.maximum(np.round(shelf_listed * 0.85), products["shelf_space"].max()).astype(int),
            "inventory_budget": np.round(inventory * 0.9, 0),
        }
    )
    s_list, p_list = np.nonzero(listed)
    assortment = pd.DataFrame({"store_id": np.array(store_ids)[s_list], "sku": products["sku"].to_numpy()[p_list]})
    stores.to_csv(folder / "stores.csv", index=False)
    products.to_csv(folder / "products.csv", index=False)
    assortment.to_csv(folder / "assortment.csv", index=False)
    for store_id, lines in pos.groupby("store_id"):
        (folder / "pos" / store_id).mkdir(parents=True, exist_ok=True)
        lines.to_csv(folder / "pos" / store_id / "weekly.csv", index=False)
    return folder
