"""The paced transition: from today's assortment to the plan (the target) in weekly steps a store can
carry out, at most `max_changes_per_store_per_week` adds plus drops per store and week.

This week's step, the one carried out now, is a small MILP per store over the changes to make:
binary z[c] = 1 when change c is made this week; maximise the weekly profit impact of the chosen
changes, subject to

    shelf and budget after the step <= the store's limits
    chosen changes >= min(limit, remaining)                      (full progress)
    chosen changes <= limit (+ the forced changes beyond it)
    forced changes (head-office rules, approved requests) this week.

A drop that frees the space for an add lands in the same week, since the add cannot go in without it.
A store whose assortment today breaks its limits cannot come within them in one step: its step first
minimises what is left over the limits (relative to each), never goes further over, then earns the most.

The later weeks are an outlook (each weekly run plans its own step from what was carried out): a
greedy schedule in the same limits, the most valuable change first whenever it fits without going
further over a limit, so that a store with a thousand changes costs milliseconds, not a thousand MILPs.

The steps always exist and always reach the target: doing every drop keeps a store within its limits
(the target fits them and adds only take space), and after all drops any set of adds fits.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pulp

from planner.config import SolverConfig
from planner.optimize.inputs import ModelInputs
from planner.optimize.plan import moved_demand
from planner.optimize.solve import solve
from planner.optimize.workers import StorePool
from planner.schemas import KEY, STORE_ID, Change

STEP_TIME_LIMIT_SECONDS = 10.0  # per store; the step problems are small
LIMIT_TOLERANCE = 1e-6  # relative: the target itself holds the limits only to the solver's tolerance


def change_impacts(changes: pd.DataFrame, plan: pd.DataFrame, inputs: ModelInputs) -> np.ndarray:
    """EUR / week each change adds to the store's profit: an add its own profit, a drop minus what
    the product earned plus the margin its customers bring to substitutes the plan carries (counted
    once, on the drop, so the impacts of a store's changes add up)."""
    keys = pd.MultiIndex.from_frame(changes[KEY])
    own = inputs.all_pairs["profit"].reindex(keys).to_numpy(dtype=float)
    recaptured = moved_demand(plan, inputs).set_index(KEY)["margin"].astype(float)
    recaptured = recaptured.reindex(keys).fillna(0.0).to_numpy()
    return np.where(changes["change"].to_numpy() == Change.ADD, own, -own + recaptured)


def paced_weeks(changes: pd.DataFrame, impacts: np.ndarray, inputs: ModelInputs, limit: int | None,
                pool: StorePool | None = None) -> pd.Series:
    """The week (1 = this week) in which each change of `changes` (store_id, sku, change, forced) is
    carried out, aligned with `changes`; every change in week 1 when `limit` is None. The stores are
    scheduled in `pool`'s workers (one after another without one)."""
    weeks = pd.Series(1, index=changes.index, dtype=int)
    if limit is None:
        return weeks
    table = changes.assign(impact=impacts)
    tasks = {}
    for store, block in table.groupby(STORE_ID, sort=False):
        caps = np.array([inputs.shelf_capacity[store], inputs.inventory_budget[store]], dtype=float)
        tasks[str(store)] = StoreChanges(block[["sku", "change", "forced", "impact"]], inputs.all_pairs.loc[store], caps,
                                         inputs.config.solver, inputs.tokens.get(store, "store"), limit)
    scheduled = pool.map(store_weeks, tasks) if pool is not None else {store: store_weeks(task) for store, task in tasks.items()}
    for store, task in tasks.items():
        weeks.loc[task.changes.index] = scheduled[store]
    return weeks


@dataclasses.dataclass(frozen=True)
class StoreChanges:
    """One store's changes to schedule, and what scheduling them needs (a worker's task)."""

    changes: pd.DataFrame  # sku, change, forced, impact
    pairs: pd.DataFrame  # the store's candidate lines (ModelInputs.all_pairs), by sku
    caps: np.ndarray  # shelf capacity, inventory budget
    solver: SolverConfig
    token: str  # the store's name in solver files
    limit: int  # changes per week


def store_weeks(task: StoreChanges) -> np.ndarray:
    """The week of each of the store's changes: this week's step (a MILP), then the greedy outlook."""
    block, pairs, limit = task.changes, task.pairs, task.limit
    listed = pairs[pairs["listed_now"]]
    used = np.array([listed["shelf_space"].sum(), listed["inventory_cost"].sum()], dtype=float)
    caps = task.caps + LIMIT_TOLERANCE * np.maximum(task.caps, 1.0)
    sign = np.where(block["change"].to_numpy() == Change.ADD, 1.0, -1.0)
    delta = sign[:, None] * pairs.loc[block["sku"], ["shelf_space", "inventory_cost"]].to_numpy(dtype=float)
    impact = block["impact"].to_numpy(dtype=float)
    forced = block["forced"].fillna("").astype(str).ne("").to_numpy()
    week = np.zeros(len(block), dtype=int)
    open_ = np.arange(len(block))
    if len(open_) <= limit:
        return week + 1
    chosen = _step(task, open_, delta, impact, forced, used, caps)
    week[chosen] = 1
    _outlook(np.flatnonzero(week == 0), delta, impact, used + delta[chosen].sum(axis=0), caps, limit, week)
    return week


def _outlook(open_: np.ndarray, delta: np.ndarray, impact: np.ndarray, used: np.ndarray, caps: np.ndarray,
             limit: int, week: np.ndarray) -> None:
    """Weeks 2, 3, ... in `week` for the changes still open: each week the greedy step (no change forced
    any more), the last week all that is left; the changes are ranked once, not once a week."""
    steps = delta.tolist()  # plain floats: this runs for every change of a big store
    waiting = sorted(open_.tolist(), key=lambda i: (-impact[i], i))
    current = 1
    while waiting:
        current += 1
        if len(waiting) <= limit:
            week[waiting] = current
            return
        chosen = _fill_week(waiting, steps, used, caps, limit)
        if not chosen:  # cannot happen (a drop always fits): the rest in one week rather than never
            chosen = waiting
        week[chosen] = current
        used = used + delta[chosen].sum(axis=0)
        taken = set(chosen)
        waiting = [i for i in waiting if i not in taken]


def _step(task: StoreChanges, open_: np.ndarray, delta: np.ndarray, impact: np.ndarray, forced: np.ndarray,
          used: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """The changes (positions in the block) of this week's step: within the limits, the most valuable
    full step; over them (today's assortment may be), first as far back toward them as the step can go."""
    limit = task.limit
    problem = pulp.LpProblem(f"step_{task.token}", pulp.LpMaximize)
    z = {i: problem.add_variable(f"z_{i}", 0, 1, pulp.LpBinary) for i in open_}
    excess = problem.add_variable("excess", 0, None)  # changes beyond the limit: only forced ones need it
    price = 1.0 + float(np.abs(impact[open_]).sum())  # one change over the limit costs more than any gain
    over = []
    for column, name in enumerate(("shelf", "budget")):
        after = float(used[column]) + pulp.lpSum(float(delta[i, column]) * z[i] for i in open_)
        problem += after <= float(max(caps[column], used[column])), name  # never further over a limit
        if used[column] > caps[column]:
            over.append(problem.add_variable(f"over_{name}", 0, None))
            problem += over[-1] >= (after - float(caps[column])) * (1.0 / float(caps[column])), f"over_{name}"
    problem += pulp.lpSum(z.values()) >= min(limit, len(open_)), "progress"
    problem += pulp.lpSum(z.values()) <= limit + excess, "weekly_limit"
    for i in open_[forced[open_]]:
        problem += z[i] == 1, f"forced_{i}"
    solver = dataclasses.replace(task.solver, time_limit_seconds=min(STEP_TIME_LIMIT_SECONDS, task.solver.time_limit_seconds))
    start = set(_greedy_step(open_, delta, impact, forced, used, caps, limit).tolist())  # a first plan for the solver
    for i, variable in z.items():
        variable.setInitialValue(1.0 if i in start else 0.0)
    if over:  # first: the least overage the step can reach (relative to each limit)
        problem.sense = pulp.LpMinimize
        problem.setObjective(pulp.lpSum(over) + 10.0 * (1.0 + len(open_)) * excess)
        if not solve(problem, solver, warm_start=True).status.has_plan:
            return np.array(sorted(start), dtype=int)
        least = sum(v.varValue or 0.0 for v in over)
        problem += pulp.lpSum(over) <= least + 1e-7, "least_overage"
        problem.sense = pulp.LpMaximize
    problem.setObjective(pulp.lpSum(float(impact[i]) * z[i] for i in open_) - price * excess)
    if not solve(problem, solver, warm_start=True).status.has_plan:  # out of time: the greedy step holds the limits all the same
        return np.array(sorted(start), dtype=int)
    return np.array([i for i in open_ if (z[i].varValue or 0.0) > 0.5], dtype=int)


def _greedy_step(open_: np.ndarray, delta: np.ndarray, impact: np.ndarray, forced: np.ndarray,
                 used: np.ndarray, caps: np.ndarray, limit: int) -> np.ndarray:
    """Forced changes, then the others by impact while they fit (never further over a limit), as _fill_week."""
    chosen = [int(i) for i in open_ if forced[i]]
    waiting = sorted((int(i) for i in open_ if not forced[i]), key=lambda i: (-impact[i], i))
    more = _fill_week(waiting, delta.tolist(), used + delta[chosen].sum(axis=0), caps, limit - len(chosen))
    return np.array(chosen + more, dtype=int)


def _fill_week(waiting: list[int], steps: list[list[float]], used: np.ndarray, caps: np.ndarray, room: int) -> list[int]:
    """Up to `room` changes of `waiting`, in its order, each taken when it fits (never further over a limit),
    pass after pass, since a drop frees room for an add skipped before it. A drop always fits, and after
    the drops every add does, so the step makes full progress."""
    shelf, money = (float(v) for v in used)
    cap_shelf, cap_money = (float(v) for v in caps)
    chosen: list[int] = []
    while waiting and len(chosen) < room:
        taken = set()
        for i in waiting:
            if len(chosen) >= room:
                break
            d_shelf, d_money = steps[i]
            if shelf + d_shelf <= max(cap_shelf, shelf) and money + d_money <= max(cap_money, money):
                chosen.append(i)
                taken.add(i)
                shelf, money = shelf + d_shelf, money + d_money
        if not taken:
            break
        waiting = [i for i in waiting if i not in taken]
    return chosen
