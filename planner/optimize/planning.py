"""The chain plan in two steps over one PlanningProblem: plan (the core and each store's add-ons) and
evaluate (the plan table, the baselines, the shadow prices and the paced changes); plan_assortment
does both, as the weekly run does."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

import pandas as pd

from planner.config import PlanConfig
from planner.errors import InfeasiblePlanError, SolverError
from planner.optimize.baselines import TodayWithinLimits, greedy_plan, today_within_limits, uniform_plan
from planner.optimize.conflicts import diagnose_infeasibility, override_conflicts
from planner.optimize.decompose import STORE_VALUE_COLUMNS, fallback_text, solve_chain, store_pool
from planner.optimize.inputs import ModelInputs, PlanningProblem, build_model_inputs, store_inputs
from planner.optimize.model import build_model, limit_names
from planner.optimize.plan import PlanValue, changes, plan_value, store_summary
from planner.optimize.solve import SolveResult, SolveStatus, relaxed_duals
from planner.optimize.transition import change_impacts, paced_weeks
from planner.optimize.whatif import WhatIfBasis
from planner.optimize.workers import StorePool
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
class ChainPlan:
    """The chosen plan, before it is valued and reported: the candidates, the carried lines, the solve."""

    problem: PlanningProblem
    inputs: ModelInputs
    carried: pd.DataFrame  # store_id, sku, role ("core" / "addon")
    solve: SolveResult
    method: str  # "by store" or "chain model"
    store_values: pd.DataFrame | None  # by store: the duals of each store's LP relaxation (STORE_VALUE_COLUMNS)
    notes: list[str]
    timings: dict[str, float]


def plan(problem: PlanningProblem, *, progress: Callable[[str], None] | None = None, pool: StorePool | None = None) -> ChainPlan:
    """Choose the core and each store's add-ons, the stores solved in `pool` (default: a store_pool of its
    own). Raises InfeasiblePlanError (overrides in conflict, limits that cannot all hold) or SolverError
    (no plan in the time limit)."""
    say = progress or (lambda _text: None)
    mark = time.perf_counter()
    config, notes = problem.config, []
    n_fresh = int(problem.products["fresh"].sum())
    if config.assortment.core_min_items > n_fresh:
        msg = f"core_min_items = {config.assortment.core_min_items} cannot be met: products.csv has only {n_fresh} fresh products"
        raise InfeasiblePlanError(msg)
    if n_fresh == 0:
        notes.append("the product master has no fresh products, so the core is empty: every listing is a store add-on")
    with _given_or_own(pool, config, len(problem.stores), say) as stores_pool:  # its workers start meanwhile
        inputs = build_model_inputs(problem)
        conflicts = override_conflicts(inputs, problem.overrides)
        if conflicts:
            raise InfeasiblePlanError("the overrides cannot all hold:\n" + "\n".join(f"- {c}" for c in conflicts))
        say(f"planning {len(inputs.pairs)} store-product candidates, {len(inputs.core_skus)} core candidates, "
            f"{len(inputs.flows)} substitution links")
        timings = {"inputs": time.perf_counter() - mark}
        mark = time.perf_counter()
        chain = solve_chain(inputs, progress=say, pool=stores_pool)
        timings["plan"] = time.perf_counter() - mark
    result = chain.result
    if result.status == SolveStatus.INFEASIBLE:
        raise InfeasiblePlanError(diagnose_infeasibility(inputs, config))
    if not result.status.has_plan:
        msg = (
            f"solver {result.solver} stopped with status '{result.status}' after {result.seconds:.1f} s "
            f"without a plan; raise [solver] time_limit_seconds in planning.toml (now {config.solver.time_limit_seconds:g})"
        )
        raise SolverError(msg)
    if chain.fallback:
        notes.append(fallback_text(chain.fallback))
    if n_fresh and not (chain.carried["role"] == Role.CORE).any():
        notes.append("no fresh product earns its place in every store, so the core is empty")
    return ChainPlan(problem, inputs, chain.carried, result, chain.method, chain.store_values, notes, timings)


def _given_or_own(pool: StorePool | None, config: PlanConfig, n_stores: int, say: Callable[[str], None]) -> AbstractContextManager[StorePool]:
    """`pool`, left open for its owner; else a store_pool, closed on leaving."""
    return contextlib.nullcontext(pool) if pool is not None else store_pool(config, n_stores, say)


def evaluate(chosen: ChainPlan, *, progress: Callable[[str], None] | None = None, pool: StorePool | None = None) -> PlanResult:
    """Value a chosen plan and report on it: the plan table, the baselines it is judged against, what
    one more shelf unit or euro is worth per store, and the changes from today paced week by week (the
    stores in `pool`'s workers, one after another without one)."""
    say = progress or (lambda _text: None)
    problem, inputs, carried = chosen.problem, chosen.inputs, chosen.carried
    timings, notes = dict(chosen.timings), list(chosen.notes)
    mark = time.perf_counter()
    value = plan_value(carried, inputs)
    plan_lines = plan_table(carried, problem.profiles, problem.products, inputs, value)
    say("valuing the baselines: today's assortment within the limits, a chain-wide ranking, a greedy ranking per store")
    today = today_within_limits(inputs, pool)
    notes += today.notes()
    baselines = {
        "current": plan_value(today.carried, inputs),
        "uniform": plan_value(uniform_plan(inputs), inputs),
        "greedy": plan_value(greedy_plan(inputs), inputs),
    }
    timings["baselines"], mark = time.perf_counter() - mark, time.perf_counter()
    store_values = chosen.store_values
    if store_values is None:
        say("measuring what one more shelf unit and one more euro of budget are worth per store")
        store_values = shadow_prices(inputs, carried)
        timings["store_values"] = time.perf_counter() - mark
    listed = inputs.all_pairs.index[inputs.all_pairs["listed_now"]].to_frame(index=False)
    summary = store_summary(plan_lines, problem.stores, listed).merge(store_values, on=STORE_ID, how="left")
    mark = time.perf_counter()
    to_target = paced_changes(plan_lines, listed, inputs, pool)
    timings["transition"] = time.perf_counter() - mark
    size: dict[str, int | str] = {"method": chosen.method, "stores": len(inputs.stores), "candidates": len(inputs.pairs),
                                  "substitution_links": len(inputs.flows)}
    return PlanResult(plan=plan_lines, stores=summary, changes=to_target, solve=chosen.solve, value=value, baselines=baselines,
                      today=today, inputs=inputs, model_size=size, notes=notes, timings=timings)


def plan_assortment(problem: PlanningProblem, *, progress: Callable[[str], None] | None = None) -> PlanResult:
    """The weekly job of the optimizer: plan, then evaluate, the stores in one store_pool."""
    with store_pool(problem.config, len(problem.stores), progress or (lambda _text: None)) as pool:
        return evaluate(plan(problem, progress=progress, pool=pool), progress=progress, pool=pool)


def paced_changes(plan_lines: pd.DataFrame, listed: pd.DataFrame, inputs: ModelInputs, pool: StorePool | None = None) -> pd.DataFrame:
    """The adds and drops from today to the plan, each with its profit impact and the week it is made."""
    to_target = changes(plan_lines, listed, inputs)
    to_target["profit_impact_per_week"] = change_impacts(to_target, plan_lines, inputs)
    to_target["week"] = paced_weeks(to_target, to_target["profit_impact_per_week"].to_numpy(), inputs,
                                    inputs.config.stability.max_changes_per_store_per_week, pool)
    return to_target


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
    table["forced"] = inputs.all_pairs["forced_by"].reindex(keys).fillna("").to_numpy()
    table["change"] = table["listed_now"].map({True: Change.KEEP, False: Change.ADD})
    columns = [*KEY, "name", "category", "role", "expected_units_per_week", "expected_profit_per_week",
               "shelf_space", "inventory_cost", *PLAN_EXTRA_COLUMNS]
    order = {sid: i for i, sid in enumerate(profiles[STORE_ID].drop_duplicates())}
    table = table.assign(_order=table[STORE_ID].map(order), _role=table["role"].map({Role.CORE: 0, Role.ADDON: 1}))
    table = table.sort_values(["_order", "_role", "category", "sku"]).reset_index(drop=True)
    return table[columns]
