"""plan_assortment (the core and each store's add-ons, the baselines, the paced changes) and the store what-if."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from planner.config import PlanConfig
from planner.errors import InfeasiblePlanError, SolverError
from planner.optimize.baselines import (
    TodayWithinLimits,
    greedy_plan,
    today_within_limits,
    uniform_plan,
)
from planner.optimize.conflicts import override_conflicts
from planner.optimize.decompose import STORE_VALUE_COLUMNS, solve_chain
from planner.optimize.inputs import (
    ModelInputs,
    Substitutes,
    build_model_inputs,
    store_inputs,
)
from planner.optimize.model import build_model, limit_names
from planner.optimize.plan import (
    PlanValue,
    carried_pairs,
    changes,
    plan_value,
    store_summary,
)
from planner.optimize.solve import SolveResult, SolveStatus, relaxed_duals, solve
from planner.optimize.transition import change_impacts, paced_weeks
from planner.schemas import KEY, STORE_ID, Change, Role

PLAN_EXTRA_COLUMNS = [
    "fresh", "listed_now", "change", "source", "weeks_observed", "local_index", "category_index",
    "expected_sales_per_week", "waste_units_per_week", "waste_cost_per_week", "profit_per_shelf_unit",
    "transfer_units_per_week", "forced",
]


@dataclass
class PlanResult:
    """A solved plan and everything reported about it."""

    plan: pd.DataFrame  # one row per store and carried product (schemas.PLAN_COLUMNS without reason, + extras)
    stores: pd.DataFrame  # per-store summary (optimize.plan.store_summary) + shelf_value, budget_value
    changes: pd.DataFrame  # store_id, sku, change ("add" / "drop"), forced, profit_impact_per_week, week (1 = this week)
    solve: SolveResult
    value: PlanValue  # the plan valued from its (store, sku) list alone; value.objective == solve.objective
    baselines: dict[str, PlanValue]  # "current", "uniform", "greedy" (optimize.baselines), valued the same way
    today: TodayWithinLimits  # today's assortment against each store's limits, and the trim valued as "current"
    inputs: ModelInputs  # for what-if re-plans
    model_size: dict[str, int | str]  # how the plan was solved (method: "by store" or "chain model") and its size
    notes: list[str]  # plain-language remarks for the run report (e.g. "no fresh products: empty core")
    timings: dict[str, float]  # seconds: candidates ("inputs"), the plan ("plan"), the baselines, the store values

    @property
    def recomputed_objective(self) -> float:
        """EUR / week: the objective recomputed from the plan, independent of the solver."""
        return self.value.objective

    def uplift(self, baseline: str) -> float:
        """Expected profit of the plan minus that of a baseline, EUR / week."""
        return self.value.profit - self.baselines[baseline].profit

    @property
    def basis(self) -> WhatIfBasis:
        """The plan as a starting point for store what-ifs (kept with the published plan for the app)."""
        return WhatIfBasis(self.inputs, self.plan[[*KEY, "role"]].copy())

    @property
    def this_week(self) -> pd.DataFrame:
        """store_id, sku, role: what each store carries after this week's step (the target's lines
        minus adds of later weeks, plus products whose drop comes later): next week's starting point."""
        later = self.changes[self.changes["week"] > 1]
        keys = pd.MultiIndex.from_frame(self.plan[KEY])
        deferred_adds = pd.MultiIndex.from_frame(later.loc[later["change"] == Change.ADD, KEY])
        kept = self.plan.loc[~keys.isin(deferred_adds), [*KEY, "role"]]
        deferred_drops = later.loc[later["change"] == Change.DROP, KEY].assign(role=Role.ADDON)
        return pd.concat([kept, deferred_drops], ignore_index=True)

    @property
    def weeks_to_target(self) -> pd.Series:
        """store_id -> weeks of steps until the store carries the target (0: nothing to change)."""
        weeks = self.changes.groupby(STORE_ID)["week"].max()
        return weeks.reindex(self.inputs.stores, fill_value=0).astype(int).rename_axis(STORE_ID)

    def store_uplift(self, baseline: str) -> pd.Series:
        """store_id -> the same per store, EUR / week, before the chain's listing cost."""
        return self.value.store_profit - self.baselines[baseline].store_profit


@dataclass
class WhatIfBasis:
    """What a store what-if needs from a chain plan: the model numbers and the carried lines."""

    inputs: ModelInputs
    plan: pd.DataFrame  # store_id, sku, role


@dataclass
class StoreWhatIf:
    """One store re-planned with the core and the other stores fixed."""

    store_id: str
    plan: pd.DataFrame  # store_id, sku, role, change against the chain plan ("keep", "add", "drop")
    value: PlanValue
    base_value: PlanValue  # the chain plan's lines of this store, valued the same way
    solve: SolveResult

    @property
    def profit_change(self) -> float:
        """EUR / week the what-if gains (+) or costs (-) against the store's current plan."""
        return self.value.profit - self.base_value.profit

    @property
    def objective_change(self) -> float:
        """The same in the planner's objective, which also counts the change penalty: never negative
        when the what-if only relaxes limits (money may then be traded for fewer changes)."""
        return self.value.objective - self.base_value.objective


def plan_assortment(
    profiles: pd.DataFrame,
    stores: pd.DataFrame,
    products: pd.DataFrame,
    config: PlanConfig,
    *,
    substitutes: Substitutes | None = None,
    overrides: pd.DataFrame | None = None,
    progress: Callable[[str], None] | None = None,
) -> PlanResult:
    """Choose the core and each store's add-ons, and solve the baselines it is judged against.

    Raises InfeasiblePlanError (overrides in conflict, limits that cannot all hold) or SolverError.
    """
    say = progress or (lambda _text: None)
    timings = {}
    mark = time.perf_counter()
    rules = config.assortment
    notes = []
    n_fresh = int(products["fresh"].sum())
    if rules.core_min_items > n_fresh:
        msg = f"core_min_items = {rules.core_min_items} cannot be met: products.csv has only {n_fresh} fresh products"
        raise InfeasiblePlanError(msg)
    if n_fresh == 0:
        notes.append("the product master has no fresh products, so the core is empty: every listing is a store add-on")
    inputs = build_model_inputs(stores, profiles, products, config, substitutes=substitutes, overrides=overrides)
    conflicts = override_conflicts(inputs, overrides)
    if conflicts:
        raise InfeasiblePlanError("the overrides cannot all hold:\n" + "\n".join(f"- {c}" for c in conflicts))
    say(f"planning {len(inputs.pairs)} store-product candidates, {len(inputs.core_skus)} core candidates, "
        f"{len(inputs.flows)} substitution links")
    timings["inputs"], mark = time.perf_counter() - mark, time.perf_counter()
    chain = solve_chain(inputs, progress=say)
    timings["plan"], mark = time.perf_counter() - mark, time.perf_counter()
    result = chain.result
    if result.status == SolveStatus.INFEASIBLE:
        raise InfeasiblePlanError(diagnose_infeasibility(inputs, config))
    if not result.status.has_plan:
        msg = (
            f"solver {result.solver} stopped with status '{result.status}' after {result.seconds:.1f} s "
            f"without a plan; raise [solver] time_limit_seconds in planning.toml (now {config.solver.time_limit_seconds:g})"
        )
        raise SolverError(msg)
    carried = chain.carried
    size: dict[str, int | str] = {"method": chain.method, "stores": len(inputs.stores), "candidates": len(inputs.pairs), "substitution_links": len(inputs.flows)}
    value = plan_value(carried, inputs)
    plan = plan_table(carried, profiles, products, inputs, value)
    if n_fresh and not (plan["role"] == Role.CORE).any():
        notes.append("no fresh product earns its place in every store, so the core is empty")
    say("valuing the baselines: today's assortment within the limits, a chain-wide ranking, a greedy ranking per store")
    listed = inputs.all_pairs.index[inputs.all_pairs["listed_now"]].to_frame(index=False)
    today = today_within_limits(inputs)
    notes += today.notes()
    baselines = {
        "current": plan_value(today.carried, inputs),
        "uniform": plan_value(uniform_plan(inputs), inputs),
        "greedy": plan_value(greedy_plan(inputs), inputs),
    }
    timings["baselines"], mark = time.perf_counter() - mark, time.perf_counter()
    store_values = chain.store_values
    if store_values is None:
        say("measuring what one more shelf unit and one more euro of budget are worth per store")
        store_values = shadow_prices(inputs, carried)
        timings["store_values"] = time.perf_counter() - mark
    summary = store_summary(plan, stores, listed).merge(store_values, on=STORE_ID, how="left")
    mark = time.perf_counter()
    to_target = changes(plan, listed, inputs)
    to_target["profit_impact_per_week"] = change_impacts(to_target, plan, inputs)
    to_target["week"] = paced_weeks(to_target, to_target["profit_impact_per_week"].to_numpy(), inputs,
                                    config.stability.max_changes_per_store_per_week)
    timings["transition"] = time.perf_counter() - mark
    return PlanResult(
        plan=plan,
        stores=summary,
        changes=to_target,
        solve=result,
        value=value,
        baselines=baselines,
        today=today,
        inputs=inputs,
        model_size=size,
        notes=notes,
        timings=timings,
    )


def replan_store(
    basis: WhatIfBasis,
    store: str,
    *,
    shelf_capacity: float | None = None,
    inventory_budget: float | None = None,
    force_in: Sequence[str] = (),
    force_out: Sequence[str] = (),
) -> StoreWhatIf:
    """Re-plan one store with the core and the other stores fixed: a changed shelf, budget, or products
    forced in or out. Raises InfeasiblePlanError when the store cannot meet its limits that way."""
    inputs = _store_inputs(basis, store, shelf_capacity, inventory_budget, force_in, force_out)
    model = build_model(inputs)
    solved = solve(model.problem, inputs.config.solver)
    if solved.status == SolveStatus.INFEASIBLE:
        raise InfeasiblePlanError(f"store {store}: " + diagnose_infeasibility(inputs, inputs.config))
    if not solved.status.has_plan:
        raise SolverError(f"what-if for store {store}: solver stopped with status '{solved.status}'")
    carried = carried_pairs(model, inputs)
    base_lines = basis.plan.loc[basis.plan[STORE_ID] == store, [*KEY, "role"]]
    before, after = set(base_lines["sku"]), set(carried["sku"])
    plan = pd.concat([carried, base_lines[~base_lines["sku"].isin(after)]], ignore_index=True)
    plan["change"] = ["keep" if sku in before and sku in after else "add" if sku in after else "drop" for sku in plan["sku"]]
    return StoreWhatIf(store, plan.sort_values(["change", "role", "sku"]).reset_index(drop=True),
                       plan_value(carried, inputs), plan_value(base_lines, inputs), solved)


def _store_inputs(basis: WhatIfBasis, store: str, shelf: float | None, budget: float | None, force_in, force_out) -> ModelInputs:
    plan = basis.plan
    core = sorted(plan.loc[plan["role"] == Role.CORE, "sku"].unique())
    elsewhere = set(plan.loc[plan[STORE_ID] != store, "sku"])
    return store_inputs(basis.inputs, store, core, elsewhere, shelf_capacity=shelf, inventory_budget=budget,
                        force_in=list(force_in), force_out=list(force_out))


def shadow_prices(inputs: ModelInputs, carried: pd.DataFrame) -> pd.DataFrame:
    """Per store, EUR / week that one more shelf unit (shelf_value) and one more euro of inventory
    budget (budget_value) would earn: the duals of the store's problem with the core and the other
    stores fixed, its own listing decisions relaxed to 0..1 (the LP around the plan)."""
    core = sorted(carried.loc[carried["role"] == Role.CORE, "sku"].unique())
    rows = []
    for store in inputs.stores:
        elsewhere = set(carried.loc[carried[STORE_ID] != store, "sku"])
        model = build_model(store_inputs(inputs, store, core, elsewhere))
        _objective, duals = relaxed_duals(model.problem, inputs.config.solver, limit_names(inputs, store))
        rows.append((store, *duals))
    return pd.DataFrame(rows, columns=STORE_VALUE_COLUMNS)


def plan_table(carried: pd.DataFrame, profiles: pd.DataFrame, products: pd.DataFrame, inputs: ModelInputs, value: PlanValue) -> pd.DataFrame:
    """Join the carried pairs with their profile and product figures (units per week, EUR per week).

    expected units and profit include what the line takes over from dropped substitutes, net of
    handling; the chain listing cost is reported for the chain, not per line.
    """
    product = products.set_index("sku")
    table = carried.merge(profiles, on=KEY, how="left", validate="one_to_one")
    keys = pd.MultiIndex.from_frame(table[KEY])
    transfer = value.transfer_units.reindex(keys).fillna(0.0).to_numpy()
    margin = inputs.all_pairs["margin"].reindex(keys).to_numpy()
    table["name"] = table["sku"].map(product["name"])
    table["shelf_space"] = table["sku"].map(product["shelf_space"]).astype(float)
    table["transfer_units_per_week"] = transfer
    table["expected_units_per_week"] = table["units_per_week"] + transfer
    table["expected_sales_per_week"] = table["expected_units_per_week"] * table["sku"].map(product["price"]).astype(float)
    table["expected_profit_per_week"] = inputs.all_pairs["profit"].reindex(keys).to_numpy() + transfer * margin
    table["profit_per_shelf_unit"] = table["expected_profit_per_week"] / table["shelf_space"]
    table["forced"] = inputs.all_pairs["forced"].reindex(keys).fillna("").to_numpy()
    table["change"] = table["listed_now"].map({True: Change.KEEP, False: Change.ADD})
    columns = [*KEY, "name", "category", "role", "expected_units_per_week", "expected_profit_per_week",
               "shelf_space", "inventory_cost", *PLAN_EXTRA_COLUMNS]
    order = {sid: i for i, sid in enumerate(profiles[STORE_ID].drop_duplicates())}
    table = table.assign(_order=table[STORE_ID].map(order), _role=table["role"].map({Role.CORE: 0, Role.ADDON: 1}))
    table = table.sort_values(["_order", "_role", "category", "sku"]).reset_index(drop=True)
    return table[columns]


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
