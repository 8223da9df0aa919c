"""Time the customer stage (loyalty-card segments and store figures) on a generated chain, next to the run without cards.

    python benchmarks/customers.py                                  # 30 stores x 3,000 products x 52 weeks, 200,000 cards, 10 M card lines
    python benchmarks/customers.py --cards 20000 --lines 1000000    # a quick try
        [--workdir DIR] [--cases customers,nocards,cards] [--seed 7] [--json out.json]

The chain is generated with numpy: products with a category, fresh flag, organic flag and pack size;
stores of different sizes; SEGMENTS planted customer segments, each with its own category tastes,
organic and pack-size leanings, visit rate and basket size; each store with its own segment mix
(Dirichlet); every card with a home store, about 15 % also shopping in a second one. A card's visits
are receipts (store, day, 1 + Poisson lines), its lines products drawn from its segment's tastes, so
that the card lines number --lines. Lines without a card are one weekly line per store, product and
week. All lines go once into `cards/pos/<store>/<store>_YYYY-MM.csv` (raw 12-digit card ids and
receipt ids) and once, without the card and receipt columns, into `nocards/`, with the same masters;
`card_lines.parquet` holds the card lines as the POS reader gives them (pseudonyms, CARD_LINE_COLUMNS).
A later run with the same parameters reuses the files.

Each case runs in a fresh process (its own peak memory, ru_maxrss), and reads the POS files afresh (the
parse cache is removed first; a weekly run re-reads only new files, so its ingest is shorter):

    customers  build_customers on card_lines.parquet: the stage alone, per step (the budget: BUDGET_S, BUDGET_MIB);
               `other` is build.py's own work (the segment table, counting cards)
    nocards    load_chain (DuckDB engine) + build_profiles on nocards/: the run without cards, the baseline
    cards      load_chain (DuckDB engine) + build_customers + build_profiles(customers) on cards/, in the order of
               runs.weekly: what cards add to a run (ingest of the card columns, the stage, the profiles' card steps)
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
from collections.abc import Callable
from datetime import date, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from planner import build_profiles, load_chain, load_config
from planner.customers import build
from planner.inputs.cards import card_key, pseudonymise
from planner.inputs.masters import read_products
from planner.inputs.pos import CACHE_DIR

TODAY = date(2026, 11, 23)  # a Monday; the data end on the Sunday before
CATEGORIES = [
    ("Produce", 1), ("Dairy", 1), ("Bakery", 1), ("Meat", 1), ("Deli", 1), ("Ready Meals", 1),
    ("Beverages", 0), ("Snacks", 0), ("Pantry", 0), ("Frozen", 0), ("Household", 0), ("Baby & Kids", 0),
]
PACK_SIZES = ("single", "regular", "family")
SEGMENTS = 6
SECOND_STORE = 0.15  # share of cards that also shop in a second store
BUDGET_S, BUDGET_MIB = 120.0, 8 * 1024
STEPS = ("visits", "card_features", "segment_cards", "segment_mix", "loyalty", "monthly_mix")  # build.py's calls, timed in place


def say(text: str) -> None:
    """A progress line on stderr."""
    print(text, file=sys.stderr, flush=True)


def products_table(rng: np.random.Generator, n_products: int) -> pd.DataFrame:
    """products.csv: the contract's columns plus organic (0/1) and pack_size."""
    cat = rng.integers(0, len(CATEGORIES), n_products)
    fresh = np.array([CATEGORIES[c][1] for c in cat])
    price = np.round(np.exp(0.8 + 0.6 * rng.standard_normal(n_products)).clip(0.39, 25.0), 2)
    return pd.DataFrame({
        "sku": [f"{i:06d}" for i in range(1, n_products + 1)],
        "name": [f"{CATEGORIES[c][0]} item {i}" for i, c in enumerate(cat, start=1)],
        "category": [CATEGORIES[c][0] for c in cat],
        "fresh": fresh, "price": price, "unit_cost": np.round(price * rng.uniform(0.55, 0.8, n_products), 2),
        "shelf_space": rng.integers(1, 4, n_products),
        "case_pack": np.where(fresh == 1, rng.integers(4, 13, n_products), rng.integers(6, 25, n_products)),
        "shelf_life_days": np.where(fresh == 1, rng.integers(2, 15, n_products), rng.integers(90, 720, n_products)),
        "organic": (rng.random(n_products) < 0.15).astype(int),
        "pack_size": rng.choice(PACK_SIZES, n_products, p=[0.25, 0.55, 0.2]),
        "popularity": rng.lognormal(0.0, 0.8, n_products),  # not written: the draw weight within a category
    })


def segment_tastes(rng: np.random.Generator, products: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per planted segment: category shares, product weights (popularity x organic and pack-size leaning),
    visits a week and mean lines a visit."""
    categories = np.zeros((SEGMENTS, len(CATEGORIES)))
    weights = np.zeros((SEGMENTS, len(products)))
    organic = products["organic"].to_numpy()
    pack = products["pack_size"].map({p: i for i, p in enumerate(PACK_SIZES)}).to_numpy()
    for s in range(SEGMENTS):
        taste = rng.lognormal(0.0, 0.3, len(CATEGORIES))
        taste[rng.choice(len(CATEGORIES), 2, replace=False)] *= 3.0  # the two things the segment is known for
        categories[s] = taste / taste.sum()
        leaning = rng.lognormal(0.0, 0.8, len(PACK_SIZES))
        weights[s] = products["popularity"].to_numpy() * np.where(organic == 1, rng.lognormal(0.0, 1.0), 1.0) * leaning[pack]
    return categories, weights, rng.uniform(0.3, 2.0, SEGMENTS), rng.uniform(3.0, 12.0, SEGMENTS)


def draw_visits(rng: np.random.Generator, n_stores: int, n_cards: int, n_lines: int, weeks: int,
                visits_per_week: np.ndarray, lines_per_visit: np.ndarray) -> tuple[np.ndarray, ...]:
    """Cards (segment from their home store's mix) and their visits: card, store, day and lines of each visit."""
    size = rng.uniform(0.6, 1.8, n_stores)
    mix = rng.dirichlet(np.full(SEGMENTS, 0.8), n_stores)  # each store's own segment mix
    home = rng.choice(n_stores, n_cards, p=size / size.sum())
    segment = (mix[home].cumsum(axis=1) < rng.random(n_cards)[:, None]).sum(axis=1)
    second = np.where(rng.random(n_cards) < SECOND_STORE, rng.integers(0, n_stores, n_cards), home)
    second_share = rng.uniform(0.2, 0.5, n_cards)
    rate = visits_per_week[segment] * rng.lognormal(-0.18, 0.6, n_cards)  # a card's own rate around its segment's
    expected_lines = (rate * weeks * lines_per_visit[segment]).sum()
    n_visits = rng.poisson(rate * weeks * n_lines / expected_lines * 1.02)  # 2 % extra: the lines are cut to n_lines
    card = np.repeat(np.arange(n_cards), n_visits)
    store = np.where(rng.random(len(card)) < second_share[card], second[card], home[card])
    day = rng.integers(0, weeks * 7, len(card))
    lines = 1 + rng.poisson(lines_per_visit[segment[card]] - 1)
    return card, segment, store, day, lines


def draw_card_lines(rng: np.random.Generator, products: pd.DataFrame, n_stores: int, n_cards: int, n_lines: int,
                    weeks: int) -> pd.DataFrame:
    """n_lines card lines: card (index), store (index), day (0 = the first Monday), visit (index), product (index), units."""
    categories, weights, visits_per_week, lines_per_visit = segment_tastes(rng, products)
    card, segment, store, day, lines = draw_visits(rng, n_stores, n_cards, n_lines, weeks, visits_per_week, lines_per_visit)
    visit = np.repeat(np.arange(len(card)), lines)[:n_lines]
    line_segment = segment[card[visit]]
    cat_of = pd.Series(products["category"]).map({c: i for i, (c, _) in enumerate(CATEGORIES)}).to_numpy()
    product = np.empty(len(visit), dtype=np.int64)
    category = (categories.cumsum(axis=1)[line_segment] < rng.random(len(visit))[:, None]).sum(axis=1)
    for s in range(SEGMENTS):
        for c in range(len(CATEGORIES)):
            rows = np.flatnonzero((line_segment == s) & (category == c))
            members = np.flatnonzero(cat_of == c)
            if len(rows) and len(members):
                cumulative = weights[s, members].cumsum()
                picked = np.searchsorted(cumulative, rng.random(len(rows)) * cumulative[-1])
                product[rows] = members[np.minimum(picked, len(members) - 1)]
    units = 1 + rng.poisson(0.3 + 0.3 * (line_segment % 3), len(visit))
    return pd.DataFrame({"card": card[visit], "store": store[visit], "day": day[visit], "visit": visit, "product": product,
                         "units": units})


def card_line_table(drawn: pd.DataFrame, products: pd.DataFrame, store_ids: list[str], card_ids: np.ndarray, key: str,
                    first: date) -> pd.DataFrame:
    """The drawn card lines as the POS reader gives them: CARD_LINE_COLUMNS, pseudonyms, dtypes and order of typed_cards."""
    pseudonyms = pseudonymise(pd.Series(card_ids), key).to_numpy()
    order = np.lexsort((drawn["product"], drawn["day"], drawn["store"], np.argsort(np.argsort(pseudonyms))[drawn["card"]]))
    drawn = drawn.iloc[order]
    price = products["price"].to_numpy()[drawn["product"]]
    return pd.DataFrame({
        "card": pd.array(pseudonyms[drawn["card"]], dtype="string"),
        "store_id": np.array(store_ids, dtype=object)[drawn["store"]],
        "sku": products["sku"].to_numpy(dtype=object)[drawn["product"]],
        "date": pd.Timestamp(first) + pd.to_timedelta(drawn["day"].to_numpy(), unit="D"),
        "receipt": pd.array((drawn["visit"].to_numpy() + 10_000_000).astype(str), dtype="string"),
        "units": drawn["units"].to_numpy(dtype=float), "revenue": np.round(drawn["units"].to_numpy() * price, 2),
    })


def anonymous_lines(rng: np.random.Generator, products: pd.DataFrame, n_stores: int, weeks: int) -> pd.DataFrame:
    """Lines without a card: one a store, product and week (dated Saturday), Poisson units, none for a zero week."""
    rate = products["popularity"].to_numpy()[None, :] * rng.uniform(0.6, 1.8, n_stores)[:, None] * 2.0
    units = rng.poisson(np.repeat(rate[:, :, None], weeks, axis=2))
    store, product, week = np.nonzero(units)
    return pd.DataFrame({"store": store, "day": 7 * week + 5, "product": product, "units": units[store, product, week]})


def literal(path: Path) -> str:
    """A path as an SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"


def write_masters(folder: Path, products: pd.DataFrame, store_ids: list[str]) -> None:
    """stores.csv and products.csv of a data folder."""
    (folder / "pos").mkdir(parents=True)
    products.drop(columns="popularity").to_csv(folder / "products.csv", index=False)
    pd.DataFrame({
        "store_id": store_ids, "name": [f"Store {s}" for s in store_ids], "town": [f"Town {s}" for s in store_ids],
        "shelf_capacity": int(0.85 * products["shelf_space"].sum()),
        "inventory_budget": int(1.8 * (products["unit_cost"] * products["case_pack"]).sum()),
    }).to_csv(folder / "stores.csv", index=False)


def write_pos(workdir: Path, lines: pd.DataFrame, products: pd.DataFrame, store_ids: list[str], card_ids: np.ndarray,
              first: date) -> None:
    """All lines into cards/pos/<store>/<store>_YYYY-MM.csv (card_id, receipt_id blank without a card), the same without
    those columns into nocards/."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.register("drawn", lines)
    con.register("skus", pd.DataFrame({"product": np.arange(len(products)), "sku": products["sku"], "price": products["price"]}))
    con.register("ids", pd.DataFrame({"card": np.arange(len(card_ids)), "card_id": card_ids}))
    for s, store_id in enumerate(store_ids):
        con.execute(f"""
            CREATE OR REPLACE TABLE store_lines AS
            SELECT DATE '{first.isoformat()}' + CAST(d.day AS INTEGER) AS date, '{store_id}' AS store_id, k.sku,
                   CAST(d.units AS INTEGER) AS units, CAST(round(d.units * k.price, 2) AS DECIMAL(12, 2)) AS revenue,
                   i.card_id, CASE WHEN d.visit >= 0 THEN CAST(d.visit + 10000000 AS VARCHAR) END AS receipt_id
            FROM drawn d JOIN skus k USING (product) LEFT JOIN ids i USING (card)
            WHERE d.store = {s:d}""")
        months = [m for (m,) in con.execute("SELECT DISTINCT strftime(date, '%Y-%m') FROM store_lines ORDER BY 1").fetchall()]
        for kind, columns in (("cards", "*"), ("nocards", "* EXCLUDE (card_id, receipt_id)")):
            folder = workdir / kind / "pos" / store_id
            folder.mkdir()
            for month in months:
                con.execute(f"""COPY (SELECT {columns} FROM store_lines WHERE strftime(date, '%Y-%m') = '{month}'
                                      ORDER BY date, receipt_id NULLS LAST, sku)
                                TO {literal(folder / f"{store_id}_{month}.csv")} (HEADER)""")
        say(f"  wrote the POS files of {store_id} ({s + 1}/{len(store_ids)})")
    con.close()


def generate(workdir: Path, *, stores: int, products: int, weeks: int, cards: int, lines: int, seed: int) -> dict[str, Any]:
    """Write cards/, nocards/ and card_lines.parquet below workdir (or reuse them); the chain's figures."""
    params = {"stores": stores, "products": products, "weeks": weeks, "cards": cards, "lines": lines, "seed": seed,
              "today": TODAY.isoformat()}
    marker = workdir / "params.json"
    if marker.exists() and json.loads(marker.read_text())["params"] == params:
        say(f"reusing the chain in {workdir}")
        return dict(json.loads(marker.read_text())["figures"])
    marker.unlink(missing_ok=True)
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    first = TODAY - timedelta(weeks=weeks)
    store_ids = [f"S{i:03d}" for i in range(1, stores + 1)]
    master = products_table(rng, products)
    for kind in ("cards", "nocards"):
        shutil.rmtree(workdir / kind, ignore_errors=True)
        write_masters(workdir / kind, master, store_ids)
    drawn = draw_card_lines(rng, master, stores, cards, lines, weeks)
    anonymous = anonymous_lines(rng, master, stores, weeks).assign(card=-1, visit=-1)
    say(f"drew {len(drawn):,} card lines and {len(anonymous):,} lines without a card, {time.perf_counter() - started:.1f} s")
    card_ids = np.array([f"{i:012d}" for i in rng.choice(10**12, cards, replace=False)])
    table = card_line_table(drawn, master, store_ids, card_ids, card_key(workdir / "cards"), first)
    table.to_parquet(workdir / "card_lines.parquet", index=False)
    everything = pd.concat([drawn, anonymous], ignore_index=True)
    write_pos(workdir, everything, master, store_ids, card_ids, first)
    revenue = (everything["units"] * master["price"].to_numpy()[everything["product"]]).round(2).groupby(everything["store"]).sum()
    figures = {"pos_lines": len(everything), "card_lines": len(table), "cards_seen": int(table["card"].nunique()),
               "two_store_cards": int((table.groupby("card")["store_id"].nunique() > 1).sum()),
               "store_revenue": {store_ids[s]: float(r) for s, r in revenue.items()}}
    marker.write_text(json.dumps({"params": params, "figures": figures}))
    say(f"generated the chain in {time.perf_counter() - started:.1f} s: {figures['pos_lines']:,} POS lines")
    return figures


def peak_mib() -> float:
    """This process's peak resident memory, in MiB (a spawned child's own)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_customers(card_lines: pd.DataFrame, products: pd.DataFrame, store_ids: list[str], revenue: pd.Series,
                    label: str) -> tuple[Any, dict[str, Any]]:
    """build_customers, each of its STEPS timed where build.py calls it: the Customers, and seconds per step."""
    seconds: dict[str, float] = {}

    def timing(step: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            mark = time.perf_counter()
            result = function(*args, **kwargs)
            seconds[step] = time.perf_counter() - mark
            say(f"  [{label}] {step} {seconds[step]:.1f} s")
            return result
        return timed

    originals = {step: getattr(build, step) for step in STEPS}
    for step, function in originals.items():
        setattr(build, step, timing(step, function))
    try:
        mark = time.perf_counter()
        customers = build.build_customers(card_lines, products, store_ids, revenue)
        total = time.perf_counter() - mark
    finally:
        for step, function in originals.items():
            setattr(build, step, function)
    if customers is None:
        msg = "too few cardholders for segments"
        raise RuntimeError(msg)
    say(f"  [{label}] {len(customers.segments)} segments from {customers.cards_segmented:,} of {customers.cards_seen:,} cardholders")
    return customers, {**{f"{step}_s": seconds[step] for step in STEPS}, "other_s": total - sum(seconds.values()),
                       "customers_s": total, "segments": len(customers.segments), "cards_segmented": customers.cards_segmented}


def run_case(case: str, workdir: Path, figures: dict[str, Any], send: Connection) -> None:
    """In a child process: one case (see the module docstring); sends its figures and peak memory."""
    def progress(text: str) -> None:
        if not text.startswith("reading POS file"):
            say(f"  [{case}] {text}")

    result: dict[str, Any] = {}
    try:
        if case == "customers":
            lines = pd.read_parquet(workdir / "card_lines.parquet").astype({"card": "string", "receipt": "string"})
            revenue = pd.Series(figures["store_revenue"], name="revenue").rename_axis("store_id")
            result["loaded_mib"] = peak_mib()
            say(f"  [{case}] {len(lines):,} card lines loaded, {result['loaded_mib']:,.0f} MiB")
            result |= timed_customers(lines, read_products(workdir / "cards"), list(revenue.index), revenue, case)[1]
        else:  # as runs.weekly does it: the customers (with cards), then the profiles
            config = load_config(None)
            shutil.rmtree(workdir / case / CACHE_DIR, ignore_errors=True)  # every case reads every POS file afresh
            mark = time.perf_counter()
            chain = load_chain(workdir / case, config, today=TODAY, engine="duckdb", progress=progress)
            result["ingest_s"], result["ingest_mib"] = time.perf_counter() - mark, peak_mib()
            say(f"  [{case}] ingest {result['ingest_s']:.1f} s ({len(chain.cards):,} card lines), peak so far {result['ingest_mib']:,.0f} MiB")
            revenue = chain.weekly.groupby("store_id")["revenue"].sum()
            customers, figures = timed_customers(chain.cards, chain.products, chain.store_ids, revenue, case) if chain.has_cards else (None, {})
            result |= figures | {"customers_mib": peak_mib()}
            mark = time.perf_counter()
            build_profiles(chain, config, customers)
            result["profile_s"] = time.perf_counter() - mark
            say(f"  [{case}] profile {result['profile_s']:.1f} s")
    except Exception as exc:  # noqa: BLE001 -- recorded for the case, the benchmark goes on
        result["error"] = f"{type(exc).__name__}: {exc}"[:1000]
    result["peak_mib"] = peak_mib()
    send.send(result)


def measure(case: str, workdir: Path, figures: dict[str, Any]) -> dict[str, Any]:
    """One case in a fresh process; its figures, or an error."""
    say(f"running {case}")
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=run_case, args=(case, workdir, figures, send))
    child.start()
    send.close()
    try:
        result: dict[str, Any] = receive.recv()
    except EOFError:  # the child died without reporting (e.g. killed for memory)
        result = {"error": f"child process ended with exit code {child.exitcode} before reporting"}
    child.join()
    say(f"  [{case}] " + (f"failed: {result['error']}" if "error" in result else f"done, peak {result['peak_mib']:,.0f} MiB"))
    return {"case": case, **result}


def print_table(records: list[dict[str, Any]], figures: dict[str, Any], args: argparse.Namespace) -> None:
    """The customer stage per step (with the budget), then the runs without and with cards side by side."""
    print(f"{args.stores} stores x {args.products:,} products x {args.weeks} weeks; {figures['cards_seen']:,} cardholders "
          f"({figures['two_store_cards']:,} in two or more stores), {figures['card_lines']:,} card lines of {figures['pos_lines']:,} POS lines")
    by_case = {r["case"]: r for r in records}
    print("".join(f"{case}: error: {r['error']}\n" for case, r in by_case.items() if "error" in r), end="")
    staged = [c for c in ("customers", "cards") if c in by_case and "customers_s" in by_case[c]]
    if staged:
        print("\ncustomer stage (build_customers), seconds   " + "".join(f"{c:>12s}" for c in staged))
        for step in [*STEPS, "other"]:
            print(f"  {step:41s}" + "".join(f"{by_case[c][f'{step}_s']:12.2f}" for c in staged))
        print(f"  {'total':41s}" + "".join(f"{by_case[c]['customers_s']:12.2f}" for c in staged))
        print(f"  {'peak MiB of the process':41s}" + "".join(f"{by_case[c]['peak_mib']:12,.0f}" for c in staged))
        rise = {"customers": ("peak_mib", "loaded_mib"), "cards": ("customers_mib", "ingest_mib")}  # the stage's own part
        print(f"  {'MiB the stage added to the peak':41s}" + "".join(f"{by_case[c][rise[c][0]] - by_case[c][rise[c][1]]:12,.0f}" for c in staged))
    if "customers" in staged:
        alone = by_case["customers"]
        verdict = "within" if alone["customers_s"] <= BUDGET_S and alone["peak_mib"] <= BUDGET_MIB else "OVER"
        print(f"  the stage alone: {verdict} its budget of {BUDGET_S:.0f} s and {BUDGET_MIB:,} MiB; "
              f"{alone['segments']} segments from {alone['cards_segmented']:,} cards")
    runs = [c for c in ("nocards", "cards") if c in by_case and "error" not in by_case[c]]
    if not runs:
        return
    print(f"\n{'run':10s} {'ingest s':>9s} {'profile s':>10s} {'customers s':>12s} {'total s':>8s} {'MiB after ingest':>17s} {'peak MiB':>9s}")
    totals = {}
    for case in runs:
        r = by_case[case]
        totals[case] = r["ingest_s"] + r["profile_s"] + r.get("customers_s", 0.0)
        print(f"{case:10s} {r['ingest_s']:9.2f} {r['profile_s']:10.2f} {r.get('customers_s', 0.0):12.2f} {totals[case]:8.2f} {r['ingest_mib']:17,.0f} {r['peak_mib']:9,.0f}")
    if len(runs) == 2:
        base, cards = by_case["nocards"], by_case["cards"]
        print(f"{'cards add':10s} {cards['ingest_s'] - base['ingest_s']:+9.2f} {cards['profile_s'] - base['profile_s']:+10.2f} "
              f"{cards['customers_s']:+12.2f} {totals['cards'] - totals['nocards']:+8.2f} {cards['ingest_mib'] - base['ingest_mib']:+17,.0f} {cards['peak_mib'] - base['peak_mib']:+9,.0f}"
              f"   (x{totals['cards'] / totals['nocards']:.2f} the run's time)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=int, default=30)
    parser.add_argument("--products", type=int, default=3000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--cards", type=int, default=200_000, help="cardholders")
    parser.add_argument("--lines", type=int, default=10_000_000, help="card lines")
    parser.add_argument("--cases", default="customers,nocards,cards")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "planner-customers-bench",
                        help="generated data (reused when the parameters match)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="write the figures per case here")
    args = parser.parse_args()

    args.workdir.mkdir(parents=True, exist_ok=True)
    figures = generate(args.workdir, stores=args.stores, products=args.products, weeks=args.weeks, cards=args.cards,
                       lines=args.lines, seed=args.seed)
    records = [measure(case, args.workdir, figures) for case in args.cases.split(",")]
    print_table(records, figures, args)
    if args.json:
        args.json.write_text(json.dumps({"chain": {k: v for k, v in figures.items() if k != "store_revenue"}, "cases": records}, indent=2) + "\n")


if __name__ == "__main__":
    main()
