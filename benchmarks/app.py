"""Time every app page for a generated chain (the first load and the next ones), a what-if re-plan
and the Why page's cost of dropping a product.

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
            if username == "manager":
                plan = pd.read_csv(out / "plan.csv", dtype={"store_id": str, "sku": str})
                actions(at, list(plan.loc[(plan["store_id"] == store) & (plan["role"] == "addon"), "sku"][: args.repeat]))


def actions(at: AppTest, addons: list[str]) -> None:
    """The pages' long work: what-if re-plans (shelf -10 % each time) and the cost of dropping an add-on."""
    at.switch_page("planner/ui/what_if.py").run()
    replans = []
    for _ in addons:
        at.number_input[0].set_value(round(at.number_input[0].value * 0.9, 1))
        replans.append(timed(next(b for b in at.button if b.label == "Re-plan this store").click().run))
    at.switch_page("planner/ui/why.py").run()
    costs = []
    for sku in addons:
        at.selectbox(key="why_sku").select(sku).run()
        costs.append(timed(at.button(key="why_cost").click().run))
    print(f"what-if re-plan:  median {statistics.median(replans):.2f} s, max {max(replans):.2f} s over {len(addons)}")
    print(f"why: drop cost:   median {statistics.median(costs):.2f} s, max {max(costs):.2f} s over {len(addons)}")


if __name__ == "__main__":
    main()
