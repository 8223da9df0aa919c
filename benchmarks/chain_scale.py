"""Plan a generated chain and print timings, peak memory and quality against baselines.

    python benchmarks/chain_scale.py --stores 30 --products 3000 --solvers highs,cbc

Prints, for the same chain in the same run: read / profile / plan times per solver (the plan run
includes the uniform baseline and the shadow prices), the objective and MIP gap of each, the
uplift over today's assortment, the best uniform assortment and the greedy ranking (all valued
the same way), and the time of store what-if re-plans (shelf -10 %, budget +10 %, a product
forced in) with the core fixed.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from planner import PlanConfig, build_profiles, load_chain, plan_assortment
from planner.examples import write_synthetic_chain
from planner.optimize import replan_store
from planner.optimize.inputs import Substitutes


def peak_mib() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=int, default=30)
    parser.add_argument("--products", type=int, default=3000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--solvers", default="highs,cbc")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--what-if-stores", type=int, default=3, help="stores re-planned for the what-if timing")
    parser.add_argument("--no-substitution", action="store_true", help="plan without demand transfer (for comparison)")
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
        substitutes = Substitutes.configured(profiles.substitution.pairs, profiles.substitution.transfer_rate,
                                             config.substitution)
        print(f"substitution: transfer rate {profiles.substitution.transfer_rate:.2f} ({profiles.substitution.source})"
              + (", left out (--no-substitution)" if args.no_substitution else ""))
        if args.no_substitution:
            substitutes = None
        results = {}
        for solver in args.solvers.split(","):
            mark = time.perf_counter()
            result = plan_assortment(profiles.pairs, chain.stores, chain.products, config.with_solver(solver),
                                     substitutes=substitutes, overrides=chain.overrides, progress=say)
            total = time.perf_counter() - mark
            results[solver] = result
            print(f"{solver:6s} plan + baselines + shadow prices {total:8.2f} s (MILP solve {result.solve.seconds:.2f} s), "
                  f"status {result.solve.status}, objective EUR {result.solve.objective:,.2f}/week, gap {100 * (result.solve.mip_gap or 0):.3f} %, "
                  f"{result.model_size['variables']} variables, {result.model_size['constraints']} constraints")
        result = results[args.solvers.split(",")[0]]
        print(f"expected profit EUR {result.value.profit:,.2f}/week; same run, valued the same way:")
        for name, baseline in result.baselines.items():
            print(f"  vs {name:8s} EUR {baseline.profit:12,.2f}/week: uplift EUR {result.uplift(name):+,.2f} "
                  f"({100 * result.uplift(name) / abs(baseline.profit):+.2f} %)")
        times = []
        for store in list(chain.store_ids)[: args.what_if_stores]:
            row = result.stores.set_index("store_id").loc[store]
            outside = result.plan.loc[result.plan["store_id"] != store, "sku"].iloc[0]
            for change in ({"shelf_capacity": 0.9 * row["shelf_capacity"]}, {"inventory_budget": 1.1 * row["inventory_budget"]},
                           {"force_in": [outside]}):
                mark = time.perf_counter()
                what_if = replan_store(result, store, **change)
                times.append(time.perf_counter() - mark)
                say(f"what-if {store} {change}: {what_if.profit_change:+,.2f} EUR/week in {times[-1]:.2f} s")
        print(f"store what-if ({args.products} products, core fixed): {len(times)} re-plans, "
              f"median {statistics.median(times):.2f} s, max {max(times):.2f} s")
        print(f"peak memory {peak_mib():,.0f} MiB")


if __name__ == "__main__":
    main()
