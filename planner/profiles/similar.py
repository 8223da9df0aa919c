"""Weekly demand for products a store does not carry yet, learned from the stores that do.

Demand share is modelled as `share[s, p] = base[p] x multiplier[s, p]`, where the multiplier is
the product of the store's indices for the product's category and attributes. The base share is
learned from the stores that sell p, after taking out their own multipliers, so a product sold
only in a family store is not over-estimated for a city store:

    base[p]        = sum_t rate[t, p] / sum_t (traffic[t] x multiplier[t, p])   over stores t selling p
    estimate[s, p] = base[p] x traffic[s] x multiplier[s, p] x new_listing_haircut
"""

from __future__ import annotations

import pandas as pd


def new_listing_estimates(
    own: pd.DataFrame, candidates: pd.DataFrame, traffic: pd.Series, own_multiplier: pd.Series,
    candidate_multiplier: pd.Series, haircut: float,
) -> pd.DataFrame:
    """Estimate units/week (and their spread) for `candidates` (store_id, sku) from the stores in `own`.

    Returns candidates with units_per_week, sd_units_per_week and evidence_stores (stores the estimate rests on).
    """
    basis = own.assign(denominator=own["traffic"] * own_multiplier, cv=own["sd_units_per_week"] / own["units_per_week"].where(own["units_per_week"] > 0))
    grouped = basis.groupby("sku").agg(rate=("units_per_week", "sum"), denominator=("denominator", "sum"), cv=("cv", "median"), evidence_stores=("store_id", "nunique"))
    base = grouped["rate"] / grouped["denominator"].where(grouped["denominator"] > 0)
    out = candidates[["store_id", "sku"]].copy()
    units = out["sku"].map(base).fillna(0.0) * out["store_id"].map(traffic) * candidate_multiplier.to_numpy() * haircut
    out["units_per_week"] = units.to_numpy()
    out["sd_units_per_week"] = (units * out["sku"].map(grouped["cv"]).fillna(1.0)).to_numpy()
    out["evidence_stores"] = out["sku"].map(grouped["evidence_stores"]).fillna(0).astype(int).to_numpy()
    return out
