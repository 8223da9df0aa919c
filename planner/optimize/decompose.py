"""Solve the chain plan store by store, and bound how far it can be from the optimum.

The chain MILP is one store problem per store, tied together only by the core (a fresh product
carried in every store, with the core size rules) and the chain listing cost (paid once per
product carried anywhere). Relax those ties and the stores separate (Lagrangian relaxation):

1. Each store is solved alone (model.py in "store" mode), the core rules dropped and the listing
   cost of every product split over the stores that could carry it (`charges`). The split
   charges sum to the listing cost, so for any chain plan the sum of the store objectives is at
   least the chain objective: the sum of the store problems' bounds bounds the chain optimum.
2. The store plans together are a chain plan; where it breaks a core size rule, the core is
   repaired (best fresh products added everywhere, or the weakest dropped in one store) and the
   stores concerned are solved again with that core fixed.
3. With a listing cost, a second round puts each product's cost on the stores that carried it.
   The best plan is valued exactly (plan_value) and its gap measured against the best bound.

If the gap is still above `[solver] mip_gap`, the full chain MILP is solved, warm-started from the
best plan, in the time left (skipped when none is left); its own bound then tightens ours. Stores with
a `max_addons_per_store` rule (core items do not count as add-ons) go straight to the full MILP.

Time: each store's MILP gets its own budget, re-balanced as stores finish: the time left of
`[solver] time_limit_seconds` over the stores left in the pass (a store that finishes early leaves its
share to the others), at least min(1 s, limit / stores). A store whose MILP has no plan in its budget
falls back to its greedy plan (baselines.store_greedy_plan, within all its rules), warm-started into the
MILP for the same budget again, which may still improve it; the store's bound is then the solver's
bound, else its LP relaxation's, never the greedy plan's own objective. Once the limit is spent, a
store thus adds at most twice the floor of solver time (building its model and its LP relaxation come
on top). Only a store whose greedy plan breaks one of its rules (and whose MILP finds nothing) leaves
the round without a plan.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable

import pandas as pd
import pulp

from planner.config import SolverConfig
from planner.optimize.baselines import store_greedy_plan, with_roles
from planner.optimize.inputs import ModelInputs, core_products, store_inputs
from planner.optimize.model import Model, build_model, limit_names
from planner.optimize.plan import active_flows, carried_pairs, plan_value
from planner.optimize.solve import SolveResult, SolveStatus, relaxed_duals, solve
from planner.schemas import KEY, STORE_ID

STORE_VALUE_COLUMNS = [STORE_ID, "shelf_value", "budget_value"]
MIN_STORE_SECONDS = 1.0  # a store's budget is at least this, or limit / stores when that is less


@dataclasses.dataclass
class ChainSolve:
    """The chain plan and how it was found."""

    carried: pd.DataFrame  # store_id, sku, role ("core" / "addon")
    result: SolveResult
    method: str  # "by store" or "chain model"
    store_values: pd.DataFrame | None = None  # by store: STORE_VALUE_COLUMNS, duals of each store's LP relaxation
    fallback: dict[str, tuple[float, float]] = dataclasses.field(default_factory=dict)  # store -> its greedy plan's
    # objective and the bound on its problem, EUR / week: the stores whose plan is their greedy fallback


@dataclasses.dataclass(frozen=True)
class StoreSolve:
    """One store's plan and what is known of it."""

    carried: pd.DataFrame  # store_id, sku
    objective: float  # EUR / week: the store problem's objective of the plan
    bound: float  # on the store problem's optimum, EUR / week (inf when unknown)
    duals: list[float]  # shelf_value, budget_value of its LP relaxation
    fallback: bool  # the store's greedy plan, no better MILP plan found within its budget


def solve_chain(inputs: ModelInputs, progress: Callable[[str], None] | None = None) -> ChainSolve:
    """The chain plan within `mip_gap` of the best bound when the time limit allows it."""
    say = progress or (lambda _text: None)
    started = time.perf_counter()
    config = inputs.config.solver
    best: pd.DataFrame | None = None
    best_values: pd.DataFrame | None = None
    best_fallback: dict[str, tuple[float, float]] = {}
    best_objective = float("-inf")
    bound = float("inf")
    if inputs.rules.max_addons_per_store is None:
        rounds = 2 if inputs.listing_cost > 0 else 1
        charges = initial_charges(inputs)
        for round_no in range(1, rounds + 1):
            say(f"solving {len(inputs.stores)} stores one by one (round {round_no} of at most {rounds})")
            fallback: dict[str, tuple[float, float]] = {}
            found = store_round(inputs, charges, started, say, fallback=fallback)
            if found is None:
                break  # a store has no plan within its limits: the chain model diagnoses it
            carried, round_bound, values = found
            bound = min(bound, round_bound)
            objective = _objective(carried, inputs)
            if objective > best_objective:
                best, best_values, best_objective, best_fallback = carried, values, objective, fallback
            if _gap(best_objective, bound) <= config.mip_gap:
                break
            charges = carrier_charges(inputs, carried, charges)
    time_left = config.time_limit_seconds - (time.perf_counter() - started)
    if best is not None and (_gap(best_objective, bound) <= config.mip_gap or time_left <= 0):
        if time_left <= 0:
            say("  the time limit is spent: the store-by-store plan stands")
        return ChainSolve(best, _result(inputs, best, bound, started, best_fallback), "by store", best_values, best_fallback)
    return _solve_chain_model(inputs, best, bound, started, say, best_fallback)


def initial_charges(inputs: ModelInputs) -> pd.Series:
    """(store_id, sku) -> EUR / week: each product's listing cost split evenly over its candidate stores."""
    candidates = inputs.pairs.index
    per_sku = pd.Series(1.0, index=candidates).groupby(level="sku").transform("sum")
    return (inputs.listing_cost / per_sku).rename("charge")


def carrier_charges(inputs: ModelInputs, carried: pd.DataFrame, charges: pd.Series) -> pd.Series:
    """The listing cost of each carried product split over the stores that carry it (others pay 0);
    products nobody carries keep their charges."""
    keys = pd.MultiIndex.from_frame(carried[KEY])
    carrying = pd.Series(charges.index.isin(keys), index=charges.index)
    per_sku = carrying.groupby(level="sku").transform("sum")
    skus_carried = per_sku > 0
    shared = inputs.listing_cost * carrying / per_sku.where(skus_carried, 1.0)
    return shared.where(skus_carried, charges).rename("charge")


def store_round(inputs: ModelInputs, charges: pd.Series, started: float, say: Callable[[str], None], *,
                fallback: dict[str, tuple[float, float]] | None = None) -> tuple[pd.DataFrame, float, pd.DataFrame] | None:
    """Every store solved with the core rules relaxed, then the core repaired: (plan, bound, shelf
    and budget values per store) or None. The stores left on their greedy plan are put in `fallback`
    (store -> (objective, bound), EUR / week)."""
    solved: dict[str, StoreSolve] = {}
    for number, store in enumerate(inputs.stores, start=1):
        seconds = store_budget(inputs.config.solver, len(inputs.stores), len(inputs.stores) - number + 1, started)
        one = _solve_store(inputs, store, charges, [], [], seconds)
        if one is None:
            return None
        solved[store] = one
        if number % 10 == 0 or number == len(inputs.stores):
            on_greedy = sum(s.fallback for s in solved.values())
            say(f"  {number} of {len(inputs.stores)} stores solved ({time.perf_counter() - started:.0f} s"
                + (f", {on_greedy} on their greedy plan)" if on_greedy else ")"))
    bound = sum(one.bound for one in solved.values())
    for _attempt in range(3):
        core, force_out = core_repair(pd.concat([one.carried for one in solved.values()], ignore_index=True), inputs)
        stale = [store for store in inputs.stores
                 if store in force_out or not set(core) <= set(solved[store].carried["sku"])]
        if not stale:
            return _round_result(inputs, solved, bound, say, fallback)
        say(f"  core rules: re-solving {len(stale)} stores with a core of {len(core)} products")
        for number, store in enumerate(stale):
            seconds = store_budget(inputs.config.solver, len(inputs.stores), len(stale) - number, started)
            one = _solve_store(inputs, store, charges, core, force_out.get(store, []), seconds)
            if one is None:
                return None
            solved[store] = dataclasses.replace(one, bound=solved[store].bound)  # the round's bound is that of the relaxed stores
    return None


def _round_result(inputs: ModelInputs, solved: dict[str, StoreSolve], bound: float, say: Callable[[str], None],
                  fallback: dict[str, tuple[float, float]] | None) -> tuple[pd.DataFrame, float, pd.DataFrame]:
    """The round's chain plan, bound and store values; its fallback stores said and put in `fallback`."""
    carried = pd.concat([solved[store].carried for store in inputs.stores], ignore_index=True)
    store_values = pd.DataFrame([(store, *solved[store].duals) for store in inputs.stores], columns=STORE_VALUE_COLUMNS)
    on_greedy = {store: (one.objective, one.bound) for store, one in solved.items() if one.fallback}
    if on_greedy:
        say(f"  {fallback_text(on_greedy)}")
    if fallback is not None:
        fallback.update(on_greedy)
    return with_roles(carried, inputs), bound, store_values


def store_budget(config: SolverConfig, n_stores: int, stores_left: int, started: float) -> float:
    """Seconds for the next store's MILP: the time left of the limit over the stores left in this pass
    (this one included), at least min(MIN_STORE_SECONDS, limit / stores)."""
    left = config.time_limit_seconds - (time.perf_counter() - started)
    floor = min(MIN_STORE_SECONDS, config.time_limit_seconds / max(n_stores, 1))
    return max(floor, left / max(stores_left, 1))


def fallback_text(fallback: dict[str, tuple[float, float]]) -> str:
    """One sentence naming the stores on their greedy plan, with their gap to their bounds."""
    objective = sum(value for value, _bound in fallback.values())
    bound = sum(bound for _value, bound in fallback.values())
    gap = "unknown" if not math.isfinite(bound) else f"{100 * _gap(objective, bound):.2f} %"
    return f"{', '.join(sorted(fallback))}: no MILP plan within their time budget; their greedy plan is used (gap {gap})"


def _solve_store(inputs: ModelInputs, store: str, charges: pd.Series, core: list[str], force_out: list[str],
                 seconds: float) -> StoreSolve | None:
    """One store's plan (store_id, sku) in `seconds`, its objective and bound, and what one more shelf
    unit and one more euro of budget earn in its LP relaxation; None without a plan.

    Without a MILP plan in time the store's greedy plan is warm-started into the MILP; when it breaks
    a rule of the store there is no fallback."""
    charge = charges.xs(store, level=STORE_ID)
    sub = store_inputs(inputs, store, core, set(), force_out=force_out, listing_charge=charge)
    model = build_model(sub)
    solver = dataclasses.replace(inputs.config.solver, time_limit_seconds=seconds)
    result = solve(model.problem, solver)
    greedy = None
    if result.status == SolveStatus.NO_SOLUTION:
        greedy = store_greedy_plan(sub)
        set_start(model, sub, greedy)
        if not _meets_every_rule(model):
            return None
        result = solve(model.problem, solver, warm_start=True)
        if not result.status.has_plan:
            set_start(model, sub, greedy)  # the solver may have written values of its own
    elif not result.status.has_plan:
        return None
    carried = carried_pairs(model, sub)[KEY]
    objective = float(pulp.value(model.problem.objective) or 0.0)
    lp_bound, duals = relaxed_duals(model.problem, inputs.config.solver, limit_names(inputs, store))
    bound = next((b for b in (result.best_bound, lp_bound) if b is not None), float("inf"))
    on_greedy = (greedy is not None and result.status != SolveStatus.OPTIMAL
                 and set(carried["sku"]) == set(greedy["sku"]))
    return StoreSolve(carried, objective, bound, duals, on_greedy)


def _meets_every_rule(model: Model) -> bool:
    """True when the values the variables hold (a start) satisfy every constraint of the model."""
    return all(constraint.valid(1e-6) for constraint in model.problem.constraints())


def core_repair(carried: pd.DataFrame, inputs: ModelInputs) -> tuple[list[str], dict[str, list[str]]]:
    """The core a plan implies, made to meet the core size rules: (core skus, store -> skus to drop).

    Too small: the fresh core candidates with the highest chain profit join it. Too large: the
    weakest core products are dropped in the one store where they earn least.
    """
    rules = inputs.rules
    core = core_products(carried, inputs.core_skus, inputs.stores)
    candidates = inputs.pairs[inputs.pairs.index.get_level_values("sku").isin(inputs.core_skus)]
    chain_profit = candidates["profit"].groupby(level="sku").sum()
    force_out: dict[str, list[str]] = {}
    if len(core) < rules.core_min_items:
        missing = rules.core_min_items - len(core)
        core += list(chain_profit.drop(core).sort_values(ascending=False, kind="stable").index[:missing])
    elif rules.core_max_items is not None and len(core) > rules.core_max_items:
        excess = chain_profit.reindex(core).sort_values(kind="stable").index[: len(core) - rules.core_max_items]
        for sku in excess:
            weakest = candidates.xs(sku, level="sku")["profit"].idxmin()
            force_out.setdefault(weakest, []).append(sku)
        core = [sku for sku in core if sku not in set(excess)]
    return sorted(core), force_out


def _solve_chain_model(inputs: ModelInputs, start: pd.DataFrame | None, bound: float, started: float,
                       say: Callable[[str], None], fallback: dict[str, tuple[float, float]]) -> ChainSolve:
    """The full chain MILP in the time left, warm-started from `start` when there is one (whose
    fallback stores stay on their greedy plan unless the chain model's plan is better)."""
    say("solving the chain model" + (" from the store-by-store plan" if start is not None else ""))
    model = build_model(inputs)
    if start is not None:
        set_start(model, inputs, start)
    left = max(1.0, inputs.config.solver.time_limit_seconds - (time.perf_counter() - started))
    result = solve(model.problem, dataclasses.replace(inputs.config.solver, time_limit_seconds=left), warm_start=start is not None)
    if not result.status.has_plan:
        if start is None:
            return ChainSolve(pd.DataFrame(columns=[*KEY, "role"]), result, "chain model")
        carried = start
    else:
        carried = carried_pairs(model, inputs)
        if start is not None and _objective(start, inputs) > _objective(carried, inputs):
            carried = start
    if carried is not start:
        fallback = {}
    if result.best_bound is not None:
        bound = min(bound, result.best_bound)
    return ChainSolve(with_roles(carried, inputs), _result(inputs, carried, bound, started, fallback), "chain model", fallback=fallback)


def set_start(model: Model, inputs: ModelInputs, carried: pd.DataFrame) -> None:
    """Give every variable of the chain model its value in the plan `carried` (for a warm start)."""
    keys = set(zip(carried[STORE_ID], carried["sku"], strict=True))
    core = set(core_products(carried, inputs.core_skus, inputs.stores))
    for sku, var in model.core.items():
        var.setInitialValue(1 if sku in core else 0)
    for (store, sku), var in model.addon.items():
        var.setInitialValue(1 if (store, sku) in keys and sku not in core else 0)
    skus = set(carried["sku"])
    for sku, var in model.used.items():
        var.setInitialValue(1 if sku in skus else 0)
    active = active_flows(carried, inputs)
    gains = (active["bound"] * active["margin"]).groupby([active[STORE_ID], active["sku"]]).sum()
    for key, var in model.flow.items():
        var.setInitialValue(min(float(gains.get(key, 0.0)), var.upBound))


def _objective(carried: pd.DataFrame, inputs: ModelInputs) -> float:
    return plan_value(carried, inputs).objective


def _gap(objective: float, bound: float) -> float:
    return max(0.0, bound - objective) / max(abs(objective), 1e-9)


def _result(inputs: ModelInputs, carried: pd.DataFrame, bound: float, started: float,
            fallback: dict[str, tuple[float, float]]) -> SolveResult:
    """The SolveResult of a plan: its exact objective, the best bound, the gap between them (None
    without a finite bound), and the stores on their greedy fallback."""
    objective = _objective(carried, inputs)
    best_bound = max(bound, objective) if math.isfinite(bound) else None  # bounds carry the solvers' tolerances
    gap = None if best_bound is None else _gap(objective, best_bound)
    status = SolveStatus.OPTIMAL if gap is not None and gap <= inputs.config.solver.mip_gap else SolveStatus.FEASIBLE
    return SolveResult(inputs.config.solver.name.lower(), status, objective, best_bound, gap, time.perf_counter() - started,
                       tuple(sorted(fallback)))
