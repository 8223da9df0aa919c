"""Reasons a store manager understands, for every planned item and every drop."""

from __future__ import annotations

from typing import Any

import pandas as pd

from planner.schemas import KEY, Change, Role

HIGH_WASTE_SHARE = 0.10  # fresh items losing more than 10 % of their units to waste get a waste note


def plan_reasons(plan: pd.DataFrame, profiles: pd.DataFrame) -> pd.Series:
    """One sentence per plan line: why this product is on this store's shelf. `profiles`: the demand
    profiles indexed by (store_id, sku), for the share of the other stores' rate trusted
    (new_listing_haircut), what an estimate rests on (forecast_method) and the walk-away cost."""
    mine = profiles.reindex(pd.MultiIndex.from_frame(plan[KEY]))
    trusted = mine["new_listing_haircut"].fillna(1.0).to_numpy()
    segments = mine["forecast_method"].fillna("").str.contains("customer segments").to_numpy()
    walk_away = mine["walk_away_cost_per_week"].fillna(0.0).to_numpy()
    rows = zip(plan.itertuples(index=False), trusted, segments, walk_away, strict=True)
    return pd.Series([_reason(row, share, by_segments, cost) for row, share, by_segments, cost in rows], index=plan.index, dtype=str)


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


def _reason(row: Any, haircut: float, by_segments: bool, walk_away: float) -> str:  # a row of plan.itertuples()
    """Why the line is on the shelf, without the figures its row already shows (units, profit)."""
    if row.role == Role.CORE:
        head = "core: earns its place in every store"
    elif row.change == Change.ADD and by_segments:
        head = f"new here: this store's customer segments buy it where it is sold ({haircut:.0%} of the estimate trusted)"
    elif row.change == Change.ADD:
        head = f"new here: similar stores sell it ({haircut:.0%} of their rate trusted: the less they agree, the less)"
    else:
        head = "add-on: earns its shelf space here"
    if row.forced:
        head += f" (required by {row.forced})"
    parts = [head]
    if row.transfer_units_per_week > 0.05:
        parts.append(f"{row.transfer_units_per_week:.1f} of its units come from buyers of dropped substitutes")
    if walk_away > 0.005:
        parts.append(f"loyal cardholders buy it regularly and no alternative here: dropping it risks EUR {walk_away:,.2f} a week of their baskets")
    if row.local_index >= 1.2 or row.local_index <= 0.8:
        parts.append(f"sells {row.local_index:.1f}x the chain rate here")
    if row.fresh and row.expected_units_per_week > 0 and row.waste_units_per_week / row.expected_units_per_week > HIGH_WASTE_SHARE:
        parts.append(f"waste risk: {row.waste_units_per_week / row.expected_units_per_week:.0%} of its units expire")
    return "; ".join(parts)
