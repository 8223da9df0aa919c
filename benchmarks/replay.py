"""Replay a chain's history week by week: one run per week, each starting from the plan the run
before it published, and report the total time and how stable the plans are.

    python benchmarks/replay.py sample_stores --weeks 52

Works on a copy of the data folder with its own database and output folder. Prints one line per
week (profit, this week's adds and drops per store, and those still to the target) and then the
adds and drops each store carries out per week over the replay (mean, median, 90th percentile,
max; at most [stability] max_changes_per_store_per_week together), next to the same figures for the
first week, whose current assortment is assortment.csv instead of a previous plan.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import pandas as pd

from planner import load_config, run_week
from planner.inputs import load_chain
from planner.runs.history import iso_week


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--change-penalty", type=float, help="override [stability] change_penalty (EUR / week per add or drop)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "chain"
        shutil.copytree(args.data_dir, folder, ignore=shutil.ignore_patterns("planner.db*"))
        os.environ["PLANNER_DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'replay.db'}"
        config = load_config(folder / "planning.toml")
        if args.change_penalty is not None:
            config = dataclasses.replace(config, stability=dataclasses.replace(config.stability, change_penalty=args.change_penalty))
        last_day = load_chain(folder, config).store_days["date"].max().date()
        first_monday = last_day - timedelta(days=last_day.weekday()) - timedelta(weeks=args.weeks - 2)
        weeks = [iso_week(first_monday + timedelta(weeks=i)) for i in range(args.weeks)]
        rows, started = [], time.perf_counter()
        for number, week in enumerate(weeks, start=1):
            mark = time.perf_counter()
            outcome = run_week(folder, Path(tmp) / "out", config, week=week)
            stores = outcome.summary["stores"]
            rows += [(week, sid, f["adds_this_week"], f["drops_this_week"], f["adds"], f["drops"], f["weeks_to_target"]) for sid, f in stores.items()]
            quality = outcome.summary["quality"]
            print(f"{number:2d}/{len(weeks)} {week}: {time.perf_counter() - mark:5.1f} s, EUR {quality['expected_profit_per_week']:10,.2f}/week, "
                  f"this week's adds/drops per store {', '.join(f'{r[2]}/{r[3]}' for r in rows[-len(stores):])} "
                  f"(to the target {', '.join(f'{r[4]}/{r[5]}' for r in rows[-len(stores):])})", flush=True)
        total = time.perf_counter() - started
    table = pd.DataFrame(rows, columns=["week", "store_id", "adds", "drops", "target_adds", "target_drops", "weeks_to_target"])
    later = table[table["week"] != weeks[0]]
    print(f"\n{len(weeks)} weekly runs in {total:.0f} s ({total / len(weeks):.1f} s per run), change penalty "
          f"EUR {config.stability.change_penalty:g} per add or drop")
    for label, frame in (("first week (against assortment.csv)", table[table["week"] == weeks[0]]), ("weeks 2 to the end (against last week's plan)", later)):
        print(f"{label}: adds per store and week mean {frame['adds'].mean():.1f}, median {frame['adds'].median():.0f}, "
              f"p90 {frame['adds'].quantile(0.9):.0f}, max {frame['adds'].max()}; drops mean {frame['drops'].mean():.1f}, "
              f"median {frame['drops'].median():.0f}, p90 {frame['drops'].quantile(0.9):.0f}, max {frame['drops'].max()}; "
              f"to the target {frame['target_adds'].mean():.1f} adds and {frame['target_drops'].mean():.1f} drops, "
              f"{frame['weeks_to_target'].mean():.1f} weeks (mean)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
