"""Solver choice, options and status reading: the only file that knows which solver versions run.

HiGHS (the default) runs in process through highspy's public API. The model is read through PuLP's public API
(`LpProblem.variables()`, `constraints()`, `objective`, `sense`; each variable's bounds and `cat`, each expression's
`keys()`, `values()` and `constant`, each constraint's `getLb()` and `getUb()`), handed to HiGHS in a few array calls,
and the values are written back through `LpVariable.varValue` and `LpConstraint.pi`. Status and bound come from
highspy's model status and `getInfo()`, so no PuLP solver class (and none of its hooks) is involved. CBC runs
through PuLP's public `COIN_CMD` class.

Checked with PuLP 3.3.2 and highspy 1.16.0 (HiGHS 1.16.0). Needs PuLP 3.3.1 or later, for `constraints()` as a list
and `get_constraint_by_name`. Everything read here keeps its name in PuLP 4 (how_to_migrate_to_v4); not yet run there. The one section that branches on the PuLP version (`PULP_4`, below) covers
building an expression from a term list, and reading CBC's outcome: PuLP 3.3 returns an int from solve() and keeps
`status`/`sol_status` on the problem, PuLP 4 returns an LpSolveStats with `status`, `has_solution` and `best_bound`. CBC is
`COIN_CMD` in both (PuLP 3 runs its bundled binary through it); its LP relaxation sets `LpVariable.cat`, which PuLP 4 allows
from 4.2. Nothing here branches on the highspy version.
"""

from __future__ import annotations

import enum
import math
import os
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import highspy
import numpy as np
import pulp

from planner.config import SolverConfig
from planner.errors import SolverError

GAP_SHARE = 0.9  # solvers measure the gap against slightly different denominators: ask for a little less


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
    fallback_stores: tuple[str, ...] = ()  # chain plans: stores on their greedy plan, no MILP plan in their time budget


# --- PuLP 3 / 4: the one place that branches on the PuLP version -------------------------------

PULP_4 = hasattr(pulp, "LpSolveStatus")  # 4.x: solve() returns LpSolveStats, expressions come from from_list


class _SolveStats(Protocol):
    """PuLP 4's LpSolveStats, the part read here (PuLP 3's solve() returns the status code instead)."""

    status: int  # an LpStatus code
    has_solution: bool


def linear_expression(terms: Iterable[tuple[pulp.LpVariable, float]]) -> pulp.LpAffineExpression:
    """sum of coefficient x variable, built in one step (fast for tens of thousands of terms).

    A variable may appear more than once: its coefficients are added, as PuLP's constructor would
    keep only the last one.
    """
    summed: dict[pulp.LpVariable, float] = {}
    for var, coefficient in terms:
        summed[var] = summed.get(var, 0.0) + coefficient
    if PULP_4:
        return pulp.LpAffineExpression.from_list(list(summed.items()))
    return pulp.LpAffineExpression(list(summed.items()))


def _cbc_outcome(problem: pulp.LpProblem, returned: int | _SolveStats) -> tuple[SolveStatus, float | None]:
    """CBC's status and, where PuLP reports it (4.x), its bound on the optimum."""
    if PULP_4 and not isinstance(returned, int):  # solve() returned an LpSolveStats
        code, bound = int(returned.status), _finite(getattr(returned, "best_bound", None))
        if returned.has_solution:
            return (SolveStatus.OPTIMAL if code == 1 else SolveStatus.FEASIBLE), bound
    else:  # status and sol_status live on the problem
        code, bound = problem.status, None
        if problem.sol_status == pulp.LpSolutionOptimal:
            return SolveStatus.OPTIMAL, bound
        if problem.sol_status == pulp.LpSolutionIntegerFeasible:
            return SolveStatus.FEASIBLE, bound
    return {-1: SolveStatus.INFEASIBLE, -2: SolveStatus.UNBOUNDED}.get(code, SolveStatus.NO_SOLUTION), bound


def _cbc_needs_lp_bound(problem: pulp.LpProblem) -> bool:
    """PuLP 3 reads no bound back from CBC: its gap is then measured against the root LP relaxation."""
    return not PULP_4 and bool(problem.isMIP())


def _bundled_cbc_path() -> str | None:
    """PuLP 3 ships a CBC binary (its deprecated PULP_CBC_CMD runs it); COIN_CMD can run it directly."""
    coin_api = getattr(pulp.apis, "coin_api", None)
    path = getattr(coin_api, "pulp_cbc_path", None)
    return path if path and Path(path).exists() else None


# --- solving ------------------------------------------------------------------------------------


def solve(problem: pulp.LpProblem, config: SolverConfig, *, warm_start: bool = False) -> SolveResult:
    """Solve `problem` and map the outcome to a SolveResult (never raises on infeasibility).

    With `warm_start` the variables' current values are handed to the solver as a first plan.
    """
    started = time.perf_counter()
    if _uses_highs(config):
        status, objective, bound = _solve_highs(problem, config, warm_start=warm_start)
    else:
        status, objective, bound = _solve_cbc(problem, config, warm_start=warm_start)
    seconds = time.perf_counter() - started
    gap = None
    if objective is not None and bound is not None:
        gap = max(0.0, abs(bound - objective)) / max(abs(objective), 1e-9)
    return SolveResult(config.name.lower(), status, objective, bound, gap, seconds)


def _uses_highs(config: SolverConfig) -> bool:
    """True for HiGHS through highspy, False for CBC; a SolverError when the configured solver cannot run."""
    name = config.name.lower()
    if name == "highs":  # highspy is a dependency
        return True
    available = pulp.listSolvers(onlyAvailable=True)
    if name == "cbc" and ("COIN_CMD" in available or _bundled_cbc_path()):
        return False
    msg_text = (f"solver '{config.name}' is not available; PuLP finds: {', '.join(available) or 'none'}. "
                "Install highspy (pip install highspy) or set [solver] name in planning.toml")
    raise SolverError(msg_text)


def _objective(problem: pulp.LpProblem, status: SolveStatus) -> float | None:
    """The objective of the plan the variables now hold (EUR / week), None without a plan."""
    if not status.has_plan:
        return None
    objective = pulp.value(problem.objective)
    return 0.0 if objective is None else float(objective)


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


# --- HiGHS through highspy -------------------------------------------------------------------------

# HiGHS stopped early; with a plan in hand that plan is feasible, not proven
_STOPPED = ("kTimeLimit", "kIterationLimit", "kInterrupt", "kObjectiveBound", "kObjectiveTarget")
_HIGHS_STATUS = {"kOptimal": SolveStatus.OPTIMAL, "kInfeasible": SolveStatus.INFEASIBLE,
                 "kUnboundedOrInfeasible": SolveStatus.INFEASIBLE, "kUnbounded": SolveStatus.UNBOUNDED}


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


def _solve_highs(problem: pulp.LpProblem, config: SolverConfig, *, warm_start: bool) -> tuple[SolveStatus, float | None, float | None]:
    """Status, objective and bound of `problem` solved by HiGHS; the values go back into its variables.

    The HiGHS model stays in `problem.solverModel` (PuLP's attribute for an in-process solver's
    model), so `relaxed_duals` can re-run it without building it again.
    """
    highs = _new_highs(config)
    variables, constraints, is_mip = _pass_model(highs, problem, integer=True, warm_start=warm_start)
    highs.run()
    problem.solverModel = highs
    status = _read_back(highs, problem, variables, constraints)
    objective = _objective(problem, status)
    if objective is None:
        return status, None, None
    if not is_mip:
        return status, objective, objective  # an LP optimum is its own bound
    return status, objective, _finite(_highs_sign(problem) * highs.getInfo().mip_dual_bound)


def _new_highs(config: SolverConfig) -> highspy.Highs:
    """A silent HiGHS with the configured time limit and MIP gap; threads are left to HiGHS."""
    with silenced_stdout(True):  # highspy >= 1.16 prints a banner when the first Highs() is made
        highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("mip_rel_gap", GAP_SHARE * config.mip_gap)
    highs.setOptionValue("time_limit", float(config.time_limit_seconds))
    return highs


def _pass_model(highs: highspy.Highs, problem: pulp.LpProblem, *, integer: bool,
                warm_start: bool) -> tuple[list[pulp.LpVariable], list[pulp.LpConstraint], bool]:
    """Columns, objective (its constant included, so HiGHS's gap is the planner's), rows, integrality
    (unless not `integer`) and optionally the variables' current values as a start, each in one call.

    Returns the variables in column order, the constraints in row order, and whether integer columns exist.
    """
    variables, constraints = problem.variables(), problem.constraints()
    column = {variable: i for i, variable in enumerate(variables)}
    sign = _highs_sign(problem)
    cost, offset = np.zeros(len(variables)), 0.0
    if problem.objective is not None:
        objective = problem.objective
        columns, coefficients = _terms(list(objective.keys()), list(objective.values()), column)
        cost[columns] = sign * coefficients
        offset = sign * (problem.objective.constant or 0.0)
    lower = np.array([-np.inf if var.lowBound is None else var.lowBound for var in variables], dtype=float)
    upper = np.array([np.inf if var.upBound is None else var.upBound for var in variables], dtype=float)
    none = np.zeros(0, np.int32)
    highs.addCols(len(variables), cost, lower, upper, 0, none, none, np.zeros(0))
    highs.changeObjectiveOffset(offset)
    highs.addRows(len(constraints), *_rows(constraints, column))
    integers = np.array([j for j, var in enumerate(variables) if var.cat == pulp.LpInteger], dtype=np.int32)
    if integer and len(integers):
        kinds = np.full(len(integers), int(highspy.HighsVarType.kInteger), dtype=np.uint8)
        highs.changeColsIntegrality(len(integers), integers, kinds)
    if warm_start:
        start = np.array([var.varValue or 0.0 for var in variables], dtype=float)
        highs.setSolution(len(variables), np.arange(len(variables), dtype=np.int32), start)
    return variables, constraints, bool(integer and len(integers))


def _terms(variables: list[pulp.LpVariable], coefficients: list[float],
           column: dict[pulp.LpVariable, int]) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and coefficients of an expression's terms, as two arrays."""
    columns = np.fromiter(map(column.__getitem__, variables), dtype=np.int32, count=len(variables))
    return columns, np.array(coefficients, dtype=float)


def _rows(constraints: list[pulp.LpConstraint], column: dict[pulp.LpVariable, int]) -> tuple:
    """addRows' arguments after the row count: row bounds, then the nonzeros row by row (CSR).

    The terms are gathered with keys() and values(), not items(): no pair objects are made, so the
    garbage collector stays idle on a model of hundreds of thousands of nonzeros.
    """
    variables, coefficients, lengths, row_lower, row_upper = [], [], [], [], []
    for constraint in constraints:
        variables.extend(constraint.keys())
        coefficients.extend(constraint.values())
        lengths.append(len(constraint))
        lb, ub = constraint.getLb(), constraint.getUb()
        row_lower.append(-np.inf if lb is None else lb)
        row_upper.append(np.inf if ub is None else ub)
    columns, values = _terms(variables, coefficients, column)
    nonzero = values != 0
    per_row = np.bincount(np.repeat(np.arange(len(constraints)), lengths)[nonzero], minlength=len(constraints))
    starts = np.concatenate(([0], np.cumsum(per_row)[:-1])).astype(np.int32)
    return (np.array(row_lower, dtype=float), np.array(row_upper, dtype=float), int(nonzero.sum()),
            starts, columns[nonzero], values[nonzero])


def _highs_sign(problem: pulp.LpProblem) -> float:
    """-1 for a maximisation (HiGHS is given its negated objective, so its objective, bound and duals
    change sign on the way back), 1 for a minimisation."""
    return -1.0 if problem.sense == pulp.LpMaximize else 1.0


def _read_back(highs: highspy.Highs, problem: pulp.LpProblem, variables: list[pulp.LpVariable],
               constraints: list[pulp.LpConstraint]) -> SolveStatus:
    """Variable values and row duals (LP only) from HiGHS into the PuLP objects, and the status.

    A dual is d(objective) / d(right-hand side) in the problem's own sense, as CBC reports it:
    HiGHS minimised the negated objective of a maximisation, so its duals change sign."""
    status, solution = highs.getModelStatus(), highs.getSolution()
    if solution.value_valid:
        for var, value in zip(variables, solution.col_value, strict=True):
            var.varValue = value
        sign = _highs_sign(problem)
        duals = [sign * d for d in solution.row_dual] if solution.dual_valid else [None] * len(constraints)
        for constraint, dual in zip(constraints, duals, strict=True):
            constraint.pi = dual
    name = status.name
    if name in _HIGHS_STATUS:
        return _HIGHS_STATUS[name]
    if name in _STOPPED and solution.value_valid:
        return SolveStatus.FEASIBLE
    return SolveStatus.NO_SOLUTION


# --- CBC through PuLP -------------------------------------------------------------------------------


def _solve_cbc(problem: pulp.LpProblem, config: SolverConfig, *, warm_start: bool) -> tuple[SolveStatus, float | None, float | None]:
    """Status, objective and bound of `problem` solved by PuLP's COIN_CMD."""
    solver = _cbc_solver(config, warm_start=warm_start)
    needs_lp_bound = _cbc_needs_lp_bound(problem)
    lp_bound = _lp_relaxation_bound(problem, solver) if needs_lp_bound else None
    status, bound = _cbc_outcome(problem, _run(problem, solver, config.name))
    objective = _objective(problem, status)
    if needs_lp_bound:
        bound = lp_bound
        if status == SolveStatus.OPTIMAL and lp_bound is not None and objective is not None:
            # the solver proved the plan within its gap tolerance: that proof is a bound too
            direction = 1.0 if problem.sense == pulp.LpMaximize else -1.0
            proven = objective + direction * GAP_SHARE * config.mip_gap * abs(objective)
            bound = min(lp_bound, proven) if direction > 0 else max(lp_bound, proven)
    return status, objective, bound


def _cbc_solver(config: SolverConfig, *, warm_start: bool) -> pulp.LpSolver:
    """PuLP's COIN_CMD with the configured time limit and gap; PuLP 3's bundled binary when no other is found."""
    options = {"msg": False, "timeLimit": config.time_limit_seconds, "gapRel": GAP_SHARE * config.mip_gap}
    if "COIN_CMD" in pulp.listSolvers(onlyAvailable=True):
        return pulp.getSolver("COIN_CMD", warmStart=warm_start, **options)
    return pulp.COIN_CMD(path=_bundled_cbc_path(), warmStart=warm_start, **options)


def _run(problem: pulp.LpProblem, solver: pulp.LpSolver, name: str) -> int | _SolveStats:
    try:
        return problem.solve(solver)
    except pulp.PulpSolverError as exc:
        msg = f"solver {name} failed: {exc}"
        raise SolverError(msg) from exc


@contextmanager
def _continuous(problem: pulp.LpProblem) -> Iterator[None]:
    """While active, every integer variable of `problem` is continuous (the LP relaxation)."""
    integer_vars = [v for v in problem.variables() if v.cat != pulp.LpContinuous]
    for var in integer_vars:
        var.cat = pulp.LpContinuous
    try:
        yield
    finally:
        for var in integer_vars:
            var.cat = pulp.LpInteger


def _lp_relaxation_bound(problem: pulp.LpProblem, solver: pulp.LpSolver) -> float | None:
    """Solve the LP relaxation (integrality dropped) for a bound, when the MIP solver reports none."""
    with _continuous(problem):
        status, _bound = _cbc_outcome(problem, _run(problem, solver, "LP relaxation"))
        return float(pulp.value(problem.objective) or 0.0) if status == SolveStatus.OPTIMAL else None


# --- LP duals ---------------------------------------------------------------------------------------


def relaxed_duals(problem: pulp.LpProblem, config: SolverConfig, names: list[str]) -> tuple[float | None, list[float]]:
    """Solve the LP relaxation of a problem (solved or not) and return its objective and the shadow
    prices (d objective / d right-hand side) of the named constraints; NaN without an LP optimum or
    for an unknown name. For a `<=` row of a maximisation they are 0 or more.

    With HiGHS, a problem HiGHS has just solved is re-run in place, without building it again, and
    the problem's variables keep their values.
    """
    if not _uses_highs(config):
        with _continuous(problem):
            solved = solve(problem, config)
        if not solved.status.has_plan:
            return None, [float("nan")] * len(names)
        rows = [problem.get_constraint_by_name(name) for name in names]
        return solved.objective, [float("nan") if row is None or row.pi is None else float(row.pi) for row in rows]
    constraints = problem.constraints()
    highs = getattr(problem, "solverModel", None)
    if isinstance(highs, highspy.Highs) and highs.getNumRow() == len(constraints):
        columns = highs.getNumCol()
        highs.changeColsIntegrality(columns, np.arange(columns, dtype=np.int32), np.zeros(columns, dtype=np.uint8))
    else:
        highs = _new_highs(config)
        _pass_model(highs, problem, integer=False, warm_start=False)
    highs.setOptionValue("time_limit", math.inf)  # not the MILP's budget (its clock runs on): a bound and duals are always wanted
    highs.run()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None, [float("nan")] * len(names)
    row_duals = highs.getSolution().row_dual
    sign = _highs_sign(problem)
    objective = highs.getInfo().objective_function_value * sign
    row_of = {constraint.name: i for i, constraint in enumerate(constraints)}
    return objective, [sign * float(row_duals[row_of[name]]) if name in row_of else float("nan") for name in names]
