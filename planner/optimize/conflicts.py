"""Why there is no plan, in words: overrides that cannot all hold (found before any solver runs), and
the smallest relaxation of the limits that would make a plan possible (the elastic model)."""

from __future__ import annotations

import pandas as pd

from planner.config import PlanConfig
from planner.optimize.inputs import ModelInputs, core_products
from planner.optimize.model import build_model
from planner.optimize.solve import solve
from planner.schemas import KEY, STORE_ID

SHOWN = 5  # products named per message


def override_conflicts(inputs: ModelInputs, overrides: pd.DataFrame | None) -> list[str]:
    """One sentence per conflict: a pair both forced in and out, or forced products that break a limit."""
    messages = []
    if overrides is not None and len(overrides):
        rules = overrides.groupby(KEY)["rule"].agg(set)
        for store, sku in rules[rules.map(len) > 1].index:
            sources = overrides[(overrides[STORE_ID] == store) & (overrides["sku"] == sku)]
            said = ", ".join(f"{r.rule} ({r.source})" for r in sources.itertuples())
            messages.append(f"store {store}, product {sku}: {said}")
    forced = inputs.all_pairs[inputs.all_pairs["forced"]]
    for store in inputs.stores:
        mine = forced.loc[store] if store in forced.index.get_level_values(STORE_ID) else forced.iloc[:0].droplevel(0)
        for column, limit, unit in (("shelf_space", inputs.shelf_capacity[store], "shelf units"),
                                    ("inventory_cost", inputs.inventory_budget[store], "EUR of inventory")):
            need = float(mine[column].sum())
            if need > limit + 1e-9:
                biggest = mine[column].sort_values(ascending=False).head(SHOWN)
                names = ", ".join(f"{sku} ({value:,.1f})" for sku, value in biggest.items())
                messages.append(
                    f"store {store}: the {len(mine)} products that must be carried need {need:,.1f} {unit}, "
                    f"the limit is {limit:,.1f}; largest: {names}"
                )
    core_max = inputs.rules.core_max_items
    if core_max is not None and len(forced):
        must_core = core_products(forced.index, set(forced.index.get_level_values("sku")[forced["fresh"]]), inputs.stores)
        if len(must_core) > core_max:
            messages.append(
                f"{len(must_core)} fresh products must be carried in every store, so they are core, "
                f"but core_max_items is {core_max}: {', '.join(must_core[:SHOWN])}"
            )
    return messages


def diagnose_infeasibility(inputs: ModelInputs, config: PlanConfig) -> str:
    """Solve the elastic model and name the smallest set of limits to relax, with the amounts."""
    model = build_model(inputs, elastic=True)
    result = solve(model.problem, config.solver)
    if not result.status.has_plan:
        return "the limits cannot all be met, and the diagnosis model found no relaxation either"
    units = {"shelf_capacity": "shelf units", "inventory_budget": "EUR", "core_min_items": "items",
             "min_items_per_category": "items", "max_adds_per_store": "adds", "max_drops_per_store": "drops"}
    lines = []
    for name, slack in model.slack.items():
        amount = slack.varValue or 0.0
        if amount > 1e-6:
            family, store, item = model.constraint_info[name]
            where = f"store {store}" + (f", category {item}" if item else "") if store != "chain" else "the chain"
            lines.append(f"{family} at {where}: short by {amount:,.1f} {units.get(family, '')}")
    return "the limits cannot all be met. Smallest relaxation that makes a plan possible: " + "; ".join(lines)
