"""A simple ranking baseline: per store, take products by profit per shelf unit while shelf and budget last.

Used by benchmarks and reports to show what the MILP adds over the rule of thumb. The core is
what the greedy picks in every store (fresh products only), as the MILP defines it.
"""

from __future__ import annotations

import pandas as pd

from planner.optimize.inputs import ModelInputs


def greedy_plan(inputs: ModelInputs) -> pd.DataFrame:
    """(store_id, sku, role) chosen greedily; only pairs with positive profit are taken."""
    pairs = inputs.pairs[inputs.pairs["profit"] > 0].reset_index()
    pairs["density"] = pairs["profit"] / pairs["shelf_space"]
    chosen = []
    for store, rows in pairs.sort_values(["store_id", "density"], ascending=[True, False]).groupby("store_id", sort=False):
        shelf_left = float(inputs.shelf_capacity[store])
        budget_left = float(inputs.inventory_budget[store])
        for row in rows.itertuples(index=False):
            if row.shelf_space <= shelf_left and row.inventory_cost <= budget_left:
                shelf_left -= row.shelf_space
                budget_left -= row.inventory_cost
                chosen.append((store, row.sku, bool(row.fresh)))
    plan = pd.DataFrame(chosen, columns=["store_id", "sku", "fresh"])
    everywhere = plan[plan["fresh"].astype(bool)].groupby("sku")["store_id"].nunique()
    core = set(everywhere.index[everywhere == len(inputs.stores)])
    plan["role"] = ["core" if sku in core else "addon" for sku in plan["sku"]]
    return plan[["store_id", "sku", "role"]]
