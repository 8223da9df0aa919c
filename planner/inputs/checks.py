"""Consistency between the tables: what stops the run, and what is only reported.

Stops (InputError): an assortment row for a store that stores.csv does not have.
Reported as warnings, the run goes on: assortment rows with a SKU missing from products.csv (left
out), products sold below cost, products wider than every store's shelf, stores without POS data,
text longer than an Excel cell holds (plan.xlsx cuts it).
"""

from __future__ import annotations

import pandas as pd

from planner.errors import InputError, Problem
from planner.inputs.csvfile import LINE
from planner.outputs.sheetrows import EXCEL_CELL_CHARACTERS
from planner.schemas import ASSORTMENT, PRODUCTS, STORE_ID, STORES


def check_assortment(assortment: pd.DataFrame, stores: pd.DataFrame, products: pd.DataFrame, warnings: list[str]) -> pd.DataFrame:
    """Keep the rows that name a known store and product; unknown stores stop, unknown SKUs warn."""
    known_stores = set(stores[STORES.store_id])
    bad_store = ~assortment[ASSORTMENT.store_id].isin(known_stores)
    if bad_store.any():
        expected = f"a store_id from stores.csv ({', '.join(sorted(known_stores)[:10])})"
        raise InputError(
            [
                Problem("assortment.csv", line=int(row[LINE]), column=STORE_ID, found=row[ASSORTMENT.store_id], expected=expected)
                for _, row in assortment[bad_store].head(20).iterrows()
            ]
        )
    bad_sku = ~assortment[ASSORTMENT.sku].isin(set(products[PRODUCTS.sku]))
    if bad_sku.any():
        examples = ", ".join(assortment.loc[bad_sku, ASSORTMENT.sku].head(5))
        warnings.append(
            f"assortment.csv: {int(bad_sku.sum())} rows name a SKU that products.csv does not have "
            f"(e.g. {examples}); they are left out of the current assortment"
        )
    return assortment.loc[~bad_sku, [ASSORTMENT.store_id, ASSORTMENT.sku]].reset_index(drop=True)


def check_products(products: pd.DataFrame, stores: pd.DataFrame, warnings: list[str]) -> None:
    """Warn about products that lose money on every sale or fit no store's shelf."""
    below_cost = products[products[PRODUCTS.unit_cost] > products[PRODUCTS.price]]
    if len(below_cost):
        warnings.append(
            f"products.csv: {len(below_cost)} products cost more than their price "
            f"(e.g. {', '.join(below_cost[PRODUCTS.sku].head(5))}); the planner will only list them if forced"
        )
    too_wide = products[products[PRODUCTS.shelf_space] > stores[STORES.shelf_capacity].max()]
    if len(too_wide):
        warnings.append(
            f"products.csv: {len(too_wide)} products need more shelf space than any store has "
            f"(e.g. {', '.join(too_wide[PRODUCTS.sku].head(5))})"
        )


def check_store_coverage(stores: pd.DataFrame, weekly: pd.DataFrame, warnings: list[str]) -> None:
    """Warn about stores that have no POS lines at all: their demand comes from the other stores only."""
    without = sorted(set(stores[STORES.store_id]) - set(weekly[STORE_ID].unique()))
    if without:
        warnings.append(
            f"no POS data for store(s) {', '.join(without)}: their demand is estimated from the other stores, "
            "scaled by shelf capacity"
        )


def check_long_text(file: str, table: pd.DataFrame, warnings: list[str]) -> None:
    """Warn about text cells longer than an Excel cell holds: plan.xlsx cuts them, with a mark."""
    for column in table.columns:
        if column == LINE or not pd.api.types.is_string_dtype(table[column]):
            continue
        lengths = table[column].map(lambda value: len(value) if isinstance(value, str) else 0)
        long = lengths > EXCEL_CELL_CHARACTERS
        if long.any():
            lines = ", ".join(str(int(n)) for n in table.loc[long, LINE].head(5))
            warnings.append(
                f"{file}: column {column!r} holds {int(long.sum())} texts longer than the {EXCEL_CELL_CHARACTERS:,} "
                f"characters an Excel cell holds (line {lines}); plan.xlsx cuts them there"
            )
