"""Modelled fresh waste against a FIFO shelf-life simulation, on every synthetic demand profile.

    python benchmarks/waste.py [--profile all] [--stores 6 --products 150 --weeks 52 --seed 1]

For each profile a chain is written (planner.examples), profiled with the default configuration,
and every listed fresh store-product pair is put through planner.profiles.shelf.simulate_fifo: its
real daily POS units over the profile's history window (repeated 4 times; the smooth profile's
weekly totals spread over Monday to Saturday at random), ordered up to the model's own order-up-to
level in whole cases every delivery cycle. Prints per profile: the forecast demand, the sales the model
expects at its order-up-to level and those the simulated shelf makes (demand finding an empty shelf is lost), modelled
and simulated waste (units / week, summed over the pairs), their ratio, the share of pairs where the model is within
15 % + 0.5 units a week of the simulation; the same two figures with the model re-run at the
simulated demand's own weekly mean (`*_at_level`: the waste formula without the forecast's error);
and the top quarter of the pairs by units whose modelled
waste exceeds half their sales, next to the number the simulation finds.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from planner import PlanConfig, build_profiles, load_chain
from planner.examples import DEMAND_PROFILES, write_synthetic_chain
from planner.profiles.economics import replenishment
from planner.profiles.shelf import simulate_fifo

REPEATS = 4
TOLERANCE, SLACK = 0.15, 0.5  # within 15 % + 0.5 units / week


def daily_demand(folder: Path, pairs: pd.DataFrame, weeks: pd.DatetimeIndex, seed: int) -> np.ndarray:
    """(pairs x days) units sold per day over `weeks`, from the chain's POS files."""
    lines = pd.concat([pd.read_csv(f, dtype={"store_id": str, "sku": str}) for f in sorted((folder / "pos").rglob("*.csv"))])
    lines["date"] = pd.to_datetime(lines["date"])
    days = pd.date_range(weeks[0], weeks[-1] + pd.Timedelta(days=6), freq="D")
    if any((folder / "pos").rglob("weekly.csv")):  # weekly totals: spread them over Monday to Saturday
        rng = np.random.default_rng(seed)
        spread = [rng.multinomial(max(int(u), 0), [1 / 6] * 6) for u in lines["units"]]
        lines = pd.DataFrame({
            "store_id": np.repeat(lines["store_id"].to_numpy(), 6), "sku": np.repeat(lines["sku"].to_numpy(), 6),
            "date": (lines["date"].to_numpy()[:, None] + np.arange(6) * np.timedelta64(1, "D")).ravel(),
            "units": np.concatenate(spread) if spread else [],
        })
    daily = lines.groupby(["store_id", "sku", "date"])["units"].sum().clip(lower=0)
    matrix = daily.unstack("date").reindex(columns=days, fill_value=0).fillna(0.0)
    return matrix.reindex(pd.MultiIndex.from_frame(pairs[["store_id", "sku"]]), fill_value=0.0).fillna(0.0).to_numpy()


def check_profile(name: str, args: argparse.Namespace, tmp: Path) -> dict[str, float]:
    folder = write_synthetic_chain(tmp / name, n_stores=args.stores, n_products=args.products, n_weeks=args.weeks,
                                   seed=args.seed, demand=name)
    config = PlanConfig()
    chain = load_chain(folder, config)
    profiles = build_profiles(chain, config)
    pairs = profiles.pairs[profiles.pairs["listed_now"] & profiles.pairs["fresh"].astype(bool) & (profiles.pairs["units_per_week"] > 0)]
    pairs = pairs.reset_index(drop=True)
    plan = replenishment(pairs, chain.products, config.replenishment)
    demand = np.tile(daily_demand(folder, pairs, profiles.history.weeks, args.seed), REPEATS)
    case = chain.products.set_index("sku").loc[pairs["sku"], "case_pack"].to_numpy()
    warm_up = int(2 * max(plan.shelf_life.max(), plan.cycle_days.max()))
    simulated = simulate_fifo(demand, plan.order_up_to, case, plan.shelf_life, plan.cycle_days, warm_up=warm_up)
    modelled = pairs["waste_units_per_week"].to_numpy()
    close = np.abs(modelled - simulated.wasted) <= TOLERANCE * simulated.wasted + SLACK
    best = pairs["units_per_week"] >= pairs["units_per_week"].quantile(0.75)
    # the same model at the level of the simulated demand (its own mean, the profile's coefficient of
    # variation): the waste formula alone, without the forecast's error
    level = demand.sum(axis=1) / (demand.shape[1] / 7)
    scale = level / pairs["units_per_week"].to_numpy()
    at_level = pairs.assign(units_per_week=level, sd_units_per_week=pairs["sd_units_per_week"].to_numpy() * scale)
    formula = replenishment(at_level, chain.products, config.replenishment)
    shelf = simulate_fifo(demand, formula.order_up_to, case, formula.shelf_life, formula.cycle_days, warm_up=warm_up)
    formula_close = np.abs(formula.waste_per_week - shelf.wasted) <= TOLERANCE * shelf.wasted + SLACK
    return {
        "pairs": len(pairs), "demand": float(pairs["units_per_week"].sum()),
        "sold_modelled": float(plan.sold_per_week.sum()), "sold_simulated": float(simulated.sold.sum()),
        "modelled": float(modelled.sum()), "simulated": float(simulated.wasted.sum()),
        "ratio": float(modelled.sum() / simulated.wasted.sum()) if simulated.wasted.sum() > 0 else float("nan"),
        "within": float(close.mean()),
        "ratio_at_level": float(formula.waste_per_week.sum() / shelf.wasted.sum()) if shelf.wasted.sum() > 0 else float("nan"),
        "within_at_level": float(formula_close.mean()),
        "top_quarter_over_half": int((best & (modelled > 0.5 * pairs["units_per_week"])).sum()),
        "same_simulated": int((best & (simulated.wasted > 0.5 * pairs["units_per_week"])).sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="all")
    parser.add_argument("--stores", type=int, default=6)
    parser.add_argument("--products", type=int, default=150)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    profiles = list(DEMAND_PROFILES) if args.profile == "all" else args.profile.split(",")
    rows = {}
    with tempfile.TemporaryDirectory(prefix="waste-") as tmp:
        for name in profiles:
            print(f"[{name}] simulating", file=sys.stderr, flush=True)
            rows[name] = check_profile(name, args, Path(tmp))
    table = pd.DataFrame(rows).T
    print("Fresh waste, units / week summed over the listed fresh pairs: the model against a FIFO simulation")
    print(table.to_string(formatters={
        "pairs": "{:.0f}".format, "demand": "{:,.0f}".format, "sold_modelled": "{:,.0f}".format, "sold_simulated": "{:,.0f}".format, "modelled": "{:,.1f}".format, "simulated": "{:,.1f}".format,
        "ratio": "{:.2f}".format, "within": "{:.0%}".format,
        "ratio_at_level": "{:.2f}".format, "within_at_level": "{:.0%}".format, "top_quarter_over_half": "{:.0f}".format, "same_simulated": "{:.0f}".format}))


if __name__ == "__main__":
    main()
