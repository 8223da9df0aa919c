"""Reasons a store manager understands, for every planned item and every drop."""

from __future__ import annotations

import pandas as pd

HIGH_WASTE_SHARE = 0.10  # fresh items losing more than 10 % of their units to waste get a waste note


def plan_reasons(plan: pd.DataFrame, haircut: pd.Series) -> pd.Series:
    """One sentence per plan line: why this product is on this store's shelf (`haircut`: the share of the
    other stores' rate trusted, per (store_id, sku))."""
    trusted = haircut.reindex(pd.MultiIndex.from_frame(plan[["store_id", "sku"]])).fillna(1.0).to_numpy()
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
        elif row.change == "add" and row.role == "core":
            text = "new core product: carried in every store"
        elif row.change == "add" and row.source == "other stores":
            text = f"new here: similar stores sell it ({row.new_listing_haircut:.0%} of their rate trusted)"
        elif row.change == "add":
            text = "earns more per shelf unit than the products it replaces"
        elif row.profit_per_week <= 0:
            text = "loses money after waste" if row.waste_cost_per_week > 0.01 else "loses money"
        else:
            text = "its shelf space and budget earn more with other products"
        if row.change == "drop" and row.moved_units > 0.05 and row.units_per_week > 0:
            text += f"; about {min(row.moved_units / row.units_per_week, 1.0):.0%} of its buyers switch to {row.substitute_names}"
        reasons.append(text)
    return pd.Series(reasons, index=changes.index, dtype=str)


def _reason(row: object, haircut: float) -> str:
    units = f"{row.expected_units_per_week:.1f} units/week"
    money = f"{_eur(row.expected_profit_per_week)}/week profit ({_eur(row.profit_per_shelf_unit)} per shelf unit)"
    if row.role == "core":
        head = "Core: earns its place in every store"
    elif row.change == "add":
        own_units = row.expected_units_per_week - row.transfer_units_per_week
        head = f"New add-on: other stores suggest {own_units:.1f} units/week here ({haircut:.0%} of their rate: the less they agree, the less is trusted)"
        units = ""
    else:
        head = "Add-on: sells well here"
    if row.forced:
        head += f" (required by {row.forced})"
    parts = [head, ", ".join(p for p in (units, money) if p)]
    if row.transfer_units_per_week > 0.05:
        parts.append(f"includes {row.transfer_units_per_week:.1f} units/week from buyers of dropped substitutes")
    if row.local_index >= 1.2 or row.local_index <= 0.8:
        parts.append(f"sells {row.local_index:.1f}x the chain rate here")
    if row.fresh and row.expected_units_per_week > 0 and row.waste_units_per_week / row.expected_units_per_week > HIGH_WASTE_SHARE:
        parts.append(f"waste risk: about {row.waste_units_per_week:.1f} units/week expire")
    return "; ".join(parts)


def _eur(value: float) -> str:
    return f"EUR {value:,.2f}"
