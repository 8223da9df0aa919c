"""Time writing plan.xlsx for a generated chain, against plain pandas.to_excel of the same tables.

    python benchmarks/workbook.py --stores 30 --products 3000

Plans the chain once (run_week), then writes the head-office workbook `--repeat` times and prints
the median seconds, the rows per sheet and the file size, next to pandas.DataFrame.to_excel
(openpyxl engine, no tables, formats, chart or print setup) writing the same tables in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from planner import PlanConfig, run_week
from planner.examples import write_synthetic_chain
from planner.outputs.excel import write_workbook
from planner.outputs.report import change_table, workbook_sheets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=int, default=30)
    parser.add_argument("--products", type=int, default=3000)
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_synthetic_chain(Path(tmp) / "chain", n_stores=args.stores, n_products=args.products, n_weeks=args.weeks, seed=7)
        started = time.perf_counter()
        outcome = run_week(folder, Path(tmp) / "out", PlanConfig(), progress=lambda text: print(text, file=sys.stderr, flush=True))
        print(f"planned {args.stores} stores x {args.products} products in {time.perf_counter() - started:.1f} s")
        changes = change_table(outcome.result, outcome.profiles, outcome.chain)
        sheets = workbook_sheets(outcome.result, changes, outcome.profiles, outcome.summary, outcome.chain)
        tables = {name: value for name, value in sheets.items() if isinstance(value, pd.DataFrame)}
        print("rows: " + ", ".join(f"{name} {len(frame):,}" for name, frame in tables.items()))
        ours, plain = [], []
        for _ in range(args.repeat):
            mark = time.perf_counter()
            write_workbook(Path(tmp) / "plan.xlsx", sheets)
            ours.append(time.perf_counter() - mark)
            mark = time.perf_counter()
            with pd.ExcelWriter(Path(tmp) / "plain.xlsx", engine="openpyxl") as writer:
                for name, frame in tables.items():
                    frame.to_excel(writer, sheet_name=name[:31], index=False)
            plain.append(time.perf_counter() - mark)
        size = (Path(tmp) / "plan.xlsx").stat().st_size / 2**20
        print(f"plan.xlsx (tables, formats, chart, print setup): median {statistics.median(ours):.2f} s of {args.repeat}, {size:.1f} MiB")
        print(f"pandas to_excel, same tables, no formatting:      median {statistics.median(plain):.2f} s of {args.repeat}")


if __name__ == "__main__":
    main()
