"""Each demand rule pinned on small hand-made POS data: listed zeros, bulk lines, promotions, gaps, seasons, short history."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import TODAY, profiles_for

from planner import PlanConfig, build_profiles, load_chain
from planner.profiles.backtest import RESULT_COLUMNS, backtest
from planner.profiles.demand import window_nanmedian
from planner.profiles.forecast import seasonal_factors
from planner.profiles.substitution import delisting_events

FIRST_DAY = pd.Timestamp("2026-05-25")  # Monday; 26 weeks up to Sunday 2026-11-22
DAYS = pd.date_range(FIRST_DAY, "2026-11-22", freq="D")
PRODUCTS = pd.DataFrame(
    {
        "sku": ["000001", "000002", "000003", "000004", "000005"],
        "name": ["Milch", "Joghurt", "Brot", "Kaffee", "Tee"],
        "category": ["Dairy", "Dairy", "Bakery", "Pantry", "Pantry"],
        "fresh": [1, 1, 1, 0, 0],
        "price": [1.0, 2.0, 3.0, 5.0, 2.5],
        "unit_cost": [0.6, 1.2, 1.5, 3.0, 1.5],
        "shelf_space": [1, 1, 1, 1, 1],
        "case_pack": [6, 6, 4, 6, 6],
        "shelf_life_days": [10, 14, 2, 365, 365],
    }
)


def daily_lines(store: str, sku: str, per_day: float, seed: int, days: pd.DatetimeIndex = DAYS) -> pd.DataFrame:
    """Poisson daily totals for one store and product (only days with sales get a line)."""
    units = np.random.default_rng(seed).poisson(per_day, len(days))
    price = PRODUCTS.set_index("sku").at[sku, "price"]
    frame = pd.DataFrame({"date": days, "store_id": store, "sku": sku, "units": units.astype(float)})
    frame = frame[frame["units"] > 0]
    return frame.assign(revenue=frame["units"] * price)


def base_lines(stores: tuple[str, ...] = ("S1", "S2", "S3")) -> pd.DataFrame:
    """Every store sells every product steadily."""
    rates = {"000001": 6.0, "000002": 3.0, "000003": 4.0, "000004": 2.0, "000005": 1.5}
    parts = [daily_lines(s, sku, rate, seed=i * 10 + j) for i, s in enumerate(stores) for j, (sku, rate) in enumerate(rates.items())]
    return pd.concat(parts, ignore_index=True)


def write_chain(folder: Path, lines: pd.DataFrame, *, assortment: pd.DataFrame | None = None, promo: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stores = sorted(lines["store_id"].unique())
    pd.DataFrame({"store_id": stores, "name": stores, "town": "X", "shelf_capacity": 10, "inventory_budget": 1000}).to_csv(
        folder / "stores.csv", index=False
    )
    PRODUCTS.to_csv(folder / "products.csv", index=False)
    if assortment is not None:
        assortment.to_csv(folder / "assortment.csv", index=False)
    (folder / "pos").mkdir(exist_ok=True)
    out = lines.assign(date=lines["date"].dt.strftime("%Y-%m-%d")).sort_values(["date", "store_id", "sku"])
    columns = ["date", "store_id", "sku", "units", "revenue"] + (["promo"] if promo else [])
    out[columns].to_csv(folder / "pos" / "lines.csv", index=False)
    return folder


def pair(profiles, store: str, sku: str) -> pd.Series:
    return profiles.pairs.set_index(["store_id", "sku"]).loc[(store, sku)]


def test_zero_sales_while_listed_count_as_demand_but_never_carried_is_not(tmp_path: Path) -> None:
    lines = base_lines()
    stopped = (lines["store_id"] == "S1") & (lines["sku"] == "000004") & (lines["date"] >= "2026-09-28")
    never = (lines["store_id"] == "S2") & (lines["sku"] == "000005")
    lines = lines[~stopped & ~never]
    grid = lines[["store_id", "sku"]].drop_duplicates()
    assortment = pd.concat([grid, pd.DataFrame({"store_id": ["S1"], "sku": ["000004"]})]).drop_duplicates()
    _, profiles = profiles_for(write_chain(tmp_path / "c", lines, assortment=assortment))
    listed_zero = pair(profiles, "S1", "000004")
    assert listed_zero["listed_now"] and listed_zero["weeks_observed"] == 26
    assert listed_zero["units_per_week"] < 0.5 * pair(profiles, "S2", "000004")["units_per_week"]
    not_carried = pair(profiles, "S2", "000005")
    assert not not_carried["listed_now"] and not_carried["weeks_observed"] == 0
    assert not_carried["source"] == "other stores" and not_carried["units_per_week"] > 0


@pytest.mark.slow
def test_a_one_off_bulk_line_does_not_inflate_the_rate(tmp_path: Path) -> None:
    lines = base_lines()
    clean = profiles_for(write_chain(tmp_path / "clean", lines))[1]
    bulk = lines.index[(lines["store_id"] == "S1") & (lines["sku"] == "000002")][-10]
    lines.loc[bulk, ["units", "revenue"]] = [120.0, 240.0]
    chain, profiles = profiles_for(write_chain(tmp_path / "bulk", lines))
    assert chain.pos_report.counts.bulk_lines == 1 and chain.pos_report.counts.bulk_units > 100
    assert any("bulk" in w for w in chain.warnings)
    assert pair(profiles, "S1", "000002")["units_per_week"] == pytest.approx(pair(clean, "S1", "000002")["units_per_week"], rel=0.05)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_a_deal_line_is_never_a_bulk_line(tmp_path: Path, engine: str) -> None:
    """120 units at 30 % off on one day: customers stocking up on a deal, not a restaurant at the till."""
    lines = base_lines()
    clean = profiles_for(write_chain(tmp_path / "clean", lines))[1]
    deal = lines.index[(lines["store_id"] == "S1") & (lines["sku"] == "000002")][-10]
    lines.loc[deal, ["units", "revenue"]] = [120.0, 120 * 2.0 * 0.7]
    folder = write_chain(tmp_path / "deal", lines)
    chain = load_chain(folder, PlanConfig(), today=TODAY, engine=engine)
    assert chain.pos_report.counts.bulk_lines == 0
    week = pd.Timestamp(lines.at[deal, "date"]) - pd.Timedelta(days=pd.Timestamp(lines.at[deal, "date"]).day_of_week)
    weekly = chain.weekly.set_index(["store_id", "sku", "week_start"])
    assert weekly.at[("S1", "000002", week), "units"] >= 120  # every unit sold on the deal counts
    profiles = build_profiles(chain, PlanConfig())
    assert pair(profiles, "S1", "000002")["promo_weeks"] >= 1  # and the week stays out of the regular rate
    assert pair(profiles, "S1", "000002")["units_per_week"] == pytest.approx(pair(clean, "S1", "000002")["units_per_week"], rel=0.05)


@pytest.mark.slow
@pytest.mark.parametrize("signal", ["promo column", "price only"])
def test_promotion_weeks_leave_the_regular_price_baseline(tmp_path: Path, signal: str) -> None:
    lines = base_lines().assign(promo=0)
    clean = profiles_for(write_chain(tmp_path / "clean", lines, promo=True))[1]
    weeks = lines["date"].between("2026-10-05", "2026-10-11") | lines["date"].between("2026-11-02", "2026-11-08")
    target = weeks & (lines["store_id"] == "S1") & (lines["sku"] == "000001")
    lines.loc[target, "units"] *= 3
    lines.loc[target, "revenue"] = lines.loc[target, "units"] * 0.7  # 30 % off
    lines.loc[target, "promo"] = 1 if signal == "promo column" else 0
    _, profiles = profiles_for(write_chain(tmp_path / "promo", lines, promo=signal == "promo column"))
    promoted = pair(profiles, "S1", "000001")
    assert promoted["promo_weeks"] == 2
    assert promoted["units_per_week"] == pytest.approx(pair(clean, "S1", "000001")["units_per_week"], rel=0.1)
    # what the deals added, per listed week: 3x the units at 0.10 margin instead of 1x at 0.40, so they cost money
    mine = lines[(lines["store_id"] == "S1") & (lines["sku"] == "000001")]
    regular_week = mine.loc[~target[mine.index], "units"].sum() / 24  # 26 weeks, 2 on deal
    deal_profit = (mine.loc[target[mine.index], "revenue"] - 0.6 * mine.loc[target[mine.index], "units"]).sum()
    expected = (deal_profit - 2 * regular_week * (1.0 - 0.6)) / 26
    assert expected < 0
    assert promoted["promo_profit_per_week"] == 0  # POS shows a deal's price, not its (vendor-funded) cost: no loss counted
    sold = promoted["units_per_week"] - promoted["lost_units_per_week"]
    own = sold * 0.4 - promoted["waste_cost_per_week"]
    assert promoted["profit_per_week"] == pytest.approx(own)
    assert pair(clean, "S1", "000001")["promo_profit_per_week"] == 0
    # 20 % off and 3x the units: 0.20 margin on 3 units beats 0.40 on one, and that counts
    lines.loc[target, "revenue"] = lines.loc[target, "units"] * 0.8
    _, profiles = profiles_for(write_chain(tmp_path / "good deal", lines, promo=signal == "promo column"))
    deal_profit = (lines.loc[target, "revenue"] - 0.6 * lines.loc[target, "units"]).sum()
    gained = (deal_profit - 2 * regular_week * (1.0 - 0.6)) / 26
    assert gained > 0
    assert pair(profiles, "S1", "000001")["promo_profit_per_week"] == pytest.approx(gained, rel=0.15)


@pytest.mark.slow
def test_a_supplier_gap_is_not_read_as_zero_demand(tmp_path: Path) -> None:
    lines = base_lines()
    clean = profiles_for(write_chain(tmp_path / "clean", lines))[1]
    gap = (lines["store_id"] == "S1") & (lines["sku"] == "000001") & lines["date"].between("2026-08-03", "2026-09-13")
    _, profiles = profiles_for(write_chain(tmp_path / "gap", lines[~gap]))
    row = pair(profiles, "S1", "000001")
    assert row["gap_weeks"] == 6
    assert row["units_per_week"] == pytest.approx(pair(clean, "S1", "000001")["units_per_week"], rel=0.1)


@pytest.mark.slow
def test_a_store_with_two_weeks_of_history_gets_blended_profiles(tmp_path: Path) -> None:
    lines = base_lines()
    lines = lines[(lines["store_id"] != "S3") | (lines["date"] >= "2026-11-09")]
    chain, profiles = profiles_for(write_chain(tmp_path / "c", lines))
    young = pair(profiles, "S3", "000001")
    assert young["weeks_observed"] == 2 and young["source"] == "own history + other stores"
    assert 0.5 * 42 < young["units_per_week"] < 1.5 * 42  # 6 a day, 7 days
    result = backtest(chain, PlanConfig(), 4)
    assert list(result.table.columns) == RESULT_COLUMNS
    assert set(result.table["level"]) == {"overall", "store", "category", "new_listing"}


def test_yearly_season_is_read_from_a_year_ago() -> None:
    weeks = pd.date_range("2025-06-02", "2026-11-16", freq="7D")
    rows = []
    for week in weeks:
        christmas = pd.Timestamp("2025-11-24") <= week <= pd.Timestamp("2025-12-21")
        rows += [("S1", "000003", week, 3000.0 if christmas else 1000.0), ("S1", "000001", week, 1000.0)]
    weekly = pd.DataFrame(rows, columns=["store_id", "sku", "week_start", "units"])
    factors = seasonal_factors(weekly, PRODUCTS, pd.Timestamp("2026-11-16"), horizon=4)
    # a year ago the store's volume doubled in the planned weeks (2,000 -> 4,000 a week; medians of 3 weeks
    # keep the week before Christmas out of it); bakery carried it, flat dairy is pulled below the store's factor
    assert factors[("S1", "Bakery")] > 2.0 and factors[("S1", "Bakery")] > factors[("S1", "Dairy")] + 0.3
    assert 0.8 < factors[("S1", "Dairy")] < 2.0 - 0.3
    short = weekly[weekly["week_start"] >= "2026-01-05"]
    assert (seasonal_factors(short, PRODUCTS, pd.Timestamp("2026-11-16"), horizon=4) == 1.0).all()


@pytest.mark.slow
def test_backtest_runs_on_weekly_totals_with_26_weeks(tmp_path: Path) -> None:
    from planner.examples import write_synthetic_chain

    folder = write_synthetic_chain(tmp_path / "weekly", n_stores=4, n_products=60, n_weeks=26, seed=3)
    chain = load_chain(folder, PlanConfig(), today=TODAY)
    result = backtest(chain, PlanConfig(), 6)
    overall = result.table.set_index(["level", "key"]).loc[("overall", "all")]
    assert 0 < overall["wape"] < 1 and np.isfinite(overall["bias"])
    assert result.new_listing_pairs > 0 and np.isfinite(result.new_listing_mape)


def test_substitutes_from_a_group_column_or_subcategory_and_price_band() -> None:
    from planner.profiles.substitution import substitutes

    products = PRODUCTS.assign(subcategory=["Milch", "Milch", "Brot", "Heiss", "Heiss"], price=[1.0, 1.2, 3.0, 5.0, 2.5])
    by_rule = set(map(tuple, substitutes(products, price_band=0.35).to_numpy()))
    assert by_rule == {("000001", "000002"), ("000002", "000001")}  # coffee and tea: same subcategory, price too far apart
    by_group = set(map(tuple, substitutes(products.assign(substitute_group=["a", "", "a", "b", "b"]), 0.35).to_numpy()))
    assert by_group == {("000001", "000003"), ("000003", "000001"), ("000004", "000005"), ("000005", "000004")}


@pytest.mark.slow
def test_transfer_rate_is_measured_on_the_sample_delistings_or_defaults() -> None:
    from conftest import SAMPLE

    from planner.config import SubstitutionConfig
    from planner.profiles.demand import history_window, listed_today
    from planner.profiles.substitution import estimate_substitution

    chain = load_chain(SAMPLE, PlanConfig(), today=TODAY)
    listed = listed_today(chain, history_window(chain, PlanConfig().demand))
    measured = estimate_substitution(chain.weekly, chain.products, listed, SubstitutionConfig())
    raw = measured.events["gain"].sum() / measured.events["rate_before"].sum()
    assert len(measured.events) >= 15 and 0.3 < measured.transfer_rate < raw < 0.65  # planted 0.5: shrunk toward the prior 0.3
    default = estimate_substitution(chain.weekly, chain.products, listed, SubstitutionConfig(min_delisting_events=1000))
    assert default.transfer_rate == SubstitutionConfig().default_transfer_rate and "the prior" in default.source
    low, high = measured.interval
    assert low < 0.5 < high and high - low < 0.5


def test_a_history_of_two_weeks_has_no_delisting_events_and_does_not_fail() -> None:
    weekly = pd.DataFrame({"store_id": ["S1"] * 4, "sku": ["A", "A", "B", "B"],
                           "week_start": pd.to_datetime(["2026-11-09", "2026-11-16"] * 2), "units": [3.0, 0.0, 1.0, 2.0]})
    pairs = pd.DataFrame({"sku": ["A"], "substitute": ["B"]})
    assert delisting_events(weekly, pd.DataFrame(columns=["store_id", "sku"]), pairs).empty


def test_the_reference_price_median_is_numpys_nanmedian_to_the_bit() -> None:
    """promo_weeks' window medians (sorted once, not np.nanmedian per window): odd, even, one and no prices."""
    windows = np.array([[[1.0, np.nan, 3.0, 2.0, np.nan, np.nan], [0.1, 0.2, 0.3, 0.7, np.nan, np.nan],
                         [np.nan] * 6, [np.nan, np.nan, 4.5, np.nan, np.nan, np.nan], [5.0, 1.0, 2.0, 9.0, 3.0, 0.3]]])
    random = np.random.default_rng(3).gamma(2.0, 1.7, size=(500, 30, 6))
    random[np.random.default_rng(4).random(random.shape) < 0.5] = np.nan
    with pytest.warns(RuntimeWarning):  # numpy warns of the all-NaN windows; the new median gives NaN silently
        expected = [np.nanmedian(windows, axis=2), np.nanmedian(random, axis=2)]
    for got, want in zip([window_nanmedian(windows), window_nanmedian(random)], expected, strict=True):
        assert np.array_equal(got, want, equal_nan=True)
    assert window_nanmedian(windows)[0, 1] == (0.2 + 0.3) / 2 and np.isnan(window_nanmedian(windows)[0, 2])

