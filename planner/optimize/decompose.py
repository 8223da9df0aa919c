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
best plan, in the time left; its own bound then tightens ours. Stores with a `max_addons_per_store`
rule (core items do not count as add-ons) go straight to the full MILP.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import pandas as pd

from planner.optimize.inputs import ModelInputs, core_products, store_inputs
from planner.optimize.model import Model, build_model, limit_names
from planner.optimize.plan import active_flows, carried_pairs, plan_value
from planner.optimize.solve import SolveResult, SolveStatus, relaxed_duals, solve
from planner.schemas import KEY, STORE_ID, Role

STORE_VALUE_COLUMNS = [STORE_ID, "shelf_value", "budget_value"]


@dataclasses.dataclass
class ChainSolve:
    """The chain plan and how it was found."""

    carried: pd.DataFrame  # store_id, sku, role ("core" / "addon")
    result: SolveResult
    method: str  # "by store" or "chain model"
    store_values: pd.DataFrame | None = None  # by store: STORE_VALUE_COLUMNS, duals of each store's LP relaxation


def solve_chain(inputs: ModelInputs, progress: Callable[[str], None] | None = None) -> ChainSolve:
    """The chain plan within `mip_gap` of the best bound when the time limit allows it."""
    say = progress or (lambda _text: None)
    started = time.perf_counter()
    config = inputs.config.solver
    best: pd.DataFrame | None = None
    best_values: pd.DataFrame | None = None
    best_objective = float("-inf")
    bound = float("inf")
    if inputs.rules.max_addons_per_store is None:
        rounds = 2 if inputs.listing_cost > 0 else 1
        charges = initial_charges(inputs)
        for round_no in range(1, rounds + 1):
            say(f"solving {len(inputs.stores)} stores one by one (round {round_no} of at most {rounds})")
            found = store_round(inputs, charges, started, say)
            if found is None:
                break  # a store has no plan within its limits: the chain model diagnoses it
            carried, round_bound, values = found
            bound = min(bound, round_bound)
            objective = _objective(carried, inputs)
            if objective > best_objective:
                best, best_values, best_objective = carried, values, objective
            if _gap(best_objective, bound) <= config.mip_gap:
                break
            charges = carrier_charges(inputs, carried, charges)
    if best is not None and _gap(best_objective, bound) <= config.mip_gap:
        return ChainSolve(best, _result(inputs, best, bound, started), "by store", best_values)
    return _solve_chain_model(inputs, best, bound, started, say)


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


def store_round(inputs: ModelInputs, charges: pd.Series, started: float,
                 say: Callable[[str], None]) -> tuple[pd.DataFrame, float, pd.DataFrame] | None:
    """Every store solved with the core rules relaxed, then the core repaired: (plan, bound, shelf
    and budget values per store) or None."""
    plans, bounds, values = {}, {}, {}
    for number, store in enumerate(inputs.stores, start=1):
        solved = _solve_store(inputs, store, charges, [], [], started)
        if solved is None:
            return None
        plans[store], bounds[store], values[store] = solved
        if number % 10 == 0 or number == len(inputs.stores):
            say(f"  {number} of {len(inputs.stores)} stores solved ({time.perf_counter() - started:.0f} s)")
    bound = sum(bounds.values())
    for _attempt in range(3):
        core, force_out = core_repair(pd.concat(plans.values(), ignore_index=True), inputs)
        stale = [store for store in inputs.stores
                 if store in force_out or not set(core) <= set(plans[store]["sku"])]
        if not stale:
            carried = pd.concat(plans.values(), ignore_index=True)
            store_values = pd.DataFrame([(store, *values[store]) for store in inputs.stores], columns=STORE_VALUE_COLUMNS)
            return with_roles(carried, inputs), bound, store_values
        say(f"  core rules: re-solving {len(stale)} stores with a core of {len(core)} products")
        for store in stale:
            solved = _solve_store(inputs, store, charges, core, force_out.get(store, []), started)
            if solved is None:
                return None
            plans[store], _bound, values[store] = solved
    return None


def _solve_store(inputs: ModelInputs, store: str, charges: pd.Series, core: list[str], force_out: list[str],
                 started: float) -> tuple[pd.DataFrame, float, list[float]] | None:
    """One store's plan (store_id, sku), the bound on its objective, and what one more shelf unit and
    one more euro of budget earn in its LP relaxation; None without a plan."""
    charge = charges.xs(store, level=STORE_ID)
    sub = store_inputs(inputs, store, core, set(), force_out=force_out, listing_charge=charge)
    model = build_model(sub)
    left = max(1.0, inputs.config.solver.time_limit_seconds - (time.perf_counter() - started))
    result = solve(model.problem, dataclasses.replace(inputs.config.solver, time_limit_seconds=left))
    if not result.status.has_plan:
        return None
    bound = result.best_bound if result.best_bound is not None else float("inf")
    carried = carried_pairs(model, sub)[KEY]
    _objective, duals = relaxed_duals(model.problem, inputs.config.solver, limit_names(inputs, store))
    return carried, bound, duals


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


def with_roles(carried: pd.DataFrame, inputs: ModelInputs) -> pd.DataFrame:
    """store_id, sku, role: "core" for fresh products carried everywhere, "addon" otherwise."""
    core = set(core_products(carried, inputs.core_skus, inputs.stores))
    roles = [Role.CORE if sku in core else Role.ADDON for sku in carried["sku"]]
    return carried[KEY].assign(role=roles).reset_index(drop=True)


def _solve_chain_model(inputs: ModelInputs, start: pd.DataFrame | None, bound: float, started: float,
                       say: Callable[[str], None]) -> ChainSolve:
    """The full chain MILP in the time left, warm-started from `start` when there is one."""
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
    if result.best_bound is not None:
        bound = min(bound, result.best_bound)
    return ChainSolve(with_roles(carried, inputs), _result(inputs, carried, bound, started), "chain model")


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


def _result(inputs: ModelInputs, carried: pd.DataFrame, bound: float, started: float) -> SolveResult:
    """The SolveResult of a plan: its exact objective, the best bound, and the gap between them."""
    objective = _objective(carried, inputs)
    bound = max(bound, objective)  # bounds carry the solvers' tolerances
    gap = _gap(objective, bound)
    status = SolveStatus.OPTIMAL if gap <= inputs.config.solver.mip_gap else SolveStatus.FEASIBLE
    return SolveResult(inputs.config.solver.name.lower(), status, objective, bound, gap, time.perf_counter() - started)
