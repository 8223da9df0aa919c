"""The baselines a plan is judged against, each within every store's own shelf and budget.

    greedy   per store, the candidates by expected profit per shelf unit, taken while shelf and budget last
             (`store_greedy_plan`: the same for one store's problem within all its rules, the fallback of
             the store-by-store solve when a store's MILP has no plan within its time budget)
    uniform  one chain-wide ranking (the product's expected profit summed over the stores, per shelf
             unit); every store carries it from the top down to what fits its own limits
    current  today's assortment; in a store where it breaks the shelf or the budget, its best trim
             (the subset of today's products with the largest expected profit that fits)

"Taken while they last" skips a product that does not fit and goes on with the next one. A fresh
core candidate that ends up in every store counts as core, as in the plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pulp

from planner.config import SolverConfig
from planner.errors import SolverError
from planner.optimize.inputs import ModelInputs, core_products
from planner.optimize.solve import SolveStatus, linear_expression, solve
from planner.schemas import KEY, STORE_ID, Role

if TYPE_CHECKING:  # workers.py imports this module (the greedy fallback)
    from planner.optimize.workers import StorePool

LIMIT_COLUMNS = [STORE_ID, "products", "shelf_used", "shelf_capacity", "budget_used", "inventory_budget", "over_limits", "kept"]


@dataclass(frozen=True)
class TodayWithinLimits:
    """Today's assortment as a baseline: the lines valued, and how today's range sits in each store's limits."""

    carried: pd.DataFrame  # store_id, sku, role: today's lines, trimmed in the stores over their limits
    limits: pd.DataFrame  # LIMIT_COLUMNS, one row per store: today's range against the limits, and what the trim kept

    def notes(self) -> list[str]:
        """One sentence per store whose range today breaks its limits."""
        return [
            f"today's assortment of {row.store_id} does not fit its limits ({row.shelf_used:,.0f} of {row.shelf_capacity:,.0f} "
            f"shelf units, EUR {row.budget_used:,.0f} of {row.inventory_budget:,.0f} budget): the plan is compared with its best "
            f"trim, {row.kept} of its {row.products} products"
            for row in self.limits[self.limits["over_limits"]].itertuples(index=False)
        ]


def fill_in_order(items: pd.DataFrame, shelf_limit: float, budget_limit: float) -> pd.Index:
    """The index of the rows of `items` (shelf_space, inventory_cost) taken in their order while they fit;
    a row that does not fit the shelf units or EUR left is skipped."""
    shelf = items["shelf_space"].to_numpy(dtype=float)
    cost = items["inventory_cost"].to_numpy(dtype=float)
    take = np.zeros(len(items), dtype=bool)
    shelf_left, budget_left = float(shelf_limit), float(budget_limit)
    for i in range(len(items)):
        if shelf[i] <= shelf_left + 1e-9 and cost[i] <= budget_left + 1e-9:
            take[i] = True
            shelf_left -= shelf[i]
            budget_left -= cost[i]
    return items.index[take]


def best_subset(items: pd.DataFrame, value: pd.Series, shelf_limit: float, budget_limit: float, solver: SolverConfig) -> pd.Index:
    """The index of the rows of `items` (shelf_space, inventory_cost) with the largest sum of `value`
    that fit both limits: max sum v_i x_i  s.t.  sum shelf_i x_i <= shelf_limit, sum cost_i x_i <= budget_limit,
    x binary (a two-constraint knapsack, solved as a MILP within the solver's gap)."""
    value = value.reindex(items.index).astype(float)
    worth = items[value.to_numpy() > 0]
    if worth["shelf_space"].sum() <= shelf_limit + 1e-9 and worth["inventory_cost"].sum() <= budget_limit + 1e-9:
        return worth.index
    problem = pulp.LpProblem("best_subset", pulp.LpMaximize)
    chosen = [problem.add_variable(f"x_{i}", 0, 1, pulp.LpBinary) for i in range(len(worth))]
    problem += linear_expression(zip(chosen, value[worth.index], strict=True))
    problem += linear_expression(zip(chosen, worth["shelf_space"].astype(float), strict=True)) <= float(shelf_limit), "shelf"
    problem += linear_expression(zip(chosen, worth["inventory_cost"].astype(float), strict=True)) <= float(budget_limit), "budget"
    result = solve(problem, solver)
    if result.status == SolveStatus.NO_SOLUTION:  # out of time: again, from the fill by value per shelf unit
        start = fill_in_order(worth.loc[(value[worth.index] / worth["shelf_space"]).sort_values(ascending=False, kind="stable").index],
                              shelf_limit, budget_limit)
        for var, taken in zip(chosen, worth.index.isin(start), strict=True):
            var.setInitialValue(1 if taken else 0)
        if not solve(problem, solver, warm_start=True).status.has_plan:
            return start
    elif not result.status.has_plan:
        raise SolverError(f"the best subset within the limits was not found: solver status '{result.status}'")
    return worth.index[[(var.varValue or 0.0) > 0.5 for var in chosen]]


def greedy_plan(inputs: ModelInputs) -> pd.DataFrame:
    """(store_id, sku, role): per store, the candidates with a positive profit by profit per shelf unit."""
    pairs = inputs.pairs[inputs.pairs["profit"] > 0]
    density = pairs["profit"] / pairs["shelf_space"]
    chosen = []
    for store in inputs.stores:
        if store not in density.index.get_level_values(STORE_ID):
            continue
        ranked = density.loc[[store]].sort_values(ascending=False, kind="stable").index
        chosen.append(fill_in_order(pairs.loc[ranked], inputs.shelf_capacity[store], inputs.inventory_budget[store]))
    return with_roles(_frame(chosen), inputs)


def store_greedy_plan(inputs: ModelInputs) -> pd.DataFrame:
    """(store_id, sku) for one store's problem (inputs.store_inputs) by its rules: the forced pairs (the fixed
    core among them), the best pairs each category minimum still needs, the best listed pairs that
    max_drops_per_store keeps, then the rest with a positive profit, each tier by profit per shelf unit and
    taken while shelf and budget last, with no more new listings than max_adds_per_store allows.
    Whether it meets every rule (a forced pair may not fit) is for the caller to check."""
    (store,) = inputs.stores
    ranked = inputs.pairs.loc[(inputs.pairs["profit"] / inputs.pairs["shelf_space"]).sort_values(ascending=False, kind="stable").index]
    forced = ranked[ranked["forced"]]
    rest = ranked[~ranked["forced"]]
    minimum = inputs.category_minimum.droplevel(STORE_ID).sub(forced.groupby("category").size(), fill_value=0)
    needed = rest["category"].map(minimum).fillna(0).to_numpy()
    for_minimum = rest[rest.groupby("category").cumcount().to_numpy() < needed]
    rest = rest.drop(for_minimum.index)
    tiers = [forced, for_minimum]
    stability = inputs.config.stability
    if stability.max_drops_per_store is not None:
        keep = int(ranked["listed_now"].sum()) - stability.max_drops_per_store - sum(int(t["listed_now"].sum()) for t in tiers)
        tiers.append(rest[rest["listed_now"]].iloc[: max(keep, 0)])
        rest = rest.drop(tiers[-1].index)
    rest = rest[rest["profit"] > 0]
    if stability.max_adds_per_store is not None:
        adds = stability.max_adds_per_store - sum(int((~t["listed_now"]).sum()) for t in tiers)
        rest = rest[rest["listed_now"] | ((~rest["listed_now"]).cumsum() <= adds)]
    chosen = fill_in_order(pd.concat([*tiers, rest]), inputs.shelf_capacity[store], inputs.inventory_budget[store])
    return _frame([chosen])


def uniform_plan(inputs: ModelInputs) -> pd.DataFrame:
    """(store_id, sku, role): one chain-wide ranking by the product's chain profit per shelf unit,
    carried by every store from the top down to what fits its own shelf and budget."""
    pairs = inputs.all_pairs
    chain_profit = pairs["profit"].groupby(level="sku").sum()
    shelf = pairs["shelf_space"].groupby(level="sku").first()
    ranking = (chain_profit / shelf)[chain_profit > 0].sort_values(ascending=False, kind="stable").index
    chosen = []
    for store in inputs.stores:
        lines = pd.MultiIndex.from_product([[store], ranking], names=KEY)
        chosen.append(fill_in_order(pairs.loc[lines], inputs.shelf_capacity[store], inputs.inventory_budget[store]))
    return with_roles(_frame(chosen), inputs)


def today_within_limits(inputs: ModelInputs, pool: StorePool | None = None) -> TodayWithinLimits:
    """Today's lines, each store's trimmed to its best subset where the whole range breaks its limits
    (the trims in `pool`'s workers, one after another without one)."""
    pairs = inputs.all_pairs
    listed = pairs[pairs["listed_now"]]
    by_store = dict(list(listed.groupby(level=STORE_ID, sort=False)))
    rows, trims = [], {}
    for store in inputs.stores:
        mine = by_store.get(store, listed.iloc[:0])
        shelf, budget = float(inputs.shelf_capacity[store]), float(inputs.inventory_budget[store])
        shelf_used, budget_used = float(mine["shelf_space"].sum()), float(mine["inventory_cost"].sum())
        over = shelf_used > shelf + 1e-9 or budget_used > budget + 1e-9
        if over:
            trims[str(store)] = (mine[["shelf_space", "inventory_cost", "profit"]], shelf, budget, inputs.config.solver)
        rows.append((store, len(mine), shelf_used, shelf, budget_used, budget, over))
    trimmed = pool.map(best_trim, trims) if pool is not None else {store: best_trim(task) for store, task in trims.items()}
    chosen = [trimmed.get(str(store), by_store.get(store, listed.iloc[:0]).index) for store in inputs.stores]
    limits = pd.DataFrame([(*row, len(kept)) for row, kept in zip(rows, chosen, strict=True)], columns=LIMIT_COLUMNS)
    return TodayWithinLimits(with_roles(_frame(chosen), inputs), limits)


def best_trim(task: tuple[pd.DataFrame, float, float, SolverConfig]) -> pd.Index:
    """The best subset of a store's lines today (shelf_space, inventory_cost, profit) within its shelf and budget."""
    lines, shelf, budget, solver = task
    return best_subset(lines, lines["profit"], shelf, budget, solver)


def with_roles(carried: pd.DataFrame, inputs: ModelInputs) -> pd.DataFrame:
    """store_id, sku, role: "core" for fresh products carried everywhere, "addon" otherwise."""
    core = set(core_products(carried, inputs.core_skus, inputs.stores))
    roles = [Role.CORE if sku in core else Role.ADDON for sku in carried["sku"]]
    return carried[KEY].assign(role=roles).reset_index(drop=True)


def _frame(indexes: list[pd.Index]) -> pd.DataFrame:
    frames = [index.to_frame(index=False) for index in indexes if len(index)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=KEY)
