"""planner.examples: the synthetic chain's demand profiles have the shapes they promise, and smooth stays as it was."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner import PlanConfig, load_chain
from planner.examples import (
    CUT_WEEKS,
    DEMAND_PROFILES,
    USUAL_LISTING_CHANGES,
    _listing_spans,
    write_synthetic_chain,
)

# sha256 over every CSV (relative path, NUL, bytes, in path order), computed with the function as it
# was before demand profiles existed; tests and benchmarks depend on these files.
SMOOTH_DIGESTS = [
    ({}, "3f4e0b7cc7aca63fcd52dbc32c0232a01bf013fb33f26a45b139f94f69e40361"),
    ({"n_stores": 4, "n_products": 30, "n_weeks": 20, "seed": 3, "fresh": False},
     "143ada7deaf7bbd91b09b2e83792f66bac275490490b57e75a91060bc9a9cb9b"),
]


@pytest.fixture(scope="module")
def chains(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One small chain per profile (3 stores x 40 products x 30 weeks)."""
    root = tmp_path_factory.mktemp("profiles")
    return {name: write_synthetic_chain(root / name, seed=5, demand=name) for name in DEMAND_PROFILES}


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*.csv")):
        h.update(path.relative_to(folder).as_posix().encode())
        h.update(b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()


def pos_lines(folder: Path) -> pd.DataFrame:
    files = sorted((folder / "pos").rglob("*.csv"))
    lines = pd.concat([pd.read_csv(f, dtype={"sku": str, "store_id": str}).assign(file=f.name) for f in files], ignore_index=True)
    lines["date"] = pd.to_datetime(lines["date"], format="%Y-%m-%d")
    lines["week"] = lines["date"] - pd.to_timedelta(lines["date"].dt.day_of_week, unit="D")
    return lines


def listed_weeks(folder: Path) -> np.ndarray:
    """Weekly units of the pairs in assortment.csv (rows) over every week of the data (columns)."""
    lines = pos_lines(folder)
    weeks = pd.date_range(lines["week"].min(), lines["week"].max(), freq="7D")
    listed = pd.read_csv(folder / "assortment.csv", dtype=str)
    weekly = lines.groupby(["store_id", "sku", "week"])["units"].sum().unstack(fill_value=0)
    return weekly.reindex(index=pd.MultiIndex.from_frame(listed), columns=weeks, fill_value=0).to_numpy(float)


def products(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "products.csv", dtype={"sku": str})


@pytest.mark.parametrize(("kwargs", "expected"), SMOOTH_DIGESTS)
def test_smooth_is_unchanged(tmp_path: Path, kwargs: dict, expected: str) -> None:
    assert digest(write_synthetic_chain(tmp_path / "a", **kwargs)) == expected
    assert digest(write_synthetic_chain(tmp_path / "b", **kwargs, demand="smooth")) == expected


def test_unknown_profile_names_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"unknown demand profile 'spiky'; known profiles: smooth, intermittent, lumpy"):
        write_synthetic_chain(tmp_path, demand="spiky")
    assert not (tmp_path / "stores.csv").exists()


def test_fresh_profile_needs_fresh_products(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs fresh products"):
        write_synthetic_chain(tmp_path, demand="fresh", fresh=False)


def test_same_seed_same_files(tmp_path: Path) -> None:
    first = write_synthetic_chain(tmp_path / "a", seed=2, demand="lumpy")
    assert digest(first) == digest(write_synthetic_chain(tmp_path / "b", seed=2, demand="lumpy"))
    assert digest(first) != digest(write_synthetic_chain(tmp_path / "c", seed=3, demand="lumpy"))


@pytest.mark.slow
@pytest.mark.parametrize("name", DEMAND_PROFILES)
def test_every_profile_loads(chains: dict[str, Path], name: str) -> None:
    chain = load_chain(chains[name], PlanConfig())
    assert len(chain.stores) == 3
    assert len(chain.products) == 40
    assert chain.weekly["week_start"].nunique() == 30
    assert chain.weekly["units"].sum() > 0
    if name == "smooth":
        assert chain.pos_report.counts.return_lines == 0
    else:
        assert chain.pos_report.counts.return_lines > 0
        assert (chain.store_days["date"].dt.day_of_week < 6).all()  # closed on Sundays
        days = chain.store_days.groupby("store_id").size()
        assert days.max() <= 30 * 6
        assert days.min() >= 0.8 * 30 * 6  # Monday to Saturday; a small store of slow movers may miss a day


@pytest.mark.parametrize("name", [p for p in DEMAND_PROFILES if p != "smooth"])
def test_till_lines(chains: dict[str, Path], name: str) -> None:
    """Daily or per-purchase lines, one file per store and month, about 0.3 % returns, limits that bind."""
    folder = chains[name]
    lines = pos_lines(folder)
    assert lines.groupby(["store_id", "sku", "week"])["date"].nunique().max() > 1
    assert set(lines["file"]) >= {"2026-11.csv", "2026-05.csv"}
    returns = lines["units"] < 0
    assert returns.sum() >= 1
    assert returns.mean() < 0.01
    assert (lines.loc[returns, "revenue"] < 0).all()
    stores = pd.read_csv(folder / "stores.csv", dtype={"store_id": str}).set_index("store_id")
    listed = pd.read_csv(folder / "assortment.csv", dtype=str).merge(products(folder), on="sku")
    needed = listed.groupby("store_id")["shelf_space"].sum()
    assert (stores["shelf_capacity"] < needed).all()
    assert (stores["shelf_capacity"] >= 0.8 * needed).all()


def test_revenue_is_units_times_price(chains: dict[str, Path]) -> None:
    lines = pos_lines(chains["churn"]).merge(products(chains["churn"])[["sku", "price"]], on="sku")
    assert np.allclose(lines["revenue"], np.round(lines["units"] * lines["price"], 2))


def test_intermittent_weeks_are_mostly_zero(chains: dict[str, Path]) -> None:
    weekly = listed_weeks(chains["intermittent"])
    assert (weekly == 0).mean() > 0.5
    rates = weekly.mean(axis=1)
    assert np.mean((rates >= 0.05) & (rates <= 1.5)) > 0.7
    assert rates.max() > 2  # and a few faster products
    smooth = listed_weeks(chains["smooth"])
    assert (smooth == 0).mean() < 0.2


def test_lumpy_has_multi_unit_purchases(chains: dict[str, Path]) -> None:
    lines = pos_lines(chains["lumpy"])
    sales = lines[lines["units"] > 0]
    assert set(sales["units"]) == {1, 2, 6, 12, 24}
    assert sales.loc[sales["units"] >= 6, "units"].sum() / sales["units"].sum() > 0.5
    assert sales.groupby(["store_id", "sku", "date"]).size().max() > 1  # every purchase its own line


def test_overdispersed_variance_is_several_times_the_mean(chains: dict[str, Path]) -> None:
    def ratio(name: str) -> float:
        weekly = listed_weeks(chains[name])
        weekly = weekly[weekly.mean(axis=1) > 0]
        return float(np.median(weekly.var(axis=1, ddof=1) / weekly.mean(axis=1)))

    assert 2.5 < ratio("overdispersed") < 10
    assert ratio("smooth") < 1.5


def test_promotions_cut_the_price_and_half_the_stores_flag_them(chains: dict[str, Path]) -> None:
    folder = chains["promotions"]
    headers = {p.parent.name: p.read_text().splitlines()[0] for p in (folder / "pos").rglob("*.csv")}
    flagging = {store for store, header in headers.items() if header.endswith(",promo")}
    assert flagging
    assert flagging != set(headers)
    lines = pos_lines(folder).merge(products(folder)[["sku", "price"]], on="sku")
    lines = lines[lines["units"] > 0]
    cut = 1 - lines["revenue"] / lines["units"] / lines["price"]
    flagged = lines["promo"] == 1
    assert 0.05 < flagged[lines["store_id"].isin(flagging)].mean() < 0.35
    assert cut[flagged].between(0.13, 0.32).all()
    assert (cut[lines["promo"] == 0].abs() < 1e-6).all()
    unflagged = ~lines["store_id"].isin(flagging)
    assert (cut[unflagged] > 0.13).mean() > 0.05  # their deals show only in the price
    deal_weeks = lines[cut > 0.13].groupby("sku")["week"].nunique()
    assert deal_weeks.between(1, 5).all()  # 10-15 % of 30 weeks
    assert 3 <= deal_weeks.median() <= 4


def test_fresh_products_have_short_shelf_lives(chains: dict[str, Path]) -> None:
    table = products(chains["fresh"])
    fresh = table[table["fresh"] == 1]
    assert len(fresh) >= 0.45 * len(table)
    assert fresh["shelf_life_days"].between(1, 5).all()
    lines = pos_lines(chains["fresh"])
    sales = lines[lines["units"] > 0]
    assert not sales.duplicated(["store_id", "sku", "date"]).any()  # one line per store, product and day with sales
    by_day = lines.groupby(lines["date"].dt.day_of_week)["units"].sum()
    assert list(by_day.index) == [0, 1, 2, 3, 4, 5]
    assert by_day[5] > 1.2 * by_day[0]


def test_churn_lists_and_delists_during_the_history(chains: dict[str, Path]) -> None:
    folder = chains["churn"]
    lines = pos_lines(folder)
    weeks = sorted(lines["week"].unique())
    span = lines[lines["units"] > 0].groupby(["store_id", "sku"])["week"].agg(["min", "max"])
    in_listing = span.index.isin(pd.MultiIndex.from_frame(pd.read_csv(folder / "assortment.csv", dtype=str)))
    listed, delisted = span[in_listing], span[~in_listing]
    assert (listed["min"] >= weeks[-13]).sum() >= 2  # new listings after a 13-week cut
    assert ((listed["min"] > weeks[2]) & (listed["min"] < weeks[-13])).sum() >= 2
    assert (listed["max"] >= weeks[-3]).mean() > 0.9  # the listing sells to the end
    assert 0.05 < len(delisted) / (3 * 40) < 0.15
    assert (delisted["max"] <= weeks[-3]).all()  # and the delisted pairs stop before it


@pytest.mark.parametrize("name", [p for p in DEMAND_PROFILES if p != "smooth"])
def test_every_profile_delists_a_few_pairs(chains: dict[str, Path], name: str) -> None:
    """Pairs that sold but are not in assortment.csv were delisted during the history; churn has more."""
    lines = pos_lines(chains[name])
    sold = pd.MultiIndex.from_frame(lines.loc[lines["units"] > 0, ["store_id", "sku"]].drop_duplicates())
    listed = pd.MultiIndex.from_frame(pd.read_csv(chains[name] / "assortment.csv", dtype=str))
    share = (~sold.isin(listed)).sum() / (3 * 40)
    if name == "churn":
        assert 0.05 < share < 0.15
    else:
        assert 0 < share < 0.06


def test_listing_spans_start_before_and_after_the_cut() -> None:
    listed = np.random.default_rng(0).random((6, 150)) < 0.75
    start, stop = _listing_spans(np.random.default_rng(1), listed, 52, *USUAL_LISTING_CHANGES)
    starts = start > 0
    assert not (starts & ~listed).any()
    assert 0.015 < starts.mean() < 0.05
    assert (start[starts] < 52 - CUT_WEEKS).any()
    assert (start[starts] >= 52 - CUT_WEEKS).any()
    assert (stop[listed] == 52).all()
    stopped = ~listed & (stop > 0)
    assert 0.01 < stopped.mean() < 0.04
    assert (stop[stopped] < 52).all()


def test_local_taste_differs_between_stores(chains: dict[str, Path]) -> None:
    """A category's share of a store's units differs between stores, so localising pays."""
    lines = pos_lines(chains["overdispersed"]).merge(products(chains["overdispersed"])[["sku", "category"]], on="sku")
    shares = lines.pivot_table(index="store_id", columns="category", values="units", aggfunc="sum", fill_value=0)
    shares = shares.div(shares.sum(axis=1), axis=0)
    assert (shares.max() / shares.min().clip(lower=1e-9)).max() > 1.5
