"""Store subproblems solved in worker processes, one per core by default, collected by store.

`solve_store` is one task: a store's model (from its ModelInputs, `store_inputs`), its MILP in the
task's time budget, the greedy fallback, and the bound and duals of its LP relaxation. A StorePool runs
tasks in `[solver] workers` processes (0 = one per core, never more than the stores) of the
"forkserver" context: HiGHS is not fork-safe once its threads run, so the workers fork from a clean
server process that has imported this module once. Starting that server takes seconds (the package's
imports), so the pool starts in a background thread and this process solves stores until it is up.
Each task carries one store's tables and its budget, never the chain. Results are keyed by store and
the caller reads them in stores.csv order, so the order in which stores finish never reaches the plan.
`StorePool.map` runs any other per-store task the same way, without budgets: a store's trim of today's
range (baselines.best_trim), its paced changes (transition.store_weeks).

A worker that dies breaks the pool. The stores then in the workers and those not yet started are
named in the progress and solved in this process, one after another; the next batch starts a new pool.

Test hook: with KILL_VARIABLE (PLANNER_TEST_KILL_WORKER_STORE=<store id>) set in the environment when
a pool starts (or in a Dask worker's environment), the worker given that store exits at once
(os._exit(1)), as a crashed worker would.
"""

from __future__ import annotations

import collections
import dataclasses
import math
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

import pandas as pd
import pulp

from planner.config import SolverConfig
from planner.optimize.baselines import store_greedy_plan
from planner.optimize.inputs import ModelInputs, core_products
from planner.optimize.model import Model, build_model, limit_names
from planner.optimize.plan import active_flows, carried_pairs
from planner.optimize.solve import SolveStatus, relaxed_duals, solve
from planner.schemas import KEY, STORE_ID

KILL_VARIABLE = "PLANNER_TEST_KILL_WORKER_STORE"  # test hook, see the module docstring
Budget = Callable[[int, int], float]  # (stores left in the batch, this one included; workers) -> seconds
Task = Callable[[str], ModelInputs]  # store -> its ModelInputs (store_inputs)
Solved = dict[str, "StoreSolve"]
T = TypeVar("T")  # a store's task for StorePool.map
R = TypeVar("R")  # its result

_kill_store = ""  # in a worker: the store whose worker exits (KILL_VARIABLE)


@dataclasses.dataclass(frozen=True)
class StoreSolve:
    """One store's plan and what is known of it."""

    carried: pd.DataFrame  # store_id, sku
    objective: float  # EUR / week: the store problem's objective of the plan
    bound: float  # on the store problem's optimum, EUR / week (inf when unknown)
    duals: list[float]  # shelf_value, budget_value of its LP relaxation
    fallback: bool  # the store's greedy plan, no better MILP plan found within its budget


def worker_count(config: SolverConfig, n_stores: int) -> int:
    """Worker processes for `n_stores` store tasks: `[solver] workers`, 0 = one per core; at most the stores,
    and 1 in a daemonic process (a multiprocessing.Pool worker), which may not start processes."""
    if multiprocessing.current_process().daemon:
        return 1
    return max(1, min(config.workers or os.cpu_count() or 1, n_stores))


class StorePool:
    """Solves batches of store tasks in worker processes (in this process with one worker)."""

    lost_errors: tuple[type[BaseException], ...] = (BrokenProcessPool,)  # a task's worker died: solve its store here
    remote = False  # True: the workers are elsewhere (cluster.py), so one worker is no reason to solve here
    answer_seconds = math.inf  # a task not back within twice its budget and this is given up and solved here (cluster.py)

    def __init__(self, workers: int, say: Callable[[str], None]) -> None:
        self.workers = workers
        self._say = say
        self._executor: Executor | None = None
        self._starting: threading.Thread | None = None  # submits self._ready, one no-op per worker
        self._ready: list[Future[None]] = []

    def __enter__(self) -> StorePool:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Start the worker processes in a background thread (a process's first start takes seconds)."""
        if self.workers > 1 and self._executor is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([__name__])
            self._executor = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_start_worker,
                                                 initargs=(os.environ.get(KILL_VARIABLE, ""),))
            self._starting = threading.Thread(target=self._warm_up, args=(self._executor,), daemon=True)
            self._starting.start()

    @property
    def description(self) -> str:
        """Where the stores are solved, for the progress line."""
        return f"{self.workers} worker processes" if self.workers > 1 else "in this process"

    def close(self) -> None:
        """Stop the worker processes (after their current task)."""
        if self._starting is not None:
            self._starting.join()
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)
        self._executor, self._starting, self._ready = None, None, []

    @property
    def up(self) -> bool:
        """The workers have started (or failed to): from now on they solve the stores, not this process."""
        starting = self._starting
        return (starting is not None and not starting.is_alive()
                and (not self._ready or any(future.done() for future in self._ready)))

    def _warm_up(self, executor: ProcessPoolExecutor) -> None:
        try:
            for _worker in range(self.workers):
                self._ready.append(executor.submit(_no_op))
        except BrokenProcessPool:
            pass  # the first task submitted finds the pool broken

    def solve(self, stores: Sequence[str], task: Task, budget: Budget,
              done: Callable[[Solved], None] = lambda _solved: None) -> Solved | None:
        """Each store's StoreSolve, by store, or None once a store has no plan; `done` hears of each one."""
        if (self.workers <= 1 and not self.remote) or len(stores) <= 1:
            return _serial(stores, task, budget, {}, done)
        solved, lost, not_started = self._parallel(stores, task, budget, done)
        if solved is None or not lost:
            return solved
        self._say(f"  a worker process died (while {', '.join(lost)} {'was' if len(lost) == 1 else 'were'} in the workers): "
                  f"solving {'it' if len(lost) == 1 else 'them'}"
                  + (f" and the {len(not_started)} stores not yet started" if not_started else "") + " in this process")
        return _serial([store for store in stores if store in {*lost, *not_started}], task, budget, solved, done)

    def map(self, fn: Callable[[T], R], tasks: Mapping[str, T]) -> dict[str, R]:
        """fn(task) for each store's task (a module-level fn and a small task: both travel), by store in the
        order of `tasks`: in the workers once they are up, else here; a task whose worker died is run here."""
        if (self.workers <= 1 and not self.remote) or len(tasks) <= 1 or not self.up:
            return {store: fn(task) for store, task in tasks.items()}
        futures: dict[str, Future[R]] = {}
        for store, task in tasks.items():
            try:
                futures[store] = self._submit_any(fn, task)
            except self.lost_errors:
                break
        results: dict[str, R] = {}
        lost: list[str] = []
        for store, task in tasks.items():
            future = futures.get(store)
            if future is not None:
                try:
                    results[store] = future.result(timeout=None if math.isinf(self.answer_seconds) else self.answer_seconds)
                    continue
                except self.lost_errors:
                    pass
                except TimeoutError:  # a remote worker that does not answer
                    future.cancel()
            lost.append(store)
            results[store] = fn(task)
        if lost:
            self._say(f"  a worker process died: {len(lost)} stores were run in this process")
            self.close()
        return results

    def _submit_any(self, fn: Callable[[T], R], task: T) -> Future[R]:
        if self._executor is None:
            raise BrokenProcessPool("the pool is closed")
        return self._executor.submit(fn, task)

    def _parallel(self, stores: Sequence[str], task: Task, budget: Budget,
                  done: Callable[[Solved], None]) -> tuple[Solved | None, list[str], list[str]]:
        """The stores solved in the pool, up to two per worker queued (this process solves them until
        the workers are up); the stores a broken pool lost in its workers, and those it did not start."""
        self.start()
        waiting = collections.deque(stores)
        running: dict[Future[StoreSolve | None], tuple[str, float]] = {}  # -> store, when it is given up
        solved: Solved = {}
        lost: list[str] = []
        while (waiting and not lost) or running:
            up = self.up
            while up and waiting and not lost and len(running) < 2 * self.workers:
                seconds = budget(len(waiting) + len(running), self.workers)
                store = waiting.popleft()
                try:
                    running[self._submit(task(store), seconds)] = (store, time.monotonic() + 2 * seconds + self.answer_seconds)
                except self.lost_errors:
                    lost.append(store)
            results: dict[str, StoreSolve | None] = {}
            if not up and waiting:
                store = waiting.popleft()
                results[store] = solve_store(task(store), budget(len(waiting) + len(running) + 1, self.workers))
            self._collect(running, results, lost)
            for store, one in results.items():
                if one is None:
                    self.close()
                    return None, [], []
                solved[store] = one
                done(solved)
        if lost:
            self.close()
        return solved, [store for store in stores if store in lost], list(waiting)

    def _collect(self, running: dict[Future[StoreSolve | None], tuple[str, float]], results: dict[str, StoreSolve | None],
                 lost: list[str]) -> None:
        """Wait for the first of the running tasks to finish, into `results`; a task whose worker died, or that
        has not answered by the time it is given up (twice its budget and answer_seconds), into `lost`."""
        if not running:
            return
        timeout = max(0.0, min(give_up for _store, give_up in running.values()) - time.monotonic())
        finished = wait(running, timeout=None if math.isinf(timeout) else timeout, return_when=FIRST_COMPLETED)[0]
        for future in finished:
            store, _give_up = running.pop(future)
            try:
                results[store] = future.result()
            except self.lost_errors:
                lost.append(store)
        for future, (store, give_up) in list(running.items()):
            if time.monotonic() > give_up:
                future.cancel()
                del running[future]
                lost.append(store)

    def _submit(self, sub: ModelInputs, seconds: float) -> Future[StoreSolve | None]:
        return self._submit_any(_in_worker, (sub, seconds))


def _serial(stores: Sequence[str], task: Task, budget: Budget, solved: Solved,
            done: Callable[[Solved], None]) -> Solved | None:
    """The stores solved here, one after another, added to `solved`; None once one has no plan."""
    for number, store in enumerate(stores):
        one = solve_store(task(store), budget(len(stores) - number, 1))
        if one is None:
            return None
        solved[store] = one
        done(solved)
    return solved


def _no_op() -> None:
    """A worker's first task: it has started."""


def _start_worker(kill_store: str) -> None:
    global _kill_store  # the test hook, set once per worker process
    _kill_store = kill_store


def _in_worker(task: tuple[ModelInputs, float]) -> StoreSolve | None:
    sub, seconds = task
    if sub.stores[0] in (_kill_store, os.environ.get(KILL_VARIABLE)):  # a Dask worker has it from its environment
        os._exit(1)
    return solve_store(sub, seconds)


def solve_store(sub: ModelInputs, seconds: float) -> StoreSolve | None:
    """One store's plan (store_id, sku) in `seconds`, its objective and bound, and what one more shelf
    unit and one more euro of budget earn in its LP relaxation; None without a plan.

    Without a MILP plan in time the store's greedy plan is warm-started into the MILP; when it breaks
    a rule of the store there is no fallback."""
    model = build_model(sub)
    solver = dataclasses.replace(sub.config.solver, time_limit_seconds=seconds)
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
    lp_bound, duals = relaxed_duals(model.problem, sub.config.solver, limit_names(sub, str(sub.stores[0])))
    bound = next((b for b in (result.best_bound, lp_bound) if b is not None), float("inf"))
    on_greedy = (greedy is not None and result.status != SolveStatus.OPTIMAL
                 and set(carried["sku"]) == set(greedy["sku"]))
    return StoreSolve(carried, objective, bound, duals, on_greedy)


def _meets_every_rule(model: Model) -> bool:
    """True when the values the variables hold (a start) satisfy every constraint of the model."""
    return all(constraint.valid(1e-6) for constraint in model.problem.constraints())


def set_start(model: Model, inputs: ModelInputs, carried: pd.DataFrame) -> None:
    """Give every variable of the model its value in the plan `carried` (for a warm start)."""
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
