"""Time every app page for a generated chain: the first load (cold caches) and the next ones.

    python benchmarks/app.py --stores 30 --products 3000

Plans the chain once, adds a head-office and a manager account, then signs in through
streamlit.testing's AppTest (the real app script, no browser) and times each page's script run
`--repeat` times. The baseline in the same run is the first, uncached load of each page.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from planner import PlanConfig, run_week
from planner.db import Database
from planner.db.accounts import HEAD_OFFICE, MANAGER, add_user
from planner.examples import write_synthetic_chain

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["my_plan.py", "my_customers.py", "why.py", "what_if.py", "requests.py"]


def timed(run) -> float:  # noqa: ANN001 - a zero-argument callable
    mark = time.perf_counter()
    at = run()
    seconds = time.perf_counter() - mark
    if at.exception or at.error:
        raise SystemExit(f"page failed: {[e.value for e in at.exception]} {[e.value for e in at.error]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=int, default=30)
    parser.add_argument("--products", type=int, default=3000)
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_synthetic_chain(Path(tmp) / "chain", n_stores=args.stores, n_products=args.products, n_weeks=args.weeks, seed=7)
        out = Path(tmp) / "out"
        started = time.perf_counter()
        run_week(folder, out, PlanConfig(), progress=lambda text: print(text, file=sys.stderr, flush=True))
        print(f"planned {args.stores} stores x {args.products} products in {time.perf_counter() - started:.1f} s")
        url = f"sqlite:///{Path(tmp) / 'planner.db'}"
        db = Database(url)
        store_ids = list(pd.read_csv(folder / "stores.csv", dtype=str)["store_id"])
        store = store_ids[0]
        add_user(db, "hq", "benchmark pw", HEAD_OFFICE, None, store_ids)
        add_user(db, "manager", "benchmark pw", MANAGER, store, store_ids)
        os.environ.update(PLANNER_OUT=str(out), PLANNER_DATA=str(folder), PLANNER_DATABASE_URL=url)
        for username, pages in (("manager", PAGES), ("hq", ["chain_overview.py", *PAGES])):
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
            at.text_input[0].input(username)
            at.text_input[1].input("benchmark pw")
            next(b for b in at.button if b.label == "Sign in").click().run()
            for page in pages:
                at.switch_page(f"planner/ui/{page}")
                first = timed(at.run)
                again = [timed(at.run) for _ in range(args.repeat)]
                print(f"{username:8s} {page:20s} first {first:6.2f} s   then median {statistics.median(again):5.2f} s, max {max(again):5.2f} s")


if __name__ == "__main__":
    main()
