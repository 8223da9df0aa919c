"""The decision backtest on every synthetic demand profile and on real data, side by side.

    python benchmarks/decisions.py --profile all                 # every profile + Dominick's orange juice
    python benchmarks/decisions.py --profile lumpy --report      # one profile, with its full tables
    python benchmarks/decisions.py --profile all --no-real --json decisions.json
    python benchmarks/decisions.py --profile all --cards --no-real --planning off.toml   # the same, other settings
    python benchmarks/decisions.py --profile lumpy --cards --no-real   # chains with loyalty-card customers

Each synthetic chain comes from planner.examples.write_synthetic_chain (--stores, --products,
--weeks, --seed) with the named demand profile; --cards writes them with loyalty-card customers
(demand driven by customer segments, card_id and receipt_id on every line; smooth then writes daily
till lines). The real chain is Dominick's Finer Foods chilled orange juice
(benchmarks/real_orange_juice.py, downloaded once from Debian's r-cran-bayesm into --cache). Every
chain is planned as of --cut-weeks weeks before the end of its data with the default configuration
(or the data folder's planning.toml) and scored on the weeks after the cut
(planner.evaluate.decisions). Prints, per chain, the chain row: the plan next to the naive rule,
chance and hindsight, the best sellers dropped, new listings against the chain average, the
forecast against the last-4-weeks mean, and what the plan reported against today.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from planner import PlanConfig, load_chain, load_config
from planner.evaluate.decisions import CHAIN, DecisionBacktest, decision_backtest
from planner.examples import DEMAND_PROFILES, write_synthetic_chain
from planner.outputs.backtest import decision_report

REAL = "orange juice"
ROWS = [  # (label, column of the chain row, format)
    ("AUC plan", "auc_plan", "{:.3f}"),
    ("AUC naive rule", "auc_naive", "{:.3f}"),
    ("realized EUR/wk: plan kept", "profit_plan", "{:,.0f}"),
    ("  naive rule", "profit_naive", "{:,.0f}"),
    ("  random", "profit_random", "{:,.0f}"),
    ("  hindsight", "profit_hindsight", "{:,.0f}"),
    ("plan vs naive", "plan_vs_naive_pct", "{:+.1f} %"),
    ("share of hindsight gain: plan", "capture_plan", "{:.0%}"),
    ("  naive rule", "capture_naive", "{:.0%}"),
    ("kept / carried at cut", "kept_share", "{:.0%}"),
    ("top-20 dropped: plan", "top_dropped_plan", "{:.0f}"),
    ("  naive rule", "top_dropped_naive", "{:.0f}"),
    ("  they earned EUR/wk (plan)", "top_dropped_earned_plan", "{:,.0f}"),
    ("modelled waste EUR/wk, plan kept", "waste_modelled_plan", "{:,.0f}"),
    ("  naive rule", "waste_modelled_naive", "{:,.0f}"),
    ("realized - modelled waste: plan", "net_plan", "{:,.0f}"),
    ("  naive rule", "net_naive", "{:,.0f}"),
    ("simulated waste EUR/wk, plan kept", "waste_simulated_plan", "{:,.0f}"),
    ("  naive rule", "waste_simulated_naive", "{:,.0f}"),
    ("realized - simulated waste: plan", "sim_plan", "{:,.0f}"),
    ("  naive rule", "sim_naive", "{:,.0f}"),
    ("AUC on it: plan", "auc_plan_sim", "{:.3f}"),
    ("  naive rule", "auc_naive_sim", "{:.3f}"),
    ("reported uplift vs today", "reported_uplift_today_pct", "{:+.1f} %"),
    ("new listings scored", "new_pairs", "{:.0f}"),
    ("  WAPE plan estimate", "new_wape", "{:.1%}"),
    ("  WAPE similar stores alone", "new_wape_similar", "{:.1%}"),
    ("  WAPE chain average", "new_wape_chain", "{:.1%}"),
    ("  bias plan estimate", "new_bias", "{:+.1%}"),
    ("  bias chain average", "new_bias_chain", "{:+.1%}"),
    ("forecast WAPE", "forecast_wape", "{:.1%}"),
    ("  last-4-weeks mean", "forecast_wape_last4", "{:.1%}"),
    ("  chain-share estimate", "forecast_wape_chain_share", "{:.1%}"),
    ("stores beating both baselines", "forecast_stores_beating_both", "{:.0%}"),
    ("forecast bias", "forecast_bias", "{:+.1%}"),
    ("seconds", "seconds", "{:.1f}"),
]


def say(text: str) -> None:
    """A progress line on stderr."""
    print(text, file=sys.stderr, flush=True)


def score(folder: Path, cut_weeks: int, name: str) -> DecisionBacktest:
    """Load a chain folder and run the decision backtest with its planning.toml (or the defaults)."""
    config = load_config(folder / "planning.toml") if (folder / "planning.toml").exists() else PlanConfig()
    chain = load_chain(folder, config, progress=lambda text: None)
    return decision_backtest(chain, config, cut_weeks=cut_weeks, progress=lambda text: say(f"[{name}] {text}"))


def orange_juice_chain(cache: Path, folder: Path) -> Path:
    """Dominick's orange juice in the input contract (benchmarks/real_orange_juice.py, next to this file)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import real_orange_juice

    return real_orange_juice.write_orange_juice_chain(real_orange_juice.fetch(cache), folder)


def chain_figures(backtest: DecisionBacktest, seconds: float) -> dict[str, Any]:
    """The chain row plus the derived shares the side-by-side table shows."""
    row = backtest.table.set_index("store_id").loc[CHAIN].to_dict()
    span = row["profit_hindsight"] - row["profit_random"]
    row["capture_plan"] = (row["profit_plan"] - row["profit_random"]) / span if span > 0 else float("nan")
    row["capture_naive"] = (row["profit_naive"] - row["profit_random"]) / span if span > 0 else float("nan")
    row["kept_share"] = row["kept"] / row["products_at_cut"] if row["products_at_cut"] else float("nan")
    stores = backtest.table[backtest.table["store_id"] != CHAIN]
    beating = (stores["forecast_wape"] < stores["forecast_wape_last4"]) & (stores["forecast_wape"] < stores["forecast_wape_chain_share"])
    row["forecast_stores_beating_both"] = float(beating.mean()) if len(stores) else float("nan")
    row["seconds"] = seconds
    return row


def side_by_side(results: dict[str, dict[str, Any]]) -> str:
    """One column per chain, one row per figure."""
    table = pd.DataFrame(
        {name: [("" if pd.isna(row.get(column)) else fmt.format(row[column])) for _label, column, fmt in ROWS]
         for name, row in results.items()},
        index=[label for label, _column, _fmt in ROWS],
    )
    return table.to_string()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="all", help=f"one of {', '.join(DEMAND_PROFILES)}, a comma list, or all")
    parser.add_argument("--stores", type=int, default=6)
    parser.add_argument("--products", type=int, default=150)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cut-weeks", type=int, default=13)
    parser.add_argument("--cards", action="store_true",
                        help="Write the synthetic chains with loyalty-card customers (write_synthetic_chain(cards=True)).")
    parser.add_argument("--planning", type=Path, help="A planning.toml for every synthetic chain (e.g. [customers] walk_away = false).")
    parser.add_argument("--no-real", action="store_true", help="Leave out the orange-juice data.")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "planner-benchmarks",
                        help="Where the orange-juice download is kept.")
    parser.add_argument("--report", action="store_true", help="Also print every chain's full backtest tables.")
    parser.add_argument("--json", type=Path, help="Write the chain rows as JSON.")
    args = parser.parse_args()
    profiles = list(DEMAND_PROFILES) if args.profile == "all" else args.profile.split(",")
    unknown = sorted(set(profiles) - set(DEMAND_PROFILES))
    if unknown:
        parser.error(f"unknown profile(s) {', '.join(unknown)}; known: {', '.join(DEMAND_PROFILES)}")
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="decisions-") as tmp:
        chains = {name: lambda name=name: write_synthetic_chain(
            Path(tmp) / name, n_stores=args.stores, n_products=args.products, n_weeks=args.weeks, seed=args.seed, demand=name,
            cards=args.cards)
            for name in profiles}
        if not args.no_real:
            chains[REAL] = lambda: orange_juice_chain(args.cache, Path(tmp) / "oj")
        for name, write in chains.items():
            say(f"[{name}] writing the chain")
            try:
                folder = write()
            except (OSError, RuntimeError, ImportError) as exc:
                say(f"[{name}] left out: {exc}")
                continue
            if args.planning and name != REAL:
                shutil.copyfile(args.planning, folder / "planning.toml")
            started = time.perf_counter()
            backtest = score(folder, args.cut_weeks, name)
            results[name] = chain_figures(backtest, time.perf_counter() - started)
            if args.report:
                print(f"\n## {name}\n{decision_report(backtest)}\n")
    cards = ("; synthetic chains with loyalty cards" if args.cards else "") + (f"; settings {args.planning.name}" if args.planning else "")
    print(f"Decision backtest, chain rows ({args.stores} stores x {args.products} products x {args.weeks} weeks, seed {args.seed}{cards}; "
          f"cut {args.cut_weeks} weeks before the end; realized = revenue - units x unit cost after the cut, per week)")
    print(side_by_side(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=float))


if __name__ == "__main__":
    main()
