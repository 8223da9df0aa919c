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
from planner.profiles.forecast import (
    damped_trend_forecast,
    intermittent_forecast,
    seasonal_factors,
)
from planner.schemas import KEY, STORE_ID

PROMO_WINDOW = 6  # weeks either side that set a week's reference price
RECENT_WEEKS_FOR_LISTING = 4  # without assortment.csv: sold in the store's last 4 trading weeks = listed today
RECENT_SHARE_WEEKS = 4  # a product's last listed weeks, weighed against its long-run share
SHARE_PRIOR_WEEKS = 4.0  # the long-run share counts as this many weeks of the pair's own sales
ADI_CUT, CV2_CUT = 1.32, 0.49  # Syntetos-Boylan: weeks per sale and squared variation of the sale sizes


@dataclass
class History:
    """The weeks a profile is built from."""

    weeks: pd.DatetimeIndex  # Mondays of the history window, oldest first
    active: pd.DataFrame  # store_id x week_start -> bool: the store traded that week
    excluded_weeks: dict[str, list[str]]  # store -> ISO dates of left-out weeks (outage or partial)

    def recent_weeks(self, n: int) -> pd.DataFrame:
        """(store_id, week_start) of each store's last `n` trading weeks."""
        return pd.DataFrame(
            [(store, week) for store, row in self.active.iterrows() for week in self.weeks[row.to_numpy()][-n:]],
            columns=[STORE_ID, "week_start"],
        )


def history_window(chain: ChainData, config: DemandConfig) -> History:
    """The last `history_weeks` weeks with data, and which stores traded in each."""
    days = chain.store_days.assign(week_start=lambda d: d["date"] - pd.to_timedelta(d["date"].dt.day_of_week, unit="D"))
    days_per_week = days.groupby([STORE_ID, "week_start"]).size().unstack(fill_value=0)
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
        return chain.assortment[KEY].drop_duplicates()
    sold = chain.weekly.loc[chain.weekly["units"] > 0, [*KEY, "week_start"]]
    return sold.merge(history.recent_weeks(RECENT_WEEKS_FOR_LISTING))[KEY].drop_duplicates().reset_index(drop=True)


def own_rates(chain: ChainData, history: History, listed: pd.DataFrame, config: DemandConfig) -> pd.DataFrame:
    """Forecast weekly rate, spread and trend for every pair with listed weeks in the window.

    A week counts for the rate when the store traded, the product was listed (first sale to last
    sale, or to the end if listed today), it is not inside a listing gap and not a promotion week.
    The rate is the pair's recency-weighted share of its store-category volume in those weeks,
    times the forecast of that volume (forecast.py: damped trend and yearly season).

    Promotion weeks stay out of the rate; what they added is kept apart, per listed week of the pair:
    promo_extra_units = (units in promotion weeks - promotion weeks x the regular rate) / listed weeks,
    promo_extra_revenue = (revenue in promotion weeks - promotion weeks x regular rate x regular unit
    price) / listed weeks (negative where deals sold less than their price cut gave away).

    The method follows the pair's demand class (`demand_classes`): smooth and erratic pairs get the share
    forecast, intermittent and lumpy pairs (a sale every 1.32 weeks or less often) ADIDA on their
    counted weeks (statsforecast), times the store-category season (forecast.py says why).

    Columns: store_id, sku, listed_now, weeks_observed, gap_weeks, promo_weeks, weeks_since_first_sale, demand_class,
    forecast_method, hist_units_per_week,
    units_per_week, sd_units_per_week, trend_pct_per_week, promo_extra_units, promo_extra_revenue.
    """
    weekly = chain.weekly
    pairs, first_sale, listed_now, in_span = _listing_spans(weekly, history, listed)
    units, revenue, promo_units = _pair_week_matrices(weekly, history.weeks, pairs)
    active = history.active.reindex(pairs.get_level_values(0)).to_numpy(dtype=bool)
    gaps = listing_gaps(units, in_span & active)
    promo = promo_weeks(units, revenue, promo_units, config.promo_price_cut)
    mask = in_span & active & ~gaps & ~promo

    weights = _recency_weights(mask, config.recency_half_life_weeks)
    total = weights.sum(axis=1)
    observed = total > 0
    safe_total = np.where(observed, total, 1.0)
    hist_rate = (weights * units).sum(axis=1) / safe_total
    regular = np.where(promo, hist_rate[:, None], units)  # promotion weeks count at the regular rate in the volume
    share_rate, season = _forecast(chain, history, pairs, units, regular, active, weights, config)
    demand_class, intermittent, rate = _rate_by_demand_class(share_rate, season, units, mask, observed)
    sd = _spread_at_rate(units, mask, weights, hist_rate, rate)
    promo_extra_units, promo_extra_revenue = _promo_extras(units, revenue, mask, promo, in_span & active, hist_rate)
    frame = pd.DataFrame(
        {
            STORE_ID: pairs.get_level_values(0),
            "sku": pairs.get_level_values(1),
            "listed_now": listed_now,
            "weeks_observed": mask.sum(axis=1),
            "gap_weeks": (gaps & in_span).sum(axis=1),
            "promo_weeks": (promo & in_span & active).sum(axis=1),
            "weeks_since_first_sale": _weeks_since(first_sale, history.weeks[-1], _data_start(weekly, pairs)),
            "demand_class": np.where(observed, demand_class, "no sales"),
            "forecast_method": np.where(intermittent, "ADIDA x season", "share of store-category trend x season"),
            "hist_units_per_week": hist_rate,
            "units_per_week": rate,
            "sd_units_per_week": sd,
            "trend_pct_per_week": _trend_pct(units, mask, weights, hist_rate, safe_total),
            "promo_extra_units": np.where(observed, promo_extra_units, 0.0),
            "promo_extra_revenue": np.where(observed, promo_extra_revenue, 0.0),
        }
    )
    return frame[observed | listed_now].reset_index(drop=True)


def _listing_spans(weekly: pd.DataFrame, history: History, listed: pd.DataFrame) -> tuple[pd.MultiIndex, pd.Series, np.ndarray, np.ndarray]:
    """Every pair sold or listed today, its first sale, whether it is listed today, and its listed weeks (pair x week).

    A pair is listed from its first to its last sale, or to the store's last trading week if listed today.
    """
    sold = weekly[weekly["units"] > 0]
    span = sold.groupby(KEY)["week_start"].agg(first_sale="min", last_sale="max")
    listed_index = pd.MultiIndex.from_frame(listed[KEY])
    pairs = span.index.union(listed_index)
    span = span.reindex(pairs)
    listed_now = pairs.isin(listed_index)
    store_last = history.active.apply(lambda row: history.weeks[row.to_numpy()].max() if row.any() else pd.NaT, axis=1)
    # listed today: listed to the end of the data; never sold but listed: listed for the whole window
    last = np.where(listed_now, store_last.reindex(pairs.get_level_values(0)).to_numpy(), span["last_sale"].to_numpy())
    first = span["first_sale"].fillna(history.weeks[0]).to_numpy()
    week_values = history.weeks.to_numpy()
    in_span = (week_values[None, :] >= first[:, None]) & (week_values[None, :] <= last[:, None])
    return pairs, span["first_sale"], listed_now, in_span


def _pair_week_matrices(weekly: pd.DataFrame, weeks: pd.DatetimeIndex, pairs: pd.MultiIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Units, revenue and promotion units of every pair (rows) in every week of the window (columns)."""
    in_window = weekly[weekly["week_start"].isin(weeks)]
    rows = pairs.get_indexer(pd.MultiIndex.from_frame(in_window[KEY]))
    cols = weeks.get_indexer(in_window["week_start"])
    units, revenue, promo_units = (dense_matrix(in_window[c], rows, cols, (len(pairs), len(weeks))) for c in ("units", "revenue", "promo_units"))
    units = np.clip(units, 0, None)  # a week with more returns than sales is a week of no demand
    return units, revenue, promo_units


def _recency_weights(mask: np.ndarray, half_life_weeks: float) -> np.ndarray:
    """Weight of every counted week: 1 in the window's last week, halving every `half_life_weeks` before it; 0 if not counted."""
    age = np.arange(mask.shape[1])[::-1]
    return mask * 0.5 ** (age / half_life_weeks)[None, :]


def _rate_by_demand_class(
    share_rate: np.ndarray, season: np.ndarray, units: np.ndarray, mask: np.ndarray, observed: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Demand class, whether intermittent or lumpy, and the forecast rate (units/week) of every pair.

    Smooth and erratic pairs keep the share forecast; intermittent and lumpy pairs get ADIDA x season.
    Pairs without counted weeks get 0.
    """
    demand_class = demand_classes(units, mask)
    intermittent = np.isin(demand_class, ["intermittent", "lumpy"])
    rate = share_rate.copy()
    rate[intermittent] = intermittent_forecast(units[intermittent], mask[intermittent]) * season[intermittent]
    rate = np.where(observed, rate, 0.0)
    return demand_class, intermittent, rate


def _spread_at_rate(units: np.ndarray, mask: np.ndarray, weights: np.ndarray, hist_rate: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Standard deviation of weekly units at the forecast `rate`, with the history's coefficient of variation."""
    scale = np.where(hist_rate > 0, rate / np.where(hist_rate > 0, hist_rate, 1.0), 1.0)
    return np.sqrt(week_to_week_variance(units, mask, weights)) * scale  # same coefficient of variation


def _promo_extras(
    units: np.ndarray, revenue: np.ndarray, mask: np.ndarray, promo: np.ndarray, listed: np.ndarray, hist_rate: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Units and revenue that promotion weeks added over the regular rate and price, per listed week (see own_rates).

    `listed` holds the weeks the pair was listed and the store traded.
    """
    listed_weeks = np.maximum(listed.sum(axis=1), 1)
    on_deal = promo & listed
    deal_weeks = on_deal.sum(axis=1)
    regular_units = (units * mask).sum(axis=1)
    regular_price = np.where(regular_units > 0, (revenue * mask).sum(axis=1) / np.where(regular_units > 0, regular_units, 1.0), 0.0)
    promo_extra_units = ((units * on_deal).sum(axis=1) - deal_weeks * hist_rate) / listed_weeks
    promo_extra_revenue = ((revenue * on_deal).sum(axis=1) - deal_weeks * hist_rate * regular_price) / listed_weeks
    return promo_extra_units, promo_extra_revenue


def _weeks_since(first_sale: pd.Series, last_week: pd.Timestamp, data_start: np.ndarray) -> np.ndarray:
    """Weeks from the first sale to the end of the history, that week included; 0 when never sold,
    or when the first sale is in the store's first week of data (listed before the data begins)."""
    weeks = ((last_week - first_sale).dt.days // 7 + 1).fillna(0)
    return np.where(first_sale.to_numpy() <= data_start, 0, weeks.to_numpy()).astype(int)


def _data_start(weekly: pd.DataFrame, pairs: pd.MultiIndex) -> np.ndarray:
    """Per pair: the first week its store has any POS data."""
    return weekly.groupby(STORE_ID)["week_start"].min().reindex(pairs.get_level_values(0)).to_numpy()


def dense_matrix(values: pd.Series, rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Sum `values` into a zero matrix of `shape` at (rows, cols)."""
    matrix = np.zeros(shape)
    np.add.at(matrix, (rows, cols), values.to_numpy(dtype=float))
    return matrix


def _forecast(
    chain: ChainData, history: History, pairs: pd.MultiIndex, units: np.ndarray, regular: np.ndarray,
    active: np.ndarray, weights: np.ndarray, config: DemandConfig,
) -> tuple[np.ndarray, np.ndarray]:
    """Share of the store-category volume x that volume's forecast, and the season factor, for every pair.

    `regular` is `units` with promotion weeks at the pair's regular rate: the volume it sums is the
    regular-price volume.
    """
    category = pd.Series(pairs.get_level_values(1)).map(chain.products.set_index("sku")["category"])
    groups = pd.MultiIndex.from_arrays([pairs.get_level_values(0), category], names=[STORE_ID, "category"])
    codes, unique = pd.factorize(groups)
    volume = np.zeros((len(unique), units.shape[1]))
    np.add.at(volume, codes, regular * active)
    group_active = np.zeros(volume.shape, dtype=bool)
    group_active[codes] = active
    long_share = (weights * units).sum(axis=1) / np.maximum((weights * volume[codes]).sum(axis=1), 1e-12)
    # recent weeks move the share as far as their units allow: the long-run share counts as
    # SHARE_PRIOR_WEEKS weeks of the pair's own long-run sales, so the prior scales with its volume
    recent = (weights > 0) & (np.cumsum((weights > 0)[:, ::-1], axis=1)[:, ::-1] <= RECENT_SHARE_WEEKS)
    recent_units = (units * recent).sum(axis=1)
    recent_volume = (volume[codes] * recent).sum(axis=1)
    prior_units = SHARE_PRIOR_WEEKS * (weights * units).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-12)
    share = np.where(
        long_share > 0,
        (recent_units + prior_units) / np.maximum(recent_volume + prior_units / np.maximum(long_share, 1e-12), 1e-12),
        0.0,
    )
    outlook = damped_trend_forecast(volume, group_active, config.horizon_weeks)
    season = seasonal_factors(chain.weekly, chain.products, history.weeks[-1], config.horizon_weeks).reindex(unique).fillna(1.0).to_numpy()
    return share * (outlook * season)[codes], season[codes]


def demand_classes(units: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Syntetos-Boylan class of every pair over its counted weeks: smooth, erratic, intermittent or lumpy.

    ADI = counted weeks per week with a sale, CV2 = squared coefficient of variation of the weekly
    units in weeks with a sale. Intermittent and lumpy: ADI >= 1.32; erratic and lumpy: CV2 >= 0.49.
    """
    selling = mask & (units > 0)
    n_selling = selling.sum(axis=1)
    adi = mask.sum(axis=1) / np.maximum(n_selling, 1)
    size_mean = (units * selling).sum(axis=1) / np.maximum(n_selling, 1)
    size_var = ((units - size_mean[:, None]) ** 2 * selling).sum(axis=1) / np.maximum(n_selling, 1)
    cv2 = size_var / np.maximum(size_mean, 1e-12) ** 2
    sparse, variable = (adi >= ADI_CUT) | (n_selling < 2), cv2 >= CV2_CUT
    return np.select([sparse & variable, sparse, variable], ["lumpy", "intermittent", "erratic"], "smooth")


def _trend_pct(units: np.ndarray, mask: np.ndarray, weights: np.ndarray, rate: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Weighted least-squares slope of the listed weeks, in % of the rate per week (reported, for people)."""
    t = np.arange(units.shape[1], dtype=float)
    t_mean = (weights * t).sum(axis=1) / total
    t_dev = (t[None, :] - t_mean[:, None]) * mask
    den = (weights * t_dev**2).sum(axis=1)
    slope = np.where(den > 0, (weights * t_dev * (units - rate[:, None])).sum(axis=1) / np.where(den > 0, den, 1), 0.0)
    return np.where(rate > 0, 100 * slope / np.where(rate > 0, rate, 1), 0.0)


def listing_gaps(units: np.ndarray, listed: np.ndarray, *, min_weeks: int = 4, chance: float = 0.001) -> np.ndarray:
    """Weeks inside a run of zero sales that the pair's own distribution makes implausible (< `chance`), with sales after it.

    Such a run is a supplier outage or a temporary delisting: the product was not on the shelf,
    so those weeks say nothing about demand. The chance of a zero week is the pair's own share of
    zero weeks among its listed weeks (Laplace-smoothed), never below the Poisson chance at its
    rate: a product bought 24 at a time every few weeks has many zero weeks, and a run of them is
    its normal rhythm, not a gap. A run at the end (no sale since) is not a gap: it may be the
    product dying, which is information.
    """
    zero = listed & (units <= 0)
    n_listed = listed.sum(axis=1)
    rate = (units * listed).sum(axis=1) / np.maximum(n_listed, 1)
    zero_share = np.maximum((zero.sum(axis=1) + 1.0) / (n_listed + 2.0), np.exp(-rate))
    n_weeks = units.shape[1]
    forward = np.zeros(units.shape, dtype=int)
    backward = np.zeros(units.shape, dtype=int)
    for t in range(n_weeks):
        forward[:, t] = np.where(zero[:, t], (forward[:, t - 1] if t else 0) + 1, 0)
    for t in range(n_weeks - 1, -1, -1):
        backward[:, t] = np.where(zero[:, t], (backward[:, t + 1] if t < n_weeks - 1 else 0) + 1, 0)
    run = forward + backward - 1
    sold_later = np.flip(np.logical_or.accumulate(np.flip(units > 0, axis=1), axis=1), axis=1)
    return zero & sold_later & (run >= min_weeks) & (zero_share[:, None] ** np.maximum(run, 0) < chance)


def promo_weeks(units: np.ndarray, revenue: np.ndarray, promo_units: np.ndarray, price_cut: float) -> np.ndarray:
    """Weeks sold mostly on promotion: flagged by the till, or priced `price_cut` below the weeks around them.

    The reference price is the lower of the median price of the 6 weeks before and of the 6 weeks
    after, so a lasting price change is not taken for a promotion.
    """
    flagged = (units > 0) & (promo_units >= 0.5 * units)
    price = np.where((units > 0) & (revenue > 0), revenue / np.where(units > 0, units, 1), np.nan)
    padded = np.pad(price, ((0, 0), (PROMO_WINDOW, PROMO_WINDOW)), constant_values=np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(padded, PROMO_WINDOW, axis=1)
    before = window_nanmedian(windows[:, : price.shape[1]])
    after = window_nanmedian(windows[:, PROMO_WINDOW + 1 :])
    reference = np.fmin(before, after)
    with np.errstate(invalid="ignore"):
        dip = price <= (1 - price_cut) * reference
    return flagged | dip


def window_nanmedian(windows: np.ndarray) -> np.ndarray:
    """np.nanmedian over the last axis (NaN where a window holds no number), for millions of small windows:
    one sort (NaN sorts last), then the middle one or two of each window's numbers, averaged as numpy does."""
    ordered = np.sort(windows, axis=-1)
    count = (~np.isnan(ordered)).sum(axis=-1)
    low = np.take_along_axis(ordered, np.maximum(count - 1, 0)[..., None] // 2, axis=-1)[..., 0]
    high = np.take_along_axis(ordered, (count // 2)[..., None], axis=-1)[..., 0]
    return np.where(count > 0, (low + high) / 2, np.nan)


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
    units = in_window.groupby(STORE_ID)["units"].sum().reindex(chain.store_ids, fill_value=0.0)
    weeks = history.active.sum(axis=1).reindex(chain.store_ids, fill_value=0)
    traffic = (units / weeks.where(weeks > 0)).astype(float)
    known = traffic.notna() & (traffic > 0)
    if not known.all() and known.any():
        capacity = chain.stores.set_index(STORE_ID)["shelf_capacity"].astype(float)
        per_shelf_unit = (traffic[known] / capacity[known]).median()
        traffic[~known] = capacity[~known] * per_shelf_unit
    return traffic.fillna(0.0)
