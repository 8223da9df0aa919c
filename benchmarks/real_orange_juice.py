"""Dominick's Finer Foods chilled orange juice in the planner's input contract, and its decision backtest.

    python benchmarks/real_orange_juice.py [--cache DIR] [--out DIR]

Real scanner data of a Chicago grocery chain, 1990-1992: 83 stores, 11 brands, 121 weeks, with the
weekly shelf price, in-store deals and the gross margin of every store, brand and week. It ships as
`orangeJuice.rda` in R's bayesm package, which Debian packages as r-cran-bayesm: `fetch` downloads
that package once (`apt-get download`, `dpkg-deb -x`) into the cache folder; reading the .rda needs
`pip install rdata` (a benchmark-only dependency, not one of the planner's).

From the data (`orangeJuice$yx`, `orangeJuice$storedemo`):
- POS: one line per store, brand and week. `exp(logmove)` is ounces sold (the R help says units,
  but at 64 oz a carton the median would be 4,400 cartons per brand and store a week); units =
  ounces / the brand's package size, rounded. revenue = units x the week's package price (price#
  is dollars per ounce). `promo` = `deal` (in-store coupon). Dominick's weeks run Thursday to
  Wednesday, week 1 from 1989-09-14 (the Kilts Center's week table); the juice data holds weeks 40
  (1990-06-14) to 160 (1992-10-01), all 121 present. A line is a weekly total dated on the Monday of
  the ISO week that holds its first four days (Thursday - 3 days: week 40 -> 1990-06-11, week 160 ->
  1992-09-28), so each Dominick's week is one planner week. Weeks a store has no line (394 store-weeks)
  are weeks without data, not zero sales, as the planner reads them.
- products.csv: price = the brand's median package price in weeks without a deal; unit_cost =
  price x (1 - the brand's median `profit` / 100 in those weeks) (`profit` is the gross margin in
  percent; deal weeks have 2-11 points less margin at a similar cost, so the all-weeks median
  paired with the regular price would overstate the cost by 1-9 %). Package sizes from bayesm's
  documentation (man/orangeJuice.Rd): 64 oz, except Tropicana Premium and Minute Maid 96 oz and
  Dominick's 128 oz; the data agrees: every brand's ounces are whole multiples of its size.
- stores.csv: the demographics as store attributes (age60, educ, ethnic, income, hhlarge, workwom,
  hval150, sstrdist, sstrvol, cpdist5, cpwvol5).

Set here because the data lacks them (assumptions, not data):
- fresh = 1 (chilled juice), shelf_life_days = 28 (a chilled carton's shelf life on delivery).
- shelf_space = package ounces / 32 (2 shelf units a 64 oz carton, 3 for 96 oz, 4 for 128 oz),
  case_pack = 8 (64 oz), 6 (96 oz), 4 (128 oz).
- Each store's shelf capacity = 70 % of the shelf units of the brands it sold in its first 13 weeks
  (18 of 26: every store sells all 11 brands), and its inventory budget = 75 % of the stock they tie
  up at their regular-week rates then (unit_cost x (case_pack + 2 days of demand), the planner's
  formula with its default 2-day fresh delivery cycle; deal weeks left out as the planner's rate leaves
  them out, else the budget would exceed what all 11 brands need): no store can carry every brand,
  so every store must choose. Only the first 13 weeks are used, so nothing is set from the weeks
  the backtests score.
- name = "Dominick's <store number>", town = "Chicago area" (the data has neither); ids are D002,
  OJ01 ... (text). Two extra product columns: brand and pack_oz (dimensions of the local index).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

DEB = "r-cran-bayesm"
RDA = "orangeJuice.rda"
WEEK_ONE = pd.Timestamp("1989-09-14")  # Dominick's week 1 began on this Thursday
MONDAY_BEFORE = pd.Timedelta(days=3)  # from a week's Thursday start to the Monday of its ISO week
BRANDS = [  # (name, ounces per package), in the order of price1 .. price11
    ("Tropicana Premium 64 oz", 64), ("Tropicana Premium 96 oz", 96), ("Florida's Natural 64 oz", 64),
    ("Tropicana 64 oz", 64), ("Minute Maid 64 oz", 64), ("Minute Maid 96 oz", 96), ("Citrus Hill 64 oz", 64),
    ("Tree Fresh 64 oz", 64), ("Florida Gold 64 oz", 64), ("Dominicks 64 oz", 64), ("Dominicks 128 oz", 128),
]
CASE_PACK = {64: 8, 96: 6, 128: 4}
SHELF_LIFE_DAYS = 28
SHELF_SHARE, BUDGET_SHARE = 0.70, 0.75  # of what the store's first 13 weeks' range needs
DELIVERY_DAYS = 2  # the planner's default fresh delivery cycle


def fetch(cache: Path) -> Path:
    """The path of orangeJuice.rda, downloaded and unpacked into `cache` the first time."""
    found = sorted(cache.glob(f"**/bayesm/data/{RDA}"))
    if found:
        return found[0]
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        msg = (f"{RDA} is not in {cache}, and fetching it needs apt-get and dpkg-deb (Debian's {DEB}), "
               f"which this machine lacks: unpack {DEB}'s .deb (or copy bayesm/data/{RDA}) into {cache}")
        raise RuntimeError(msg)
    cache.mkdir(parents=True, exist_ok=True)
    download = subprocess.run(["apt-get", "download", DEB], cwd=cache, capture_output=True, text=True, check=False)
    packages = sorted(cache.glob(f"{DEB}_*.deb"))
    if not packages:
        raise RuntimeError(f"apt-get download {DEB} failed: {download.stderr.strip()[-300:]}")
    subprocess.run(["dpkg-deb", "-x", str(packages[-1]), str(cache / "unpacked")], check=True)
    return fetch(cache)


def read_orange_juice(rda: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The yx and storedemo tables of the .rda file."""
    try:
        import rdata
    except ImportError:
        msg = "reading the orange-juice data needs the rdata package (a benchmark-only dependency): pip install rdata"
        raise RuntimeError(msg) from None
    if hasattr(rdata, "read_rda"):  # rdata >= 0.10
        data = rdata.read_rda(str(rda))["orangeJuice"]
    else:
        data = rdata.conversion.convert(rdata.parser.parse_file(str(rda)))["orangeJuice"]
    return pd.DataFrame(data["yx"]), pd.DataFrame(data["storedemo"])


def write_orange_juice_chain(rda: Path, folder: Path) -> Path:
    """Write the chain in the input contract to `folder` (replaced if it exists) and return it."""
    yx, demo = read_orange_juice(rda)
    ounces = np.array([oz for _name, oz in BRANDS], dtype=float)
    brand = yx["brand"].astype(int).to_numpy() - 1
    prices = yx[[f"price{i}" for i in range(1, len(BRANDS) + 1)]].to_numpy(dtype=float)
    package_price = prices[np.arange(len(yx)), brand] * ounces[brand]
    lines = pd.DataFrame({
        "date": (WEEK_ONE - MONDAY_BEFORE + pd.to_timedelta(7 * (yx["week"].astype(int) - 1), unit="D"))
        .dt.strftime("%Y-%m-%d").to_numpy(),
        "store_id": [f"D{int(s):03d}" for s in yx["store"]],
        "sku": [f"OJ{b + 1:02d}" for b in brand],
        "units": np.rint(np.exp(yx["logmove"].to_numpy(dtype=float)) / ounces[brand]).astype(int),
        "price": package_price,
        "promo": yx["deal"].astype(int).to_numpy(),
        "margin_pct": yx["profit"].to_numpy(dtype=float),
    })
    lines = lines[lines["units"] > 0]
    lines["revenue"] = np.round(lines["units"] * lines["price"], 2)
    products = _products(lines)
    stores = _stores(lines, products, demo)
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "pos").mkdir(parents=True)
    products.to_csv(folder / "products.csv", index=False)
    stores.to_csv(folder / "stores.csv", index=False)
    for store_id, part in lines.groupby("store_id"):
        (folder / "pos" / store_id).mkdir()
        part.sort_values(["date", "sku"])[["date", "store_id", "sku", "units", "revenue", "promo"]].to_csv(
            folder / "pos" / store_id / "orange_juice.csv", index=False)
    return folder


def _products(lines: pd.DataFrame) -> pd.DataFrame:
    skus = [f"OJ{i:02d}" for i in range(1, len(BRANDS) + 1)]
    regular = lines[lines["promo"] == 0].groupby("sku")["price"].median()
    margin = lines[lines["promo"] == 0].groupby("sku")["margin_pct"].median()
    margin = margin.reindex(skus).fillna(lines.groupby("sku")["margin_pct"].median())
    price = regular.reindex(skus).fillna(lines.groupby("sku")["price"].median()).round(2)
    oz = [oz for _name, oz in BRANDS]
    return pd.DataFrame({
        "sku": skus, "name": [name for name, _oz in BRANDS], "category": "Refrigerated Orange Juice", "fresh": 1,
        "price": price.to_numpy(), "unit_cost": (price * (1 - margin / 100)).round(2).to_numpy(),
        "shelf_space": [o // 32 for o in oz], "case_pack": [CASE_PACK[o] for o in oz], "shelf_life_days": SHELF_LIFE_DAYS,
        "brand": [name.rsplit(" ", 2)[0] for name, _oz in BRANDS], "pack_oz": oz,
    })


def _stores(lines: pd.DataFrame, products: pd.DataFrame, demo: pd.DataFrame) -> pd.DataFrame:
    """Limits from each store's first 13 weeks: it cannot carry all it sold then."""
    product = products.set_index("sku")
    first = lines.groupby("store_id")["date"].transform("min")
    early = lines[pd.to_datetime(lines["date"]) < pd.to_datetime(first) + pd.Timedelta(weeks=13)]
    # the regular-price rate, as the planner sizes stock: deal weeks sell 1.5-3x and would inflate the need
    regular = early[early["promo"] == 0].groupby(["store_id", "sku"])["units"].mean()
    rate = regular.reindex(early.groupby(["store_id", "sku"]).size().index).fillna(early.groupby(["store_id", "sku"])["units"].median())
    skus = rate.index.get_level_values("sku")
    shelf = product["shelf_space"].reindex(skus).to_numpy() * 1.0
    stock = product["unit_cost"].reindex(skus).to_numpy() * (product["case_pack"].reindex(skus).to_numpy() + rate.to_numpy() * DELIVERY_DAYS / 7)
    need = pd.DataFrame({"shelf": shelf, "stock": stock}, index=rate.index).groupby(level="store_id").sum()
    demo = demo.assign(store_id=[f"D{int(s):03d}" for s in demo["STORE"]]).drop(columns="STORE").set_index("store_id")
    demo.columns = [c.lower() for c in demo.columns]
    stores = pd.DataFrame({
        "store_id": need.index, "name": [f"Dominick's {s[1:].lstrip('0')}" for s in need.index], "town": "Chicago area",
        "shelf_capacity": np.maximum(np.floor(SHELF_SHARE * need["shelf"]), product["shelf_space"].max()).astype(int).to_numpy(),
        "inventory_budget": np.round(BUDGET_SHARE * need["stock"], 0).to_numpy(),
    })
    return stores.join(demo.round(4), on="store_id")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "planner-benchmarks",
                        help="Where the Debian package is downloaded and unpacked once (default: %(default)s).")
    parser.add_argument("--out", type=Path, help="The data folder to write, replaced if it exists (default: a new temporary folder).")
    parser.add_argument("--cut-weeks", type=int, default=13, help="The decision backtest's cut, weeks before the end (default: 13).")
    args = parser.parse_args()
    try:
        rda = fetch(args.cache.expanduser())
        folder = write_orange_juice_chain(rda, args.out or Path(tempfile.mkdtemp(prefix="orange-juice-")) / "orange juice")
    except RuntimeError as error:
        sys.exit(f"error: {error}")
    print(f"wrote the orange-juice chain to {folder}", file=sys.stderr)
    planner = [sys.executable, "-m", "planner"]
    for command in (["validate", str(folder)],
                    ["backtest", str(folder), "--decisions", "--cut-weeks", str(args.cut_weeks)]):
        done = subprocess.run([*planner, *command], check=False)
        if done.returncode:
            sys.exit(f"error: planner {command[0]} exited with {done.returncode} (data folder: {folder})")


if __name__ == "__main__":
    main()
