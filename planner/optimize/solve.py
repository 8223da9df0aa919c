"""Solver choice, options and status reading: the only file that knows which PuLP version runs.

PuLP 3.3 (Python 3.11) returns an int from solve() and keeps `status`/`sol_status` on the problem;
PuLP 4 returns an LpSolveStats with `status` and `has_solution`. Both become one SolveResult.
CBC is `PULP_CBC_CMD` (bundled) in 3.x and `COIN_CMD` (pulp[cbc]) in 4.x.
"""

from __future__ import annotations

import enum
import os
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pulp

from planner.config import SolverConfig
from planner.errors import SolverError

GAP_SHARE = 0.9  # solvers measure the gap against slightly different denominators: ask for a little less
SOLVER_NAMES = {"highs": "HiGHS", "cbc": "COIN_CMD"}  # config name -> PuLP solver name


class SolveStatus(enum.StrEnum):
    """Why the solver stopped, as the planner reports it."""

    OPTIMAL = "optimal"  # proven optimal within the configured MIP gap
    FEASIBLE = "feasible"  # a plan was found, but the time limit stopped the proof
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    NO_SOLUTION = "no_solution"  # stopped (time limit, error) without any plan

    @property
    def has_plan(self) -> bool:
        """True when variable values can be read."""
        return self in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)


@dataclass(frozen=True)
class SolveResult:
    """Outcome of one solve."""

    solver: str
    status: SolveStatus
    objective: float | None  # EUR / week for the plan model
    best_bound: float | None  # the solver's bound on the optimum (LP bound), same units
    mip_gap: float | None  # (bound - objective) / |objective|, 0.001 = 0.1 %
    seconds: float


def linear_expression(terms: Iterable[tuple[pulp.LpVariable, float]]) -> pulp.LpAffineExpression:
    """sum of coefficient x variable, built in one step (fast for tens of thousands of terms).

    A variable may appear more than once: its coefficients are added, as PuLP's constructor would
    keep only the last one.
    """
    summed: dict[pulp.LpVariable, float] = {}
    for var, coefficient in terms:
        summed[var] = summed.get(var, 0.0) + coefficient
    terms = list(summed.items())
    if hasattr(pulp.LpAffineExpression, "from_list"):  # PuLP 4
        return pulp.LpAffineExpression.from_list(terms)
    return pulp.LpAffineExpression(terms)


@contextmanager
def silenced_stdout(silence: bool) -> Iterator[None]:
    """While active (and `silence` is true), what C code prints to the process's stdout goes nowhere."""
    if not silence:
        yield
        return
    sys.stdout.flush()
    saved, sink = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(sink, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(sink)


class BulkHiGHS(pulp.HiGHS):
    """PuLP's in-process HiGHS, with the model handed over in three array calls instead of one call
    per column and row (seconds saved on a chain model), the objective constant included (so
    HiGHS's gap is the planner's), and an optional warm start from the variables' current values."""

    def __init__(self, *, warm_start: bool = False, **options: object) -> None:
        super().__init__(**options)
        self.warm_start = warm_start

    def buildSolverModel(self, lp: pulp.LpProblem) -> None:  # noqa: N802 (PuLP's name)
        """Columns, rows and integrality of `lp`, each passed to HiGHS in one call."""
        highs = lp.solverModel
        variables = self.columns = lp.variables()
        sign = -1.0 if lp.sense == pulp.LpMaximize else 1.0
        for i, var in enumerate(variables):
            var.index = i
        cost = np.array([sign * lp.objective.get(var, 0.0) for var in variables], dtype=float)
        lower = np.array([-np.inf if var.lowBound is None else var.lowBound for var in variables], dtype=float)
        upper = np.array([np.inf if var.upBound is None else var.upBound for var in variables], dtype=float)
        highs.addCols(len(variables), cost, lower, upper, 0, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
        highs.changeObjectiveOffset(sign * (lp.objective.constant or 0.0))
        starts, indices, values, row_lower, row_upper = [], [], [], [], []
        for i, constraint in enumerate(lp._constraints.values()):  # as PuLP's own HiGHS.buildSolverModel
            constraint.index = i
            starts.append(len(indices))
            for var, coefficient in constraint.items():
                if coefficient:
                    indices.append(var.index)
                    values.append(coefficient)
            lb, ub = constraint.getLb(), constraint.getUb()
            row_lower.append(-np.inf if lb is None else lb)
            row_upper.append(np.inf if ub is None else ub)
        highs.addRows(len(starts), np.array(row_lower, dtype=float), np.array(row_upper, dtype=float), len(indices),
                      np.array(starts, dtype=np.int32), np.array(indices, dtype=np.int32), np.array(values, dtype=float))
        integer = np.array([var.index for var in variables if var.cat == pulp.LpInteger], dtype=np.int32)
        if self.mip and len(integer):
            import highspy  # importable: PuLP lists HiGHS as available

            kinds = np.full(len(integer), int(highspy.HighsVarType.kInteger), dtype=np.uint8)
            highs.changeColsIntegrality(len(integer), integer, kinds)
        if self.warm_start:
            start = np.array([var.varValue or 0.0 for var in variables], dtype=float)
            highs.setSolution(len(variables), np.arange(len(variables), dtype=np.int32), start)


    def actualSolve(self, lp: pulp.LpProblem) -> int:  # noqa: N802 (PuLP's name)
        """Build, run and read back; PuLP's own version lists the variables three more times, each a
        walk over every constraint."""
        with silenced_stdout(not self.msg):  # highspy >= 1.16 prints a banner when the first Highs() is made
            self.createAndConfigureSolver(lp)
        self.buildSolverModel(lp)
        self.callSolver(lp)
        lp.assignStatus(*self.read_solution(lp))
        return lp.status

    def read_solution(self, lp: pulp.LpProblem) -> tuple[int, int]:
        """Variable values and row duals from HiGHS, and PuLP's (status, solution status)."""
        import highspy  # importable: PuLP lists HiGHS as available

        highs, kinds = lp.solverModel, highspy.HighsModelStatus
        status, solution = highs.getModelStatus(), highs.getSolution()
        stopped = (kinds.kTimeLimit, kinds.kIterationLimit, kinds.kInterrupt, kinds.kObjectiveBound, kinds.kObjectiveTarget)
        if solution.value_valid:
            values, duals = solution.col_value, solution.row_dual
            for var in self.columns:
                var.varValue = values[var.index]
            for constraint in lp._constraints.values():
                constraint.pi = duals[constraint.index] if solution.dual_valid else None
        if status == kinds.kOptimal:
            return pulp.LpStatusOptimal, pulp.LpSolutionOptimal
        if status in (kinds.kInfeasible, kinds.kUnboundedOrInfeasible):
            return pulp.LpStatusInfeasible, pulp.LpSolutionInfeasible
        if status == kinds.kUnbounded:
            return pulp.LpStatusUnbounded, pulp.LpSolutionUnbounded
        if status in stopped and solution.value_valid:
            return pulp.LpStatusOptimal, pulp.LpSolutionIntegerFeasible
        return pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound


def make_solver(config: SolverConfig, *, msg: bool = False, warm_start: bool = False) -> pulp.LpSolver:
    """The configured solver, or a SolverError listing the solvers that are available.

    With `warm_start` the solver starts from the variables' current values (a known plan).
    """
    available = pulp.listSolvers(onlyAvailable=True)
    options = {"msg": msg, "timeLimit": config.time_limit_seconds, "gapRel": GAP_SHARE * config.mip_gap}
    pulp_name = SOLVER_NAMES[config.name.lower()]
    if pulp_name == "HiGHS" and pulp_name in available:
        return BulkHiGHS(warm_start=warm_start, **options)
    if pulp_name in available:
        return pulp.getSolver(pulp_name, warmStart=warm_start, **options)
    bundled_cbc = _bundled_cbc_path()
    if pulp_name == "COIN_CMD" and bundled_cbc:
        return pulp.COIN_CMD(path=bundled_cbc, warmStart=warm_start, **options)
    msg_text = (
        f"solver '{config.name}' is not available; PuLP finds: {', '.join(available) or 'none'}. "
        "Install highspy (pip install highspy) or set [solver] name in planning.toml"
    )
    raise SolverError(msg_text)


def _bundled_cbc_path() -> str | None:
    """PuLP 3 ships a CBC binary (its deprecated PULP_CBC_CMD runs it); COIN_CMD can run it directly."""
    coin_api = getattr(pulp.apis, "coin_api", None)
    path = getattr(coin_api, "pulp_cbc_path", None)
    return path if path and Path(path).exists() else None


def solve(problem: pulp.LpProblem, config: SolverConfig, *, warm_start: bool = False) -> SolveResult:
    """Solve `problem` and map the outcome to a SolveResult (never raises on infeasibility).

    With `warm_start` the variables' current values are handed to the solver as a first plan.
    """
    solver = make_solver(config, warm_start=warm_start)
    started = time.perf_counter()
    # PuLP 3 reads no bound back from CBC: measure its gap against the root LP relaxation instead
    needs_lp_bound = not isinstance(solver, pulp.HiGHS) and not _returns_stats() and problem.isMIP()
    lp_bound = _lp_relaxation_bound(problem, solver) if needs_lp_bound else None
    stats = _run(problem, solver, config.name)
    seconds = time.perf_counter() - started
    status = _status(problem, stats)
    objective = pulp.value(problem.objective) if status.has_plan else None
    objective = float(objective) if objective is not None else (0.0 if status.has_plan else None)
    bound = lp_bound if needs_lp_bound else _best_bound(problem, stats, objective)
    if needs_lp_bound and status == SolveStatus.OPTIMAL and lp_bound is not None:
        # the solver proved the plan within its gap tolerance: that proof is a bound too
        direction = 1.0 if problem.sense == pulp.LpMaximize else -1.0
        proven = objective + direction * GAP_SHARE * config.mip_gap * abs(objective)
        bound = min(lp_bound, proven) if direction > 0 else max(lp_bound, proven)
    gap = None
    if objective is not None and bound is not None:
        gap = max(0.0, abs(bound - objective)) / max(abs(objective), 1e-9)
    return SolveResult(config.name.lower(), status, objective, bound, gap, seconds)


def _run(problem: pulp.LpProblem, solver: pulp.LpSolver, name: str) -> object:
    try:
        return problem.solve(solver)
    except pulp.PulpSolverError as exc:
        msg = f"solver {name} failed: {exc}"
        raise SolverError(msg) from exc


def _returns_stats() -> bool:
    return hasattr(pulp, "LpSolveStatus")


def _lp_relaxation_bound(problem: pulp.LpProblem, solver: pulp.LpSolver) -> float | None:
    """Solve the LP relaxation (integrality dropped) for a bound, when the MIP solver reports none."""
    integer_vars = [v for v in problem.variables() if v.cat != pulp.LpContinuous]
    for var in integer_vars:
        var.cat = pulp.LpContinuous
    try:
        _run(problem, solver, "LP relaxation")
        optimal = problem.status == 1
        return float(pulp.value(problem.objective) or 0.0) if optimal else None
    finally:
        for var in integer_vars:
            var.cat = pulp.LpInteger


def _status(problem: pulp.LpProblem, stats: object) -> SolveStatus:
    if hasattr(stats, "has_solution"):  # PuLP 4: LpSolveStats
        code = int(stats.status)
        if stats.has_solution:
            return SolveStatus.OPTIMAL if code == 1 else SolveStatus.FEASIBLE
    else:  # PuLP 3: status and sol_status live on the problem
        code = problem.status
        if problem.sol_status == pulp.LpSolutionOptimal:
            return SolveStatus.OPTIMAL
        if problem.sol_status == pulp.LpSolutionIntegerFeasible:
            return SolveStatus.FEASIBLE
    if code == -1:
        return SolveStatus.INFEASIBLE
    if code == -2:
        return SolveStatus.UNBOUNDED
    return SolveStatus.NO_SOLUTION


def _best_bound(problem: pulp.LpProblem, stats: object, objective: float | None) -> float | None:
    """The solver's bound on the optimum, in the problem's own sense and units.

    PuLP 4 reports it; with PuLP 3 the in-process HiGHS model is asked for its relative gap (HiGHS
    minimises the negated objective of a maximisation, so its dual bound has the other sign).
    """
    bound = getattr(stats, "best_bound", None)
    model = getattr(problem, "solverModel", None)
    if bound is None and model is not None and hasattr(model, "getInfo") and objective is not None:
        gap = model.getInfo().mip_gap if problem.isMIP() else 0.0
        gap = gap if 0 <= gap < float("inf") else 0.0
        direction = 1.0 if problem.sense == pulp.LpMaximize else -1.0
        bound = objective + direction * gap * abs(objective)
    if bound is None or abs(bound) == float("inf"):
        return None
    return float(bound)


def relaxed_duals(problem: pulp.LpProblem, config: SolverConfig, names: list[str]) -> tuple[float | None, list[float]]:
    """Drop integrality from a problem (solved or not), solve that LP, and return its objective and
    the shadow prices of the named `<=` constraints of a maximisation (0 or more; NaN without an LP
    optimum or for an unknown name).

    A problem HiGHS has just solved is re-run in place, without building it again. Solvers report
    duals with different signs (PuLP 3's HiGHS negates them), so the magnitude is taken.
    """
    highs = getattr(problem, "solverModel", None)
    if hasattr(highs, "changeColsIntegrality"):
        import highspy  # a solved in-process HiGHS model exists

        columns = highs.getNumCol()
        highs.changeColsIntegrality(columns, np.arange(columns, dtype=np.int32), np.zeros(columns, dtype=np.uint8))
        highs.run()
        if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None, [float("nan")] * len(names)
        row_duals = highs.getSolution().row_dual
        objective = highs.getInfo().objective_function_value * (-1.0 if problem.sense == pulp.LpMaximize else 1.0)
        rows = [_constraint(problem, name) for name in names]
        return objective, [float("nan") if row is None else abs(float(row_duals[row.index])) for row in rows]
    for var in problem.variables():
        var.cat = pulp.LpContinuous
    solved = solve(problem, config)
    if not solved.status.has_plan:
        return None, [float("nan")] * len(names)
    rows = [_constraint(problem, name) for name in names]
    return solved.objective, [float("nan") if row is None or row.pi is None else abs(float(row.pi)) for row in rows]


def _constraint(problem: pulp.LpProblem, name: str) -> pulp.LpConstraint | None:
    if hasattr(problem, "get_constraint_by_name"):
        return problem.get_constraint_by_name(name)
    return problem.constraints.get(name)
