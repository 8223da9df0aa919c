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

Stores: the store problems of a pass (the relaxed stores, then those re-solved after a core repair) run
in `[solver] workers` processes (workers.py; 0 = one per core), or on the Dask cluster of `[solver] cluster`
(cluster.py); the core repair and the chain steps run
here. Each worker gets one store's ModelInputs and its budget; the plans are read in stores.csv order,
so with time to spare the plan does not depend on the workers or on the order stores finish in.

Time: each store's MILP gets its own budget, re-balanced as stores finish: the time left of
`[solver] time_limit_seconds` x N / the stores left in the pass, with N the workers (at most the stores
left; the store itself counted as left, a store that finishes early leaves its share to the others), at
least min(1 s, limit / stores). A store whose MILP has no plan in its budget
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

from planner.config import PlanConfig, SolverConfig
from planner.optimize.baselines import with_roles
from planner.optimize.cluster import ClusterPool
from planner.optimize.inputs import ModelInputs, core_products, store_inputs
from planner.optimize.model import build_model
from planner.optimize.plan import carried_pairs, plan_value
from planner.optimize.solve import SolveResult, SolveStatus, solve
from planner.optimize.workers import StorePool, StoreSolve, Task, set_start, worker_count
from planner.schemas import KEY, STORE_ID

STORE_VALUE_COLUMNS = [STORE_ID, "shelf_value", "budget_value"]
MIN_STORE_SECONDS = 1.0  # a store's budget is at least this, or limit / stores when that is less
Rounds = tuple[pd.DataFrame | None, pd.DataFrame | None, dict[str, tuple[float, float]], float, float]


@dataclasses.dataclass
class ChainSolve:
    """The chain plan and how it was found."""

    carried: pd.DataFrame  # store_id, sku, role ("core" / "addon")
    result: SolveResult
    method: str  # "by store" or "chain model"
    store_values: pd.DataFrame | None = None  # by store: STORE_VALUE_COLUMNS, duals of each store's LP relaxation
    fallback: dict[str, tuple[float, float]] = dataclasses.field(default_factory=dict)  # store -> its greedy plan's
    # objective and the bound on its problem, EUR / week: the stores whose plan is their greedy fallback


def solve_chain(inputs: ModelInputs, progress: Callable[[str], None] | None = None, *,
                pool: StorePool | None = None) -> ChainSolve:
    """The chain plan within `mip_gap` of the best bound when the time limit allows it; the stores are
    solved in `pool` (default: a store_pool of its own, closed before the chain model runs)."""
    say = progress or (lambda _text: None)
    started = time.perf_counter()
    config = inputs.config.solver
    best: Rounds = (None, None, {}, float("-inf"), float("inf"))
    if inputs.rules.max_addons_per_store is None:
        if pool is not None:
            best = _store_rounds(inputs, started, say, pool)
        else:
            with store_pool(inputs.config, len(inputs.stores), say) as own:
                best = _store_rounds(inputs, started, say, own)
    carried, values, fallback, objective, bound = best
    time_left = config.time_limit_seconds - (time.perf_counter() - started)
    if carried is not None and (_gap(objective, bound) <= config.mip_gap or time_left <= 0):
        if time_left <= 0:
            say("  the time limit is spent: the store-by-store plan stands")
        return ChainSolve(carried, _result(inputs, carried, bound, started, fallback), "by store", values, fallback)
    return _solve_chain_model(inputs, carried, bound, started, say, fallback)


def store_pool(config: PlanConfig, n_stores: int, say: Callable[[str], None]) -> StorePool:
    """Where the store problems run: the Dask cluster of `[solver] cluster`, else workers.worker_count local
    processes; this process alone when only the chain model runs (a max_addons_per_store rule)."""
    if config.assortment.max_addons_per_store is not None:
        return StorePool(1, say)
    if config.solver.cluster:
        return ClusterPool(config.solver.cluster, say)
    return StorePool(worker_count(config.solver, n_stores), say)


def _store_rounds(inputs: ModelInputs, started: float, say: Callable[[str], None], pool: StorePool) -> Rounds:
    """The store-by-store rounds: (best plan, its store values, its fallback stores, its objective, best bound)."""
    best: pd.DataFrame | None = None
    best_values: pd.DataFrame | None = None
    best_fallback: dict[str, tuple[float, float]] = {}
    best_objective = float("-inf")
    bound = float("inf")
    rounds = 2 if inputs.listing_cost > 0 else 1
    charges = initial_charges(inputs)
    in_workers = f"; {pool.description}" if pool.workers > 1 or pool.remote else ""
    for round_no in range(1, rounds + 1):
        say(f"solving {len(inputs.stores)} stores separately (round {round_no} of at most {rounds}{in_workers})")
        fallback: dict[str, tuple[float, float]] = {}
        found = store_round(inputs, charges, started, say, fallback=fallback, pool=pool)
        if found is None:
            break  # a store has no plan within its limits: the chain model diagnoses it
        carried, round_bound, values = found
        bound = min(bound, round_bound)
        objective = _objective(carried, inputs)
        if objective > best_objective:
            best, best_values, best_objective, best_fallback = carried, values, objective, fallback
        if _gap(best_objective, bound) <= inputs.config.solver.mip_gap:
            break
        charges = carrier_charges(inputs, carried, charges)
    return best, best_values, best_fallback, best_objective, bound


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
                fallback: dict[str, tuple[float, float]] | None = None,
                pool: StorePool | None = None) -> tuple[pd.DataFrame, float, pd.DataFrame] | None:
    """Every store solved with the core rules relaxed, then the core repaired: (plan, bound, shelf
    and budget values per store) or None. The stores left on their greedy plan are put in `fallback`
    (store -> (objective, bound), EUR / week). The stores run in `pool` (default: one by one, here)."""
    pool = pool or StorePool(1, say)
    n_stores = len(inputs.stores)

    def budget(stores_left: int, workers: int) -> float:
        return store_budget(inputs.config.solver, n_stores, stores_left, started, workers)

    found = pool.solve(list(inputs.stores), _store_task(inputs, charges, [], {}), budget, _counter(n_stores, started, say))
    if found is None:
        return None
    solved = found
    bound = sum(one.bound for one in solved.values())
    for _attempt in range(3):
        core, force_out = core_repair(pd.concat([solved[store].carried for store in inputs.stores], ignore_index=True), inputs)
        stale = [store for store in inputs.stores
                 if store in force_out or not set(core) <= set(solved[store].carried["sku"])]
        if not stale:
            return _round_result(inputs, solved, bound, say, fallback)
        say(f"  core rules: re-solving {len(stale)} stores with a core of {len(core)} products")
        fixed = pool.solve(stale, _store_task(inputs, charges, core, force_out), budget)
        if fixed is None:
            return None
        for store in stale:  # the round's bound is that of the relaxed stores
            solved[store] = dataclasses.replace(fixed[store], bound=solved[store].bound)
    return None


def _store_task(inputs: ModelInputs, charges: pd.Series, core: list[str], force_out: dict[str, list[str]]) -> Task:
    """store -> its ModelInputs with `core` fixed, its `force_out` products banned and its listing charges."""
    def task(store: str) -> ModelInputs:
        return store_inputs(inputs, store, core, set(), force_out=force_out.get(store, []),
                            listing_charge=charges.xs(store, level=STORE_ID))
    return task


def _counter(n_stores: int, started: float, say: Callable[[str], None]) -> Callable[[dict[str, StoreSolve]], None]:
    """Says every tenth store solved, and the last one, with the stores on their greedy plan."""
    def done(solved: dict[str, StoreSolve]) -> None:
        if len(solved) % 10 == 0 or len(solved) == n_stores:
            on_greedy = sum(one.fallback for one in solved.values())
            say(f"  {len(solved)} of {n_stores} stores solved ({time.perf_counter() - started:.0f} s"
                + (f", {on_greedy} on their greedy plan)" if on_greedy else ")"))
    return done


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


def store_budget(config: SolverConfig, n_stores: int, stores_left: int, started: float, workers: int = 1) -> float:
    """Seconds for the next store's MILP: the time left of the limit x workers over the stores left in
    this pass (this one included; workers at most the stores left), at least min(MIN_STORE_SECONDS,
    limit / stores)."""
    left = config.time_limit_seconds - (time.perf_counter() - started)
    floor = min(MIN_STORE_SECONDS, config.time_limit_seconds / max(n_stores, 1))
    stores_left = max(stores_left, 1)
    return max(floor, left * min(workers, stores_left) / stores_left)


def fallback_text(fallback: dict[str, tuple[float, float]]) -> str:
    """One sentence naming the stores on their greedy plan, with their gap to their bounds."""
    objective = sum(value for value, _bound in fallback.values())
    bound = sum(bound for _value, bound in fallback.values())
    gap = "unknown" if not math.isfinite(bound) else f"{100 * _gap(objective, bound):.2f} %"
    return f"{', '.join(sorted(fallback))}: no MILP plan within their time budget; their greedy plan is used (gap {gap})"


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
