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
  is dollars per ounce). `promo` = `deal` (in-store coupon). Dominick's week 1 began on Thursday
  1989-09-14; each line is dated on the Thursday its week began (the juice data runs from week 40,
  1990-06-14, to week 160, 1992-10-01). Weeks a store has no line are weeks without data, not zero
  sales, as the planner reads them.
- products.csv: price = the brand's median package price in weeks without a deal; unit_cost =
  price x (1 - the brand's median `profit` / 100) (`profit` is the gross margin in percent).
  Package sizes from bayesm's documentation: 64 oz, except Tropicana Premium and Minute Maid 96 oz
  and Dominick's 128 oz.
- stores.csv: the demographics as store attributes (age60, educ, ethnic, income, hhlarge, workwom,
  hval150, sstrdist, sstrvol, cpdist5, cpwvol5).

Set here because the data lacks them (assumptions, not data):
- fresh = 1 (chilled juice), shelf_life_days = 28 (a chilled carton's shelf life on delivery).
- shelf_space = package ounces / 32 (2 shelf units a 64 oz carton, 3 for 96 oz, 4 for 128 oz),
  case_pack = 8 (64 oz), 6 (96 oz), 4 (128 oz).
- Each store's shelf capacity = 70 % of the shelf units of the brands it sold in its first 13 weeks,
  and its inventory budget = 75 % of the stock they tie up at their rates then (unit_cost x
  (case_pack + 2 days of demand)): no store can carry every brand, so every store must choose.
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
        raise RuntimeError(f"{RDA} is not in {cache} and apt-get / dpkg-deb are missing to fetch Debian's {DEB}")
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
        raise RuntimeError("reading the orange-juice data needs the rdata package: pip install rdata") from None
    data = rdata.read_rda(str(rda))["orangeJuice"]
    return pd.DataFrame(data["yx"]), pd.DataFrame(data["storedemo"])


def write_orange_juice_chain(rda: Path, folder: Path) -> Path:
    """Write the chain in the input contract to `folder` (replaced if it exists) and return it."""
    yx, demo = read_orange_juice(rda)
    ounces = np.array([oz for _name, oz in BRANDS], dtype=float)
    brand = yx["brand"].astype(int).to_numpy() - 1
    prices = yx[[f"price{i}" for i in range(1, len(BRANDS) + 1)]].to_numpy(dtype=float)
    package_price = prices[np.arange(len(yx)), brand] * ounces[brand]
    lines = pd.DataFrame({
        "date": (WEEK_ONE + pd.to_timedelta(7 * (yx["week"].astype(int) - 1), unit="D")).dt.strftime("%Y-%m-%d").to_numpy(),
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
    regular = lines[lines["promo"] == 0].groupby("sku")["price"].median()
    margin = lines.groupby("sku")["margin_pct"].median()
    skus = [f"OJ{i:02d}" for i in range(1, len(BRANDS) + 1)]
    price = regular.reindex(skus).fillna(lines.groupby("sku")["price"].median()).round(2)
    oz = [oz for _name, oz in BRANDS]
    return pd.DataFrame({
        "sku": skus, "name": [name for name, _oz in BRANDS], "category": "Refrigerated Orange Juice", "fresh": 1,
        "price": price.to_numpy(), "unit_cost": (price * (1 - margin.reindex(skus) / 100)).round(2).to_numpy(),
        "shelf_space": [o // 32 for o in oz], "case_pack": [CASE_PACK[o] for o in oz], "shelf_life_days": SHELF_LIFE_DAYS,
        "brand": [name.rsplit(" ", 2)[0] for name, _oz in BRANDS], "pack_oz": oz,
    })


def _stores(lines: pd.DataFrame, products: pd.DataFrame, demo: pd.DataFrame) -> pd.DataFrame:
    """Limits from each store's first 13 weeks: it cannot carry all it sold then."""
    product = products.set_index("sku")
    first = lines.groupby("store_id")["date"].transform("min")
    early = lines[pd.to_datetime(lines["date"]) < pd.to_datetime(first) + pd.Timedelta(weeks=13)]
    rate = early.groupby(["store_id", "sku"])["units"].sum() / 13
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
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "planner-benchmarks")
    parser.add_argument("--out", type=Path, help="The data folder to write (default: a temporary folder)")
    parser.add_argument("--cut-weeks", type=int, default=13)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="orange-juice-") as tmp:
        folder = write_orange_juice_chain(fetch(args.cache), args.out or Path(tmp) / "orange juice")
        print(f"wrote {folder}", file=sys.stderr)
        planner = [sys.executable, "-m", "planner"]
        subprocess.run([*planner, "validate", str(folder)], check=True)
        subprocess.run([*planner, "backtest", str(folder), "--decisions", "--cut-weeks", str(args.cut_weeks)], check=True)


if __name__ == "__main__":
    main()
