"""Time POS ingest and demand profiling on a generated chain, per input format and POS engine.

    python benchmarks/profiles.py --stores 30 --products 3000 --days 365 --json results.json \
        [--workdir DIR] [--engines pandas,duckdb] [--formats csv,parquet] [--seed 7]

Generates (with DuckDB SQL) one chain in the input contract: stores.csv, products.csv and one daily POS
line per store x product x day (stores x products x days lines), ending 2026-11-22, the day before the
fixed "today" 2026-11-23. The POS lines are written twice, into two data folders with the same masters:
`csv/pos/<store>/<store>_YYYY-MM.csv` (one file per store and month, as tills export them) and
`parquet/pos/<store>.parquet` (one file per store). A later run with the same parameters reuses them.

Then, for every format x engine, a fresh process runs `load_chain(data_dir, config, engine=...)`
(ingest) and `build_profiles` (profile) with the default configuration, so each case's peak memory is
its own. "pandas" is the plain-pandas baseline, "duckdb" the fast engine. Prints a table (times,
peak resident memory and the speed-up against pandas on the same format) and writes one JSON record
per case: format, engine, rows, ingest_s, profile_s, peak_mib, or format, engine, rows, error.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import duckdb

TODAY = date(2026, 11, 23)
CATEGORIES = [
    ("Produce", 1), ("Dairy", 1), ("Bakery", 1), ("Meat", 1), ("Deli", 1), ("Ready Meals", 1),
    ("Beverages", 0), ("Snacks", 0), ("Pantry", 0), ("Frozen", 0), ("Household", 0), ("Personal Care", 0),
]
FRESH_SHARE = 0.45  # share of products in the fresh categories (the first six)
RETURN_SHARE = 0.002  # share of POS lines that are a one-unit return


def say(text: str) -> None:
    """A progress line on stderr."""
    print(text, file=sys.stderr, flush=True)


def generate(workdir: Path, *, stores: int, products: int, days: int, seed: int) -> int:
    """Write the csv/ and parquet/ data folders below workdir (or reuse them); the number of POS lines."""
    rows = stores * products * days
    params = {"stores": stores, "products": products, "days": days, "seed": seed, "today": TODAY.isoformat(), "rows": rows}
    marker = workdir / "params.json"
    if marker.exists() and json.loads(marker.read_text()) == params:
        say(f"reusing the chain in {workdir} ({rows:,} POS lines)")
        return rows
    marker.unlink(missing_ok=True)
    for fmt in ("csv", "parquet"):
        shutil.rmtree(workdir / fmt, ignore_errors=True)
        (workdir / fmt / "pos").mkdir(parents=True)
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    # Deterministic randomness whatever the thread schedule: uniform (0, 1) and standard normal from a hash.
    con.execute(f"CREATE MACRO u(tag, a, b, c) AS (CAST(hash({seed:d}, tag, a, b, c) >> 11 AS DOUBLE) + 0.5) * pow(2, -53)")
    con.execute("CREATE MACRO z(tag, a, b, c) AS sqrt(-2 * ln(u(tag, a, b, c))) * cos(2 * pi() * u(tag || '~', a, b, c))")
    con.execute("CREATE TABLE categories (cat INTEGER, category VARCHAR, fresh INTEGER)")
    con.executemany("INSERT INTO categories VALUES (?, ?, ?)", [(i, name, fresh) for i, (name, fresh) in enumerate(CATEGORIES)])
    con.execute(f"""
        CREATE TABLE products AS
        WITH drawn AS (
            SELECT range AS p, u('cat', range, 0, 0) AS uc,
                   round(least(25, greatest(0.39, exp(0.8 + 0.6 * z('price', range, 0, 0)))), 2) AS price
            FROM range({products:d})),
        placed AS (
            SELECT *, CAST(CASE WHEN uc < {FRESH_SHARE} THEN floor(uc / {FRESH_SHARE} * 6)
                                ELSE 6 + floor((uc - {FRESH_SHARE}) / (1 - {FRESH_SHARE}) * 6) END AS INTEGER) AS cat
            FROM drawn)
        SELECT p, cat, lpad(CAST(p + 1 AS VARCHAR), 6, '0') AS sku, category || ' item ' || (p + 1) AS name, category, fresh,
               price, round(price * (0.55 + 0.25 * u('cost', p, 0, 0)), 2) AS unit_cost,
               1 + CAST(floor(3 * u('space', p, 0, 0)) AS INTEGER) AS shelf_space,
               CAST(CASE WHEN fresh = 1 THEN 4 + floor(9 * u('case', p, 0, 0)) ELSE 6 + floor(19 * u('case', p, 0, 0)) END AS INTEGER) AS case_pack,
               CAST(CASE WHEN fresh = 1 THEN 2 + floor(13 * u('life', p, 0, 0)) ELSE 90 + floor(630 * u('life', p, 0, 0)) END AS INTEGER) AS shelf_life_days,
               exp(0.3 + 0.9 * z('base', p, 0, 0)) AS base_rate
        FROM placed JOIN categories USING (cat)
        ORDER BY p""")
    con.execute(f"""
        CREATE TABLE stores AS
        SELECT range AS s, 'S' || lpad(CAST(range + 1 AS VARCHAR), 3, '0') AS store_id,
               'Store ' || (range + 1) AS name, 'Town ' || (range + 1) AS town, 0.6 + 1.2 * u('size', range, 0, 0) AS size
        FROM range({stores:d})""")
    # Daily rate per store and product: product base x store size x store taste for the category x pair noise.
    con.execute("""
        CREATE TABLE pairs AS
        SELECT s, store_id, p, sku, price, unit_cost, shelf_space, case_pack,
               base_rate * size * exp(0.45 * z('taste', s, cat, 0)) * exp(0.3 * z('pair', s, p, 0)) AS rate
        FROM stores CROSS JOIN products""")
    first = TODAY - timedelta(days=days)
    con.execute(f"""
        CREATE TABLE days AS
        WITH dated AS (SELECT range AS d, DATE '{first.isoformat()}' + CAST(range AS INTEGER) AS date FROM range({days:d}))
        SELECT d, date, strftime(date, '%Y-%m') AS month,  -- demand factor: weekday x a mild yearly season
               [0.85, 0.9, 0.95, 1.0, 1.2, 1.3, 0.8][isodow(date)] * (1 + 0.1 * sin(2 * pi() * dayofyear(date) / 365)) AS factor
        FROM dated""")
    con.execute("""
        CREATE TABLE store_master AS
        SELECT st.store_id, st.name, st.town,
               CAST(round(sum(shelf_space) * least(0.95, 0.5 + 0.2 * any_value(st.size))) AS INTEGER) AS shelf_capacity,
               CAST(round(0.8 * sum(pr.unit_cost * (pr.case_pack + 4 * pr.rate))) AS INTEGER) AS inventory_budget
        FROM pairs pr JOIN stores st USING (s) GROUP BY st.s, st.store_id, st.name, st.town ORDER BY st.s""")
    for fmt in ("csv", "parquet"):
        con.execute(f"COPY store_master TO {literal(workdir / fmt / 'stores.csv')} (HEADER)")
        con.execute(f"""COPY (SELECT sku, name, category, fresh, price, unit_cost, shelf_space, case_pack, shelf_life_days
                              FROM products ORDER BY p) TO {literal(workdir / fmt / 'products.csv')} (HEADER)""")
    months = [m for (m,) in con.execute("SELECT DISTINCT month FROM days ORDER BY month").fetchall()]
    store_ids = [sid for (sid,) in con.execute("SELECT store_id FROM stores ORDER BY s").fetchall()]
    for s, store_id in enumerate(store_ids):
        # Poisson-like daily units (normal approximation, at least 1); a few lines are one-unit returns.
        con.execute(f"""
            CREATE OR REPLACE TABLE store_lines AS
            WITH raw AS (
                SELECT dy.date, dy.month, pr.store_id, pr.sku, pr.price, pr.rate * dy.factor AS lam,
                       u('return', pr.s, pr.p, dy.d) < {RETURN_SHARE} AS is_return, z('units', pr.s, pr.p, dy.d) AS noise
                FROM pairs pr CROSS JOIN days dy WHERE pr.s = {s:d}),
            counted AS (
                SELECT date, month, store_id, sku, price,
                       CASE WHEN is_return THEN -1 ELSE greatest(1, round(lam + sqrt(lam) * noise)) END AS units
                FROM raw)
            SELECT date, month, store_id, sku, units, round(units * price, 2) AS revenue FROM counted""")
        folder = workdir / "csv" / "pos" / store_id
        folder.mkdir()
        for month in months:
            con.execute(f"""
                COPY (SELECT date, store_id, sku, CAST(units AS INTEGER) AS units, CAST(revenue AS DECIMAL(12, 2)) AS revenue
                      FROM store_lines WHERE month = '{month}' ORDER BY date, sku)
                TO {literal(folder / f"{store_id}_{month}.csv")} (HEADER)""")
        con.execute(f"""
            COPY (SELECT date, store_id, sku, CAST(units AS DOUBLE) AS units, CAST(revenue AS DOUBLE) AS revenue
                  FROM store_lines ORDER BY date, sku)
            TO {literal(workdir / "parquet" / "pos" / f"{store_id}.parquet")} (FORMAT parquet)""")
        say(f"generated store {s + 1}/{stores} ({store_id}), {time.perf_counter() - started:.1f} s")
    con.close()
    marker.write_text(json.dumps(params))
    say(f"generated {rows:,} POS lines in {time.perf_counter() - started:.1f} s; "
        f"csv {folder_mib(workdir / 'csv'):,.0f} MiB, parquet {folder_mib(workdir / 'parquet'):,.0f} MiB")
    return rows


def literal(path: Path) -> str:
    """A path as an SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"


def folder_mib(folder: Path) -> float:
    """Size of the files below folder, in MiB."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def run_case(data_dir: Path, engine: str, label: str, send: Connection) -> None:
    """In a child process: ingest and profile one data folder; send the timings and this process's peak memory."""
    from planner import build_profiles, load_chain, load_config

    def progress(text: str) -> None:
        if not text.startswith("reading POS file"):  # one line per file would flood the terminal
            say(f"  [{label}] {text}")

    try:
        config = load_config(None)
        mark = time.perf_counter()
        chain = load_chain(data_dir, config, today=TODAY, engine=engine, progress=progress)
        ingest_s = time.perf_counter() - mark
        say(f"  [{label}] ingest {ingest_s:.1f} s, profiling")
        mark = time.perf_counter()
        build_profiles(chain, config)
        profile_s = time.perf_counter() - mark
        result: dict[str, Any] = {"ingest_s": round(ingest_s, 3), "profile_s": round(profile_s, 3)}
    except Exception as exc:  # noqa: BLE001 -- recorded for the case, the benchmark goes on
        result = {"error": f"{type(exc).__name__}: {exc}"[:1000]}
    result["peak_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    send.send(result)


def measure(data_dir: Path, fmt: str, engine: str, rows: int) -> dict[str, Any]:
    """One format x engine case in a fresh process; a record with the timings or an error."""
    label = f"{fmt}/{engine}"
    say(f"running {label}")
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=run_case, args=(data_dir, engine, label, send))
    child.start()
    send.close()
    try:
        result = receive.recv()
    except EOFError:  # the child died without reporting (e.g. killed for memory)
        result = None
    child.join()
    record: dict[str, Any] = {"format": fmt, "engine": engine, "rows": rows}
    if result is None:
        record["error"] = f"child process ended with exit code {child.exitcode} before reporting"
    elif "error" in result:
        record["error"] = result["error"]
    else:
        record.update(result)
    say(f"  [{label}] " + (f"failed: {record['error']}" if "error" in record
                           else f"ingest {record['ingest_s']:.1f} s, profile {record['profile_s']:.1f} s, peak {record['peak_mib']:,.0f} MiB"))
    return record


def print_table(records: list[dict[str, Any]]) -> None:
    """Results on stdout; the speed-up compares ingest + profile with pandas on the same format."""
    baseline = {r["format"]: r["ingest_s"] + r["profile_s"] for r in records if r["engine"] == "pandas" and "error" not in r}
    print(f"{'format':8s} {'engine':8s} {'rows':>12s} {'ingest s':>9s} {'profile s':>10s} {'peak MiB':>9s} {'vs pandas':>10s}")
    for r in records:
        head = f"{r['format']:8s} {r['engine']:8s} {r['rows']:12,d}"
        if "error" in r:
            print(f"{head} error: {r['error']}")
            continue
        total = r["ingest_s"] + r["profile_s"]
        speedup = f"x{baseline[r['format']] / total:.1f}" if r["format"] in baseline else "-"
        print(f"{head} {r['ingest_s']:9.2f} {r['profile_s']:10.2f} {r['peak_mib']:9,.0f} {speedup:>10s}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=int, default=30)
    parser.add_argument("--products", type=int, default=3000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--json", type=Path, required=True, help="write the results here")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "planner-profiles-bench",
                        help="generated data (reused when the parameters match)")
    parser.add_argument("--engines", default="pandas,duckdb")
    parser.add_argument("--formats", default="csv,parquet")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    args.workdir.mkdir(parents=True, exist_ok=True)
    rows = generate(args.workdir, stores=args.stores, products=args.products, days=args.days, seed=args.seed)
    records = [measure(args.workdir / fmt, fmt, engine, rows)
               for fmt in args.formats.split(",") for engine in args.engines.split(",")]
    print_table(records)
    args.json.write_text(json.dumps(records, indent=2) + "\n")


if __name__ == "__main__":
    main()
