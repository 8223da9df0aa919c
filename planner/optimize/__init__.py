"""Optimization stage: candidates -> MILP -> solve -> plan tables. Tables in, tables out; no files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from planner.config import PlanConfig
from planner.errors import InfeasiblePlanError, SolverError
from planner.optimize.inputs import ModelInputs, build_model_inputs
from planner.optimize.model import build_model
from planner.optimize.plan import carried_pairs, changes, plan_objective, store_summary
from planner.optimize.solve import SolveResult, SolveStatus, solve

PLAN_EXTRA_COLUMNS = [
    "fresh", "listed_now", "change", "source", "weeks_observed", "local_index", "category_index",
    "expected_sales_per_week", "waste_units_per_week", "waste_cost_per_week", "profit_per_shelf_unit",
]


@dataclass
class PlanResult:
    """A solved plan and everything reported about it."""

    plan: pd.DataFrame  # one row per store and carried product (schemas.PLAN_COLUMNS without reason, + extras)
    stores: pd.DataFrame  # per-store summary (optimize.plan.store_summary)
    changes: pd.DataFrame  # store_id, sku, change ("add" / "drop")
    solve: SolveResult
    recomputed_objective: float  # EUR / week, summed from the plan table
    current_profit: pd.Series  # store_id -> EUR / week of today's assortment under the same profiles
    model_size: dict[str, int]
    notes: list[str]  # plain-language remarks for the run report (e.g. "no fresh products: empty core")


def plan_assortment(
    profiles: pd.DataFrame,
    stores: pd.DataFrame,
    products: pd.DataFrame,
    config: PlanConfig,
    *,
    progress: Callable[[str], None] | None = None,
) -> PlanResult:
    """Choose the core and each store's add-ons. Raises InfeasiblePlanError or SolverError."""
    say = progress or (lambda _text: None)
    rules = config.assortment
    notes = []
    n_fresh = int(products["fresh"].sum())
    if rules.core_min_items > n_fresh:
        msg = f"core_min_items = {rules.core_min_items} cannot be met: products.csv has only {n_fresh} fresh products"
        raise InfeasiblePlanError(msg)
    if n_fresh == 0:
        notes.append("the product master has no fresh products, so the core is empty: every listing is a store add-on")
    inputs = build_model_inputs(stores, profiles, products.set_index("sku")["shelf_space"], rules)
    say(f"building model: {len(inputs.pairs)} store-product candidates, {len(inputs.core_skus)} core candidates")
    model = build_model(inputs)
    size = {"variables": len(model.problem.variables()), "constraints": len(model.constraint_info)}
    say(f"solving with {config.solver.name}: {size['variables']} variables, {size['constraints']} constraints")
    result = solve(model.problem, config.solver)
    if result.status == SolveStatus.INFEASIBLE:
        raise InfeasiblePlanError(diagnose_infeasibility(inputs, config))
    if not result.status.has_plan:
        msg = (
            f"solver {result.solver} stopped with status '{result.status}' after {result.seconds:.1f} s "
            f"without a plan; raise [solver] time_limit_seconds in planning.toml (now {config.solver.time_limit_seconds:g})"
        )
        raise SolverError(msg)
    plan = plan_table(carried_pairs(model, inputs), profiles, products)
    if plan.empty or not (plan["role"] == "core").any():
        if n_fresh:
            notes.append("no fresh product earns its place in every store, so the core is empty")
    listed = profiles.loc[profiles["listed_now"], ["store_id", "sku", "profit_per_week"]]
    current_profit = listed.groupby("store_id")["profit_per_week"].sum().reindex(stores["store_id"], fill_value=0.0)
    return PlanResult(
        plan=plan,
        stores=store_summary(plan, stores, listed),
        changes=changes(plan, listed),
        solve=result,
        recomputed_objective=plan_objective(plan),
        current_profit=current_profit,
        model_size=size,
        notes=notes,
    )


def plan_table(carried: pd.DataFrame, profiles: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """Join the carried pairs with their profile and product figures (units per week, EUR per week)."""
    product = products.set_index("sku")
    table = carried.merge(profiles, on=["store_id", "sku"], how="left", validate="one_to_one")
    table["name"] = table["sku"].map(product["name"])
    table["shelf_space"] = table["sku"].map(product["shelf_space"]).astype(float)
    table["expected_units_per_week"] = table["units_per_week"]
    table["expected_sales_per_week"] = table["units_per_week"] * table["sku"].map(product["price"]).astype(float)
    table["expected_profit_per_week"] = table["profit_per_week"]
    table["profit_per_shelf_unit"] = table["profit_per_week"] / table["shelf_space"]
    table["change"] = table["listed_now"].map({True: "keep", False: "add"})
    columns = ["store_id", "sku", "name", "category", "role", "expected_units_per_week", "expected_profit_per_week",
               "shelf_space", "inventory_cost", *PLAN_EXTRA_COLUMNS]
    order = {sid: i for i, sid in enumerate(profiles["store_id"].drop_duplicates())}
    table = table.assign(_order=table["store_id"].map(order), _role=table["role"].map({"core": 0, "addon": 1}))
    table = table.sort_values(["_order", "_role", "category", "sku"]).reset_index(drop=True)
    return table[columns]


def diagnose_infeasibility(inputs: ModelInputs, config: PlanConfig) -> str:
    """Solve the elastic model and name the smallest set of limits to relax, with the amounts."""
    model = build_model(inputs, elastic=True)
    result = solve(model.problem, config.solver)
    if not result.status.has_plan:
        return "the limits cannot all be met, and the diagnosis model found no relaxation either"
    units = {"shelf_capacity": "shelf units", "inventory_budget": "EUR", "core_min_items": "items", "min_items_per_category": "items"}
    lines = []
    for name, slack in model.slack.items():
        amount = slack.varValue or 0.0
        if amount > 1e-6:
            family, store, item = model.constraint_info[name]
            where = f"store {store}" + (f", category {item}" if item else "") if store != "chain" else "the chain"
            lines.append(f"{family} at {where}: short by {amount:,.1f} {units.get(family, '')}")
    return "the limits cannot all be met. Smallest relaxation that makes a plan possible: " + "; ".join(lines)
