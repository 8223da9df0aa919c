"""Overrides that cannot all hold, found and named before any solver runs."""

from __future__ import annotations

import pandas as pd

from planner.optimize.inputs import ModelInputs
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
    forced = inputs.all_pairs[inputs.all_pairs["forced"] != ""]
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
        everywhere = forced[forced["fresh"]].groupby(level="sku").size()
        must_core = sorted(everywhere.index[everywhere == len(inputs.stores)])
        if len(must_core) > core_max:
            messages.append(
                f"{len(must_core)} fresh products must be carried in every store, so they are core, "
                f"but core_max_items is {core_max}: {', '.join(must_core[:SHOWN])}"
            )
    return messages
