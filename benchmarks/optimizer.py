"""Plan a generated chain with substitution, per solver, and compare with the baselines of the same run.

    python benchmarks/optimizer.py --stores 30 --products 5000 --solver highs,cbc --json out.json
    python benchmarks/optimizer.py --stores 30 --products 3000 --solver highs --what-if 20
    python benchmarks/optimizer.py --stores 20 --products 2000 --solver highs --workers 1,2
    python benchmarks/optimizer.py --scaling 30x5000,100x5000,100x10000,300x10000

The chain (POS history, product and store masters) comes from planner.examples, goes through the
real profiles (substitutes included) once, and is then planned by each solver (and, with --workers,
each count of store worker processes) in a fresh child process, so peak memory is that solver's own
(the store workers' memory not included). Per run it prints and writes (--json):

    build_s           candidates, substitution links and limits (optimize.inputs)
    solve_s           the plan: every store model built and solved, core repaired, bound proven
    status            optimal = within [solver] mip_gap of the bound
    objective         EUR / week: expected profit minus the change penalty (the MILP objective)
    lp_bound          the best bound on that objective (sum of store bounds, or the chain MILP's)
    gap               (lp_bound - objective) / objective
    profit            EUR / week the plan earns (no penalty): what the baselines are compared on
    greedy_objective  EUR / week the greedy ranking earns, valued the same way
    uniform_objective EUR / week one chain-wide ranking earns (each store down to what fits), valued the same way
    baselines_s       time to value today's assortment (trimmed to the limits), the uniform and the greedy baselines
    transition_s      time to pace the changes into weekly steps (one small MILP per store and week)
    weeks_to_target   weeks the busiest store needs at [stability] max_changes_per_store_per_week (default 20)
    peak_mib          peak resident memory of the child process
    what_if_median_s  with --what-if N: median of N store re-plans with the core fixed

--scaling prints a table instead (scaling.py): for each stores x products size the plan (build and
solve, no baselines) serially, in one worker process per core, and on a Dask LocalCluster of one
single-thread worker process per core, with the gap, the peak memory and the speed-ups.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import pickle
import resource
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from planner import PlanConfig, PlanningProblem, build_profiles, load_chain, plan_assortment
from planner.config import SolverConfig
from planner.examples import write_synthetic_chain
from planner.optimize import replan_store
from planner.optimize.inputs import Substitutes

COLUMNS = ["build_s", "solve_s", "status", "objective", "lp_bound", "gap", "profit", "greedy_objective",
           "uniform_objective", "baselines_s", "transition_s", "weeks_to_target", "peak_mib", "what_if_median_s"]


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def generate(folder: Path, stores: int, products: int, weeks: int, seed: int) -> Path:
    """Write the chain, build its profiles once and pickle what the planner needs."""
    started = time.perf_counter()
    data = write_synthetic_chain(folder / "chain", n_stores=stores, n_products=products, n_weeks=weeks, seed=seed)
    config = PlanConfig()
    chain = load_chain(data, config)
    profiles = build_profiles(chain, config)
    substitutes = Substitutes.configured(profiles.substitution.pairs, profiles.substitution.transfer_rate, config.substitution)
    path = folder / "inputs.pickle"
    path.write_bytes(pickle.dumps((profiles.pairs, chain.stores, chain.products, substitutes, chain.overrides)))
    say(f"generated {stores} stores x {products} products x {weeks} weeks and their profiles in {time.perf_counter() - started:.1f} s "
        f"({len(profiles.substitution.pairs):,} substitute pairs, transfer rate {substitutes.transfer_rate:.2f})")
    return path


def reset_peak_memory() -> None:
    """Start this process's peak-memory count afresh (Linux); a child otherwise inherits its parent's."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_mib() -> float:
    """Peak resident memory since the last reset, in MiB (VmHWM; ru_maxrss where /proc is missing)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))) / 1024


def plan_once(path: Path, solver: str, time_limit: float, what_if: int, workers: int) -> dict[str, Any]:
    """Plan the pickled chain with one solver and `workers` store workers (runs in a child process) and measure it."""
    reset_peak_memory()
    profiles, stores, products, substitutes, overrides = pickle.loads(path.read_bytes())
    config = PlanConfig(solver=SolverConfig(name=solver, time_limit_seconds=time_limit, workers=workers))
    result = plan_assortment(PlanningProblem(profiles, stores, products, config, substitutes=substitutes, overrides=overrides),
                             progress=lambda text: say(f"[{solver}] {text}"))
    row = {
        "build_s": result.timings["inputs"],
        "solve_s": result.timings["plan"],
        "status": str(result.solve.status),
        "objective": result.solve.objective,
        "lp_bound": result.solve.best_bound,
        "gap": result.solve.mip_gap,
        "profit": result.value.profit,
        "greedy_objective": result.baselines["greedy"].profit,
        "uniform_objective": result.baselines["uniform"].profit,
        "baselines_s": result.timings["baselines"],
        "transition_s": result.timings["transition"],
        "weeks_to_target": int(result.weeks_to_target.max()),
        "method": result.model_size["method"],
        "candidates": result.model_size["candidates"],
        "substitution_links": result.model_size["substitution_links"],
    }
    if what_if:
        row["what_if_median_s"] = time_what_ifs(result, what_if)
    row["peak_mib"] = peak_mib()
    return row


def time_what_ifs(result: Any, calls: int) -> float:
    """Median seconds of `calls` store re-plans: shelf -10 %, budget +10 % and a product forced in, in turn."""
    store = str(result.stores["store_id"].iloc[0])
    row = result.stores.set_index("store_id").loc[store]
    outside = sorted(set(result.inputs.pairs.xs(store, level="store_id").index)
                     - set(result.plan.loc[result.plan["store_id"] == store, "sku"]))
    changes = [{"shelf_capacity": 0.9 * row["shelf_capacity"]}, {"inventory_budget": 1.1 * row["inventory_budget"]}]
    times = []
    for call in range(calls):
        change = changes[call % 2] if call % 3 or not outside else {"force_in": [outside[call % len(outside)]]}
        mark = time.perf_counter()
        replan_store(result.basis, store, **change)
        times.append(time.perf_counter() - mark)
    say(f"what-if: {calls} re-plans of {store}, median {statistics.median(times):.3f} s, max {max(times):.3f} s")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=int, default=30)
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--weeks", type=int, default=26, help="weeks of generated POS history")
    parser.add_argument("--solver", default="highs,cbc", help="highs, cbc or both (comma-separated)")
    parser.add_argument("--time-limit", type=float, default=600.0, help="[solver] time_limit_seconds for the plan")
    parser.add_argument("--what-if", type=int, default=0, help="time this many store what-if re-plans")
    parser.add_argument("--workers", default="0", help="[solver] workers: 0 = one per core, 1 = serial; several (1,2) compare them")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="write the figures per solver to this file")
    parser.add_argument("--scaling", help="stores x products sizes (30x5000,100x10000): the scaling table (scaling.py) instead")
    parser.add_argument("--serial-up-to", type=int, default=100, help="with --scaling: plan serially up to this many stores")
    args = parser.parse_args()
    if args.scaling:
        from scaling import scaling_table  # here, not at the top: scaling.py imports this file's helpers

        scaling_table(args.scaling, args.weeks, args.seed, args.time_limit, args.serial_up_to, args.json)
        return

    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = generate(Path(tmp), args.stores, args.products, args.weeks, args.seed)
        context = multiprocessing.get_context("spawn")
        counts = [int(count) for count in args.workers.split(",")]
        for solver in args.solver.split(","):
            for workers in counts:
                label = solver if len(counts) == 1 else f"{solver} w={workers}"
                with ProcessPoolExecutor(1, mp_context=context) as pool:  # not a daemon: it may start store workers
                    results[label] = pool.submit(plan_once, path, solver, args.time_limit, args.what_if, workers).result()
    print(f"{args.stores} stores x {args.products} products, {results[next(iter(results))]['substitution_links']:,} substitution links")
    print(f"{'':18s}" + "".join(f"{solver:>16s}" for solver in results))
    for column in COLUMNS:
        cells = [results[solver].get(column) for solver in results]
        print(f"{column:18s}" + "".join(f"{_cell(column, value):>16s}" for value in cells))
    if "highs" in results and "cbc" in results:
        highs, cbc = results["highs"], results["cbc"]
        print(f"CBC / HiGHS time (build + solve): {(cbc['build_s'] + cbc['solve_s']) / (highs['build_s'] + highs['solve_s']):.1f}x")
    for solver in args.solver.split(","):
        serial = results.get(f"{solver} w=1")
        for label, row in results.items():
            if serial is not None and label.startswith(f"{solver} w=") and row is not serial:
                print(f"{label} over {solver} w=1: solve {serial['solve_s'] / row['solve_s']:.2f}x "
                      f"({serial['solve_s']:.1f} s -> {row['solve_s']:.1f} s), same objective: {row['objective'] == serial['objective']}")
    first = results[next(iter(results))]
    for name in ("greedy", "uniform"):
        baseline = first[f"{name}_objective"]
        print(f"plan vs {name}: {first['profit'] - baseline:+,.2f} EUR/week ({100 * (first['profit'] - baseline) / abs(baseline):+.2f} %)")
    if args.json:
        args.json.write_text(json.dumps({"stores": args.stores, "products": args.products, "solvers": results}, indent=2))


def _cell(column: str, value: Any) -> str:
    if value is None:
        return "-"
    if column == "gap":
        return f"{100 * value:.4f} %"
    if column.endswith("_s"):
        return f"{value:.2f} s"
    if column == "peak_mib":
        return f"{value:,.0f} MiB"
    return f"{value:,.2f}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    main()
