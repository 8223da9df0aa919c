"""The solver adapter: public APIs only, one module that knows solver versions, and HiGHS and CBC agreeing."""

from __future__ import annotations

import ast
import dataclasses
import importlib
from pathlib import Path

import pulp
import pytest

from planner.config import SolverConfig

solve_module = importlib.import_module("planner.optimize.solve")  # the package re-exports a function named solve
solve, relaxed_duals, SolveStatus = solve_module.solve, solve_module.relaxed_duals, solve_module.SolveStatus

SOLVE_PY = Path(solve_module.__file__)
PACKAGE = SOLVE_PY.parents[1]
EXACT = SolverConfig(mip_gap=0.0)
SOLVERS = ["highs", "cbc"]


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def test_solve_touches_no_private_attribute_and_overrides_no_pulp_hook() -> None:
    """PuLP 4 moved its model into a Rust core: `lp._constraints`, `var.index` set by the solver and
    the hooks of PuLP's solver classes are exactly what breaks at an upgrade."""
    tree = ast.parse(SOLVE_PY.read_text(encoding="utf-8"))
    attributes = [f"line {n.lineno}: .{n.attr}" for n in ast.walk(tree) if isinstance(n, ast.Attribute) and is_private(n.attr)]
    by_name = [
        f"line {n.lineno}: {n.func.id}(..., {n.args[1].value!r})" for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in {"getattr", "setattr", "hasattr", "delattr"}
        and len(n.args) > 1 and isinstance(n.args[1], ast.Constant) and is_private(str(n.args[1].value))
    ]
    subclasses = [f"line {n.lineno}: class {n.name}({ast.unparse(base)})" for n in ast.walk(tree) if isinstance(n, ast.ClassDef)
                  for base in n.bases if "pulp" in ast.unparse(base)]
    assert attributes + by_name + subclasses == []


def test_only_solve_py_imports_highspy_or_reads_pulp_versions() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == SOLVE_PY:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                found += [f"{path.name}:{node.lineno} imports {name}" for name in names if name.split(".")[0] == "highspy"]
            elif isinstance(node, ast.Attribute) and node.attr in {"__version__", "LpSolveStatus", "sol_status", "solverModel"}:
                found.append(f"{path.name}:{node.lineno} reads .{node.attr}")
    assert found == []


def knapsack(constant: float = 0.0) -> tuple[pulp.LpProblem, list[pulp.LpVariable]]:
    """max sum value x + constant, weights <= 10, at most 3 items, x binary (optimum 21 + constant)."""
    values, weights = [10, 13, 7, 8, 4, 6], [5, 6, 3, 4, 2, 3]
    problem = pulp.LpProblem("knapsack", pulp.LpMaximize)
    x = [problem.add_variable(f"x_{i}", 0, 1, pulp.LpBinary) for i in range(len(values))]
    problem += pulp.lpSum(v * xi for v, xi in zip(values, x, strict=True)) + constant
    problem += pulp.lpSum(w * xi for w, xi in zip(weights, x, strict=True)) <= 10, "weight"
    problem += pulp.lpSum(x) <= 3, "count"
    return problem, x


@pytest.mark.parametrize("constant", [0.0, 100.0])
def test_highs_and_cbc_give_the_same_objective_on_a_small_milp(constant: float) -> None:
    results = {}
    for name in SOLVERS:
        problem, x = knapsack(constant)
        result = solve(problem, dataclasses.replace(EXACT, name=name))
        chosen = [round(xi.varValue) for xi in x]
        assert result.status == SolveStatus.OPTIMAL
        assert sum(w * c for w, c in zip([5, 6, 3, 4, 2, 3], chosen, strict=True)) <= 10
        assert result.objective == pytest.approx(pulp.value(problem.objective), abs=1e-9)
        assert result.best_bound == pytest.approx(result.objective, abs=1e-6)  # gap 0 asked
        results[name] = result.objective
    assert results["highs"] == pytest.approx(21.0 + constant, abs=1e-6)
    assert results["cbc"] == pytest.approx(results["highs"], abs=1e-6)


@pytest.mark.parametrize("name", SOLVERS)
def test_infeasible_and_unbounded_are_reported_not_raised(name: str) -> None:
    config = dataclasses.replace(EXACT, name=name)
    infeasible, x = knapsack()
    infeasible += pulp.lpSum(x) >= 5, "too_many"
    result = solve(infeasible, config)
    assert (result.status, result.objective, result.best_bound, result.mip_gap) == (SolveStatus.INFEASIBLE, None, None, None)
    unbounded = pulp.LpProblem("unbounded", pulp.LpMaximize)
    y = unbounded.add_variable("y", 0, None)
    unbounded += y
    unbounded += y >= 1, "floor"
    assert solve(unbounded, config).status == SolveStatus.UNBOUNDED


@pytest.mark.parametrize("name", SOLVERS)
def test_lp_values_and_duals_come_back_into_the_pulp_objects(name: str) -> None:
    """max 3a + 2b, a + b <= 4, a + 3b <= 7, a <= 3: a = 3, b = 1, duals 2 (first row) and 0 (slack)."""
    problem = pulp.LpProblem("lp", pulp.LpMaximize)
    a, b = problem.add_variable("a", 0, 3), problem.add_variable("b", 0, None)
    problem += 3 * a + 2 * b
    problem += a + b <= 4, "first"
    problem += a + 3 * b <= 7, "second"
    result = solve(problem, dataclasses.replace(EXACT, name=name))
    assert (result.status, result.objective) == (SolveStatus.OPTIMAL, pytest.approx(11.0))
    if name == "highs":  # an LP optimum is its own bound (PuLP 3 reads no bound back from CBC for an LP)
        assert result.mip_gap == pytest.approx(0.0)
    assert (a.varValue, b.varValue) == (pytest.approx(3.0), pytest.approx(1.0))
    duals = [problem.get_constraint_by_name(row).pi for row in ("first", "second")]
    assert duals == [pytest.approx(2.0), pytest.approx(0.0, abs=1e-9)]  # d objective / d rhs, in the problem's sense


@pytest.mark.parametrize("name", SOLVERS)
def test_relaxed_duals_in_place_and_from_scratch_agree_and_keep_the_problem_integer(name: str) -> None:
    """The LP relaxation of the knapsack (optimum 22): the weight row prices 2 EUR per unit (a finite difference agrees)."""
    config = dataclasses.replace(EXACT, name=name)
    solved, _x = knapsack()
    assert solve(solved, config).status == SolveStatus.OPTIMAL
    in_place = relaxed_duals(solved, config, ["weight", "count", "no_such_row"])
    fresh_problem, x = knapsack()
    fresh = relaxed_duals(fresh_problem, config, ["weight", "count", "no_such_row"])
    for objective, duals in (in_place, fresh):
        assert objective is not None
        assert duals[:2] == [pytest.approx(d, abs=1e-6) for d in fresh[1][:2]]
        assert duals[2] != duals[2]  # NaN for an unknown name
        assert duals[0] == pytest.approx(2.0, abs=1e-6)  # signed: more weight allowed earns more
    assert in_place[0] == pytest.approx(fresh[0], abs=1e-6)
    assert {xi.cat for xi in x} == {pulp.LpInteger}


def test_warm_start_keeps_the_optimum() -> None:
    """A start (here a poor one: nothing chosen) is handed to HiGHS and does not change the optimum."""
    problem, x = knapsack()
    for xi in x:
        xi.setInitialValue(0)
    result = solve(problem, EXACT, warm_start=True)
    assert (result.status, result.objective) == (SolveStatus.OPTIMAL, pytest.approx(21.0))
