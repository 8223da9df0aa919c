"""Weekly demand per store and product from the store's own POS history.

The history window is the last `history_weeks` weeks of data. A product counts as listed in a
store from its first to its last sale there (to the end of the data if the store lists it today);
a listed week without a sale is a week of zero demand. Weeks in which a store has no POS data at
all (till outage, closure), or under half its usual trading days, are left out, not read as zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.config import DemandConfig
from planner.inputs import ChainData

RECENT_WEEKS_FOR_LISTING = 4  # without assortment.csv: sold in the store's last 4 trading weeks = listed today


@dataclass
class History:
    """The weeks a profile is built from."""

    weeks: pd.DatetimeIndex  # Mondays of the history window, oldest first
    active: pd.DataFrame  # store_id x week_start -> bool: the store traded that week
    excluded_weeks: dict[str, list[str]]  # store -> ISO dates of left-out weeks (outage or partial)


def history_window(chain: ChainData, config: DemandConfig) -> History:
    """The last `history_weeks` weeks with data, and which stores traded in each."""
    days = chain.store_days.assign(week_start=lambda d: d["date"] - pd.to_timedelta(d["date"].dt.day_of_week, unit="D"))
    days_per_week = days.groupby(["store_id", "week_start"]).size().unstack(fill_value=0)
    last_week = days_per_week.columns.max()
    first_week = max(days_per_week.columns.min(), last_week - pd.Timedelta(weeks=config.history_weeks - 1))
    weeks = pd.date_range(first_week, last_week, freq="7D")
    days_per_week = days_per_week.reindex(index=chain.store_ids, columns=weeks, fill_value=0)
    usual = days_per_week.replace(0, np.nan).median(axis=1).fillna(0)
    active = days_per_week.ge(0.5 * usual, axis=0) & (days_per_week > 0)
    excluded = {}
    for store, row in active.iterrows():
        has_any = days_per_week.loc[store] > 0
        if has_any.any():
            span = (weeks >= weeks[has_any.to_numpy()].min()) & (weeks <= weeks[has_any.to_numpy()].max())
            left_out = weeks[span & ~row.to_numpy()]
            if len(left_out):
                excluded[str(store)] = [w.date().isoformat() for w in left_out]
    return History(weeks, active, excluded)


def listed_today(chain: ChainData, history: History) -> pd.DataFrame:
    """(store_id, sku) pairs listed today: assortment.csv, or else sold in the store's last trading weeks."""
    if chain.assortment is not None:
        return chain.assortment[["store_id", "sku"]].drop_duplicates()
    recent_weeks = {
        store: set(history.weeks[row.to_numpy()][-RECENT_WEEKS_FOR_LISTING:]) for store, row in history.active.iterrows()
    }
    sold = chain.weekly[chain.weekly["units"] > 0]
    recent = [week in recent_weeks.get(store, set()) for store, week in zip(sold["store_id"], sold["week_start"], strict=True)]
    return sold.loc[recent, ["store_id", "sku"]].drop_duplicates().reset_index(drop=True)


def own_rates(chain: ChainData, history: History, listed: pd.DataFrame, config: DemandConfig) -> pd.DataFrame:
    """Recency-weighted weekly rate, spread and trend for every pair with listed weeks in the window.

    Columns: store_id, sku, listed_now, weeks_observed, units_per_week, sd_units_per_week, trend_pct_per_week.
    """
    weekly = chain.weekly
    sold = weekly[weekly["units"] > 0]
    span = sold.groupby(["store_id", "sku"])["week_start"].agg(first_sale="min", last_sale="max")
    listed_index = pd.MultiIndex.from_frame(listed[["store_id", "sku"]])
    pairs = span.index.union(listed_index)
    span = span.reindex(pairs)
    listed_now = pairs.isin(listed_index)
    store_last = history.active.apply(lambda row: history.weeks[row.to_numpy()].max() if row.any() else pd.NaT, axis=1)
    # listed today: listed to the end of the data; never sold but listed: listed for the whole window
    last = np.where(listed_now, store_last.reindex(pairs.get_level_values(0)).to_numpy(), span["last_sale"].to_numpy())
    first = span["first_sale"].fillna(history.weeks[0]).to_numpy()

    week_values = history.weeks.to_numpy()
    in_window = weekly[weekly["week_start"].isin(history.weeks)]
    units = np.zeros((len(pairs), len(week_values)))
    rows = pairs.get_indexer(pd.MultiIndex.from_frame(in_window[["store_id", "sku"]]))
    cols = history.weeks.get_indexer(in_window["week_start"])
    np.add.at(units, (rows, cols), in_window["units"].to_numpy())
    active = history.active.reindex(pairs.get_level_values(0)).to_numpy(dtype=bool)
    mask = active & (week_values[None, :] >= first[:, None]) & (week_values[None, :] <= last[:, None])
    units = np.clip(units, 0, None)  # a week with more returns than sales is a week of no demand

    age = np.arange(len(week_values))[::-1]
    weights = mask * 0.5 ** (age / config.recency_half_life_weeks)[None, :]
    total = weights.sum(axis=1)
    observed = total > 0
    safe_total = np.where(observed, total, 1.0)
    rate = (weights * units).sum(axis=1) / safe_total
    var = week_to_week_variance(units, mask, weights)
    t = np.arange(len(week_values), dtype=float)
    t_mean = (weights * t).sum(axis=1) / safe_total
    t_dev = (t[None, :] - t_mean[:, None]) * mask
    slope_den = (weights * t_dev**2).sum(axis=1)
    slope = np.where(slope_den > 0, (weights * t_dev * (units - rate[:, None])).sum(axis=1) / np.where(slope_den > 0, slope_den, 1), 0.0)
    frame = pd.DataFrame(
        {
            "store_id": pairs.get_level_values(0),
            "sku": pairs.get_level_values(1),
            "listed_now": listed_now,
            "weeks_observed": mask.sum(axis=1),
            "units_per_week": rate,
            "sd_units_per_week": np.sqrt(var),
            "trend_pct_per_week": np.where(rate > 0, 100 * slope / np.where(rate > 0, rate, 1), 0.0),
        }
    )
    return frame[observed | listed_now].reset_index(drop=True)


def week_to_week_variance(units: np.ndarray, mask: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Variance of weekly demand from successive differences: E[(u_t - u_t-1)^2] / 2.

    Unlike the spread around one mean, it is not inflated by a trend or a seasonal ramp (Christmas
    goods in November), which would otherwise read as noise and oversize the fresh waste estimate.
    Falls back to the spread around the mean for pairs with fewer than two consecutive listed weeks.
    """
    both = mask[:, 1:] & mask[:, :-1]
    pair_weights = weights[:, 1:] * both
    total = pair_weights.sum(axis=1)
    diff_var = (pair_weights * np.diff(units, axis=1) ** 2).sum(axis=1) / np.where(total > 0, 2 * total, 1.0)
    weight_sum = weights.sum(axis=1)
    mean = (weights * units).sum(axis=1) / np.where(weight_sum > 0, weight_sum, 1.0)
    spread = (weights * (units - mean[:, None]) ** 2).sum(axis=1) / np.where(weight_sum > 0, weight_sum, 1.0)
    return np.where(total > 0, diff_var, spread)


def store_traffic(chain: ChainData, history: History) -> pd.Series:
    """Units per trading week of each store over the window (all known products): the store's size.

    A store without POS data gets the median of the others, scaled by its shelf capacity.
    """
    in_window = chain.weekly[chain.weekly["week_start"].isin(history.weeks)]
    units = in_window.groupby("store_id")["units"].sum().reindex(chain.store_ids, fill_value=0.0)
    weeks = history.active.sum(axis=1).reindex(chain.store_ids, fill_value=0)
    traffic = (units / weeks.where(weeks > 0)).astype(float)
    known = traffic.notna() & (traffic > 0)
    if not known.all() and known.any():
        capacity = chain.stores.set_index("store_id")["shelf_capacity"].astype(float)
        per_shelf_unit = (traffic[known] / capacity[known]).median()
        traffic[~known] = capacity[~known] * per_shelf_unit
    return traffic.fillna(0.0)
