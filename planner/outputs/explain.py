"""Reasons a store manager understands, for every planned item and every drop."""

from __future__ import annotations

from typing import Any

import pandas as pd

from planner.schemas import KEY, Change, Role

HIGH_WASTE_SHARE = 0.10  # fresh items losing more than 10 % of their units to waste get a waste note


def plan_reasons(plan: pd.DataFrame, haircut: pd.Series) -> pd.Series:
    """One sentence per plan line: why this product is on this store's shelf (`haircut`: the share of the
    other stores' rate trusted, per (store_id, sku))."""
    trusted = haircut.reindex(pd.MultiIndex.from_frame(plan[KEY])).fillna(1.0).to_numpy()
    return pd.Series([_reason(row, share) for row, share in zip(plan.itertuples(index=False), trusted, strict=True)],
                     index=plan.index, dtype=str)


def change_reasons(changes: pd.DataFrame) -> pd.Series:
    """One short sentence per add or drop for the shelf's change list, saying only what its columns
    (units, profit impact, shelf units, case pack) do not: why. Rows carry the store's profile of the
    product, `role` (adds), `forced`, `moved_units`, `substitute_names` and `new_listing_haircut`."""
    reasons = []
    for row in changes.itertuples(index=False):
        if row.forced:
            text = f"{'required' if row.change == 'add' else 'excluded'} by {row.forced}"
        elif row.change == Change.ADD and row.role == Role.CORE:
            text = "new core product: carried in every store"
        elif row.change == Change.ADD and row.source == "other stores":
            text = f"new here: similar stores sell it ({row.new_listing_haircut:.0%} of their rate trusted)"
        elif row.change == Change.ADD:
            text = "earns more per shelf unit than the products it replaces"
        elif row.profit_per_week <= 0:
            text = "loses money after waste" if row.waste_cost_per_week > 0.01 else "loses money"
        else:
            text = "its shelf space and budget earn more with other products"
        if row.change == Change.DROP and row.moved_units > 0.05 and row.units_per_week > 0:
            text += f"; about {min(row.moved_units / row.units_per_week, 1.0):.0%} of its buyers switch to {row.substitute_names}"
        reasons.append(text)
    return pd.Series(reasons, index=changes.index, dtype=str)


def _reason(row: Any, haircut: float) -> str:  # a row of plan.itertuples()
    """Why the line is on the shelf, without the figures its row already shows (units, profit)."""
    if row.role == Role.CORE:
        head = "core: earns its place in every store"
    elif row.change == Change.ADD:
        head = f"new here: similar stores sell it ({haircut:.0%} of their rate trusted: the less they agree, the less)"
    else:
        head = "add-on: earns its shelf space here"
    if row.forced:
        head += f" (required by {row.forced})"
    parts = [head]
    if row.transfer_units_per_week > 0.05:
        parts.append(f"{row.transfer_units_per_week:.1f} of its units come from buyers of dropped substitutes")
    if row.local_index >= 1.2 or row.local_index <= 0.8:
        parts.append(f"sells {row.local_index:.1f}x the chain rate here")
    if row.fresh and row.expected_units_per_week > 0 and row.waste_units_per_week / row.expected_units_per_week > HIGH_WASTE_SHARE:
        parts.append(f"waste risk: {row.waste_units_per_week / row.expected_units_per_week:.0%} of its units expire")
    return "; ".join(parts)
