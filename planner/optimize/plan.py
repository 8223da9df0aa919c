"""Turn a solved model into plan tables, and recompute the objective from those tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.optimize.inputs import ModelInputs
from planner.optimize.model import Model


def carried_pairs(model: Model, inputs: ModelInputs) -> pd.DataFrame:
    """One row per carried (store_id, sku) with role `core` or `addon`, read from a solved model."""
    core = sorted(sku for sku, var in model.core.items() if (var.varValue or 0) > 0.5)
    rows = [(store, sku, "core") for sku in core for store in inputs.stores]
    rows += [(store, sku, "addon") for (store, sku), var in model.addon.items() if (var.varValue or 0) > 0.5]
    return pd.DataFrame(rows, columns=["store_id", "sku", "role"])


def plan_objective(plan: pd.DataFrame) -> float:
    """Expected weekly profit of a plan table (EUR / week): the sum of its lines' profit."""
    return float(plan["expected_profit_per_week"].sum())


def store_summary(plan: pd.DataFrame, stores: pd.DataFrame, listed_now: pd.DataFrame) -> pd.DataFrame:
    """Per store: shelf and budget use against the limits, item counts, profit, adds and drops."""
    grouped = plan.groupby("store_id")
    current = listed_now.groupby("store_id")["sku"].apply(set)
    planned = grouped["sku"].apply(set)
    summary = pd.DataFrame(index=pd.Index(stores["store_id"], name="store_id"))
    summary["name"] = stores.set_index("store_id")["name"]
    summary["shelf_used"] = grouped["shelf_space"].sum()
    summary["shelf_capacity"] = stores.set_index("store_id")["shelf_capacity"]
    summary["budget_used"] = grouped["inventory_cost"].sum()
    summary["inventory_budget"] = stores.set_index("store_id")["inventory_budget"]
    summary["core_items"] = plan[plan["role"] == "core"].groupby("store_id").size()
    summary["addon_items"] = plan[plan["role"] == "addon"].groupby("store_id").size()
    summary["expected_units_per_week"] = grouped["expected_units_per_week"].sum()
    summary["expected_sales_per_week"] = grouped["expected_sales_per_week"].sum()
    summary["expected_profit_per_week"] = grouped["expected_profit_per_week"].sum()
    summary["waste_cost_per_week"] = grouped["waste_cost_per_week"].sum()
    summary["adds"] = [len(planned.get(s, set()) - current.get(s, set())) for s in summary.index]
    summary["drops"] = [len(current.get(s, set()) - planned.get(s, set())) for s in summary.index]
    summary = summary.fillna({c: 0 for c in summary.columns if c != "name"})
    for column in ("core_items", "addon_items", "adds", "drops"):
        summary[column] = summary[column].astype(int)
    summary["shelf_use_pct"] = 100 * summary["shelf_used"] / summary["shelf_capacity"]
    summary["budget_use_pct"] = 100 * summary["budget_used"] / summary["inventory_budget"]
    return summary.reset_index()


def changes(plan: pd.DataFrame, listed_now: pd.DataFrame) -> pd.DataFrame:
    """Adds (planned, not listed today) and drops (listed today, not planned), one row each."""
    planned = plan[["store_id", "sku"]].assign(planned=True)
    current = listed_now[["store_id", "sku"]].assign(current=True)
    both = planned.merge(current, on=["store_id", "sku"], how="outer", validate="one_to_one")
    both["change"] = np.select([both["planned"].isna(), both["current"].isna()], ["drop", "add"], "keep")
    return both.loc[both["change"] != "keep", ["store_id", "sku", "change"]].sort_values(["store_id", "change", "sku"]).reset_index(drop=True)
