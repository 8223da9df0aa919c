"""Plan a generated chain and print timings, peak memory and quality against baselines.

    python benchmarks/chain_scale.py --stores 30 --products 2000 --solvers highs,cbc

Prints, for the same chain in the same run: read / profile / model+solve times per solver, the
objective and MIP gap of each, and the greedy ranking baseline (profit per shelf unit) with its
shortfall against the MILP.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from planner import PlanConfig, build_profiles, load_chain, plan_assortment
from planner.examples import write_synthetic_chain
from planner.optimize.greedy import greedy_objective, greedy_plan
from planner.optimize.inputs import build_model_inputs


def peak_mib() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=int, default=30)
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--solvers", default="highs,cbc")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        folder = write_synthetic_chain(Path(tmp) / "chain", n_stores=args.stores, n_products=args.products,
                                       n_weeks=args.weeks, seed=args.seed)
        say(f"generated {args.stores} stores x {args.products} products x {args.weeks} weeks in {time.perf_counter() - started:.1f} s")
        config = PlanConfig()
        mark = time.perf_counter()
        chain = load_chain(folder, config)
        read_s = time.perf_counter() - mark
        mark = time.perf_counter()
        profiles = build_profiles(chain, config)
        profile_s = time.perf_counter() - mark
        print(f"chain: {args.stores} stores x {args.products} products, {chain.pos_report.counts.lines} POS lines")
        print(f"read   {read_s:8.2f} s")
        print(f"profile{profile_s:8.2f} s")
        objectives = {}
        for solver in args.solvers.split(","):
            mark = time.perf_counter()
            result = plan_assortment(profiles.pairs, chain.stores, chain.products, config.with_solver(solver), progress=say)
            total = time.perf_counter() - mark
            objectives[solver] = result.solve.objective
            print(f"{solver:6s} build+solve {total:8.2f} s (solver {result.solve.seconds:.2f} s), status {result.solve.status}, "
                  f"objective EUR {result.solve.objective:,.2f}/week, gap {100 * (result.solve.mip_gap or 0):.3f} %, "
                  f"{result.model_size['variables']} variables, {result.model_size['constraints']} constraints")
        mark = time.perf_counter()
        inputs = build_model_inputs(chain.stores, profiles.pairs, chain.products.set_index("sku")["shelf_space"], config.assortment)
        greedy = greedy_objective(greedy_plan(inputs), inputs)
        best = max(objectives.values())
        print(f"greedy {time.perf_counter() - mark:8.2f} s, objective EUR {greedy:,.2f}/week, "
              f"{100 * (best - greedy) / best:.2f} % below the MILP")
        print(f"peak memory {peak_mib():,.0f} MiB")


if __name__ == "__main__":
    main()
