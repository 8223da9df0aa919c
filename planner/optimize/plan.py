"""Turn a solved model into plan tables, and value any plan (solved, greedy, today's) the same way."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.optimize.inputs import ModelInputs
from planner.optimize.model import Model
from planner.schemas import KEY, STORE_ID, Change, Mode, Role


@dataclass(frozen=True)
class PlanValue:
    """What a plan earns per week under the profiles, recomputed from its (store, sku) list alone."""

    own_profit: float  # sum of the carried pairs' profit (margin - waste - handling), EUR / week
    transfer_profit: float  # margin on demand that dropped products' customers bring to carried substitutes
    listing_cost: float  # chain listing cost of the distinct products carried
    walk_away_cost: float  # loyal cardholders' basket margin lost with the listed products dropped (customers.risk)
    adds: int
    drops: int
    penalty: float  # change penalty x (adds + drops): in the objective, not money
    transfer_units: pd.Series  # (store_id, sku) -> units / week taken over from dropped substitutes
    store_profit: pd.Series  # store_id -> own + transfer profit - walk-away cost, EUR / week (the listing cost is the chain's)

    @property
    def profit(self) -> float:
        """Expected profit, EUR / week: the money figure every comparison uses."""
        return self.own_profit + self.transfer_profit - self.listing_cost - self.walk_away_cost

    @property
    def objective(self) -> float:
        """The MILP objective: profit minus the change penalty."""
        return self.profit - self.penalty


def carried_pairs(model: Model, inputs: ModelInputs) -> pd.DataFrame:
    """One row per carried (store_id, sku) with role `core` or `addon`, read from a solved model."""
    core = sorted(sku for sku, var in model.core.items() if (var.varValue or 0) > 0.5)
    rows = [(store, sku, Role.CORE) for sku in core for store in inputs.stores]
    rows += [(store, sku, Role.ADDON) for (store, sku), var in model.addon.items() if (var.varValue or 0) > 0.5]
    carried = pd.DataFrame(rows, columns=[*KEY, "role"])
    carried.loc[carried["sku"].isin(list(inputs.fixed_core)), "role"] = Role.CORE  # a store re-plan: the fixed core stays core
    return carried


def plan_value(carried: pd.DataFrame, inputs: ModelInputs) -> PlanValue:
    """Value a plan (store_id, sku rows) exactly as the MILP objective does, without the model.

    Substitution: each dropped listed product p sends bound[s, p, q] units to each carried
    substitute q (inputs.substitution_flows), worth q's margin.
    """
    keys = pd.MultiIndex.from_frame(carried[KEY])
    pairs = inputs.all_pairs
    own_by_store = pairs["profit"].reindex(keys).groupby(level=STORE_ID).sum()
    active = active_flows(carried, inputs)
    transfer_units = active.groupby([STORE_ID, "substitute"])["bound"].sum().rename_axis(KEY).astype(float)
    transfer_by_store = (active["bound"] * active["margin"]).groupby(active[STORE_ID]).sum()
    listed = pairs.index[pairs["listed_now"]]
    walk_away = pairs["walk_away"].reindex(listed[~listed.isin(keys)]).groupby(level=STORE_ID).sum()
    store_profit = own_by_store.add(transfer_by_store, fill_value=0.0).sub(walk_away, fill_value=0.0)
    store_profit = store_profit.reindex(inputs.stores, fill_value=0.0).astype(float)
    adds = int((~keys.isin(listed)).sum())
    drops = int((~listed.isin(keys)).sum())
    penalty = inputs.config.stability.change_penalty * (adds + drops)
    distinct = set(carried["sku"]) - set(inputs.listed_elsewhere)
    listing = inputs.listing_cost * len(distinct) if inputs.mode != Mode.STORE else 0.0
    own, transfer = float(own_by_store.sum()), float(transfer_by_store.sum())
    return PlanValue(own, transfer, listing, float(walk_away.sum()), adds, drops, penalty, transfer_units, store_profit.rename_axis(STORE_ID))


def store_summary(plan: pd.DataFrame, stores: pd.DataFrame, listed_now: pd.DataFrame) -> pd.DataFrame:
    """Per store: shelf and budget use against the limits, item counts, profit, adds and drops."""
    grouped = plan.groupby(STORE_ID)
    current = listed_now.groupby(STORE_ID)["sku"].apply(set)
    planned = grouped["sku"].apply(set)
    summary = pd.DataFrame(index=pd.Index(stores[STORE_ID], name=STORE_ID))
    summary["name"] = stores.set_index(STORE_ID)["name"]
    summary["shelf_used"] = grouped["shelf_space"].sum()
    summary["shelf_capacity"] = stores.set_index(STORE_ID)["shelf_capacity"]
    summary["budget_used"] = grouped["inventory_cost"].sum()
    summary["inventory_budget"] = stores.set_index(STORE_ID)["inventory_budget"]
    summary["core_items"] = plan[plan["role"] == Role.CORE].groupby(STORE_ID).size()
    summary["addon_items"] = plan[plan["role"] == Role.ADDON].groupby(STORE_ID).size()
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


def changes(plan: pd.DataFrame, listed_now: pd.DataFrame, inputs: ModelInputs) -> pd.DataFrame:
    """Adds (planned, not listed today) and drops (listed today, not planned), one row each, with
    `forced` naming the override behind the change, if any."""
    planned = plan[KEY].assign(planned=True)
    current = listed_now[KEY].assign(current=True)
    both = planned.merge(current, on=KEY, how="outer", validate="one_to_one")
    both["change"] = np.select([both["planned"].isna(), both["current"].isna()], ["drop", "add"], "keep")
    both = both.loc[both["change"] != Change.KEEP, [*KEY, "change"]]
    keys = pd.MultiIndex.from_frame(both[KEY])
    excluded = inputs.excluded.set_index(KEY)["source"]
    forced_in = inputs.all_pairs["forced_by"].reindex(keys).fillna("").to_numpy()
    forced_out = excluded[~excluded.index.duplicated()].reindex(keys).fillna("").to_numpy()
    both["forced"] = np.where(both["change"] == Change.ADD, forced_in, forced_out)
    return both.sort_values([STORE_ID, "change", "sku"]).reset_index(drop=True)


def active_flows(carried: pd.DataFrame, inputs: ModelInputs) -> pd.DataFrame:
    """The substitution flows a plan uses: from a dropped listed product to a carried substitute."""
    flows = inputs.flows
    keys = pd.MultiIndex.from_frame(carried[KEY])
    dropped = ~pd.MultiIndex.from_frame(flows[KEY]).isin(keys)
    to_carried = pd.MultiIndex.from_frame(flows[[STORE_ID, "substitute"]]).isin(keys)
    return flows[dropped & to_carried]


def moved_demand(carried: pd.DataFrame, inputs: ModelInputs) -> pd.DataFrame:
    """For each dropped listed product: units / week its customers take to substitutes the plan
    carries, the margin on them (EUR / week), and which substitutes. Columns store_id, sku, units,
    margin, substitutes."""
    active = active_flows(carried, inputs).assign(value=lambda f: f["bound"] * f["margin"])
    grouped = active.groupby(KEY)
    return grouped.agg(units=("bound", "sum"), margin=("value", "sum"), substitutes=("substitute", list)).reset_index()
