"""From the past weeks to the planned ones: damped trend per store and category, yearly seasonality.

A product's forecast is its share of its store-category volume (estimated over the history
window, see demand.own_rates) times that volume's forecast. The volume is a big number, so its
trend and season can be read from data where a single slow-moving product's cannot:

- trend: damped Holt smoothing of the store-category weekly volume (alpha 0.4, beta 0.05,
  damping 0.8); weeks the store did not trade are skipped. The forecast is the mean over the
  planned weeks (`horizon_weeks`).
- intermittent and lumpy pairs (demand.demand_classes): ADIDA on the pair's own counted weeks
  (statsforecast's aggregate-disaggregate intermittent demand approach), times the same season. On
  the decision benchmark's intermittent and lumpy chains it had the lowest forecast WAPE of the
  methods tried (ADIDA 53.8 / 107.2 %, IMAPA 53.8 / 107.5, TSB 54.4 / 109.1, Croston-SBA 56.8 /
  111.7, the share of the store-category trend 54.3 / 109.6).
- season: where the data reaches back a year before both the planned weeks and the last week of
  data, the year-ago ratio (planned weeks / last week, each the median of 3 weeks, so
  one deal week a year ago is not read as season; on the orange juice the median took the forecast
  from 34.0 to 32.5 % WAPE and its bias from +6.5 to +1.2 %) of the store's total
  volume, times the chain category's ratio relative to the chain's; shrunk toward 1 when the
  chain category sold little, clipped to 0.25..4. Without a year of history the factor is 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsforecast.models import ADIDA

from planner.schemas import STORE_ID

ALPHA, BETA, PHI = 0.4, 0.05, 0.8
SEASON_CLIP = (0.25, 4.0)
SEASON_PRIOR_UNITS = 1000.0  # chain category units a week at which the season ratio is trusted half
YEAR = pd.Timedelta(weeks=52)


def damped_trend_forecast(volume: np.ndarray, active: np.ndarray, horizon: int) -> np.ndarray:
    """Mean forecast over the next `horizon` weeks of each row of `volume` (rows x weeks)."""
    start = active[:, :4]
    level = (volume[:, :4] * start).sum(axis=1) / np.maximum(start.sum(axis=1), 1)
    trend = np.zeros(len(volume))
    for t in range(volume.shape[1]):
        on = active[:, t]
        new_level = ALPHA * volume[:, t] + (1 - ALPHA) * (level + PHI * trend)
        new_trend = BETA * (new_level - level) + (1 - BETA) * PHI * trend
        level = np.where(on, new_level, level)
        trend = np.where(on, new_trend, trend)
    steps = np.cumsum(PHI ** np.arange(1, horizon + 1)).mean()
    return np.maximum(level + steps * trend, 0.0)


def intermittent_forecast(units: np.ndarray, counted: np.ndarray) -> np.ndarray:
    """Croston's method with the Syntetos-Boylan correction (statsforecast's CrostonSBA) on each row's
    counted weeks, in order; 0 for a row without a sale. Units per week."""
    model = ADIDA()
    out = np.zeros(len(units))
    for row in np.flatnonzero((units * counted).sum(axis=1) > 0):
        out[row] = model.forecast(units[row, counted[row]].astype(float), h=1)["mean"][0]
    return out


def seasonal_factors(weekly: pd.DataFrame, products: pd.DataFrame, last_week: pd.Timestamp, horizon: int) -> pd.Series:
    """Factor per (store_id, category) for the `horizon` weeks after `last_week`; 1.0 where history is short."""
    category = weekly["sku"].map(products.set_index("sku")["category"])
    stores = weekly.groupby([STORE_ID, "week_start"])["units"].sum().unstack()
    categories = weekly.groupby([category, weekly["week_start"]])["units"].sum().unstack()
    chain = categories.sum(axis=0).to_frame().T
    targets = [last_week + pd.Timedelta(weeks=h) for h in range(1, horizon + 1)]
    store_ratio = _year_ago_ratio(stores, targets, last_week)
    category_ratio = _year_ago_ratio(categories, targets, last_week) / _year_ago_ratio(chain, targets, last_week).iloc[0]
    volume = _three_week_median(categories, last_week - YEAR)
    trust = volume / (volume + SEASON_PRIOR_UNITS)
    category_ratio = (1 + (category_ratio - 1) * trust).fillna(1.0)
    index = pd.MultiIndex.from_product([stores.index, categories.index], names=[STORE_ID, "category"])
    factors = store_ratio.fillna(1.0).reindex(index.get_level_values(0)).to_numpy() * category_ratio.reindex(
        index.get_level_values(1)
    ).to_numpy()
    return pd.Series(np.clip(factors, *SEASON_CLIP), index=index)


def _three_week_median(table: pd.DataFrame, week: pd.Timestamp) -> pd.Series:
    weeks = [week + pd.Timedelta(weeks=k) for k in (-1, 0, 1)]
    return table.reindex(columns=weeks).median(axis=1)


def _year_ago_ratio(table: pd.DataFrame, targets: list[pd.Timestamp], last_week: pd.Timestamp) -> pd.Series:
    """Year-ago volume of the target weeks over year-ago volume around the last week; NaN without data."""
    if table.columns.min() > last_week - YEAR:
        return pd.Series(np.nan, index=table.index)
    target = pd.concat([_three_week_median(table, t - YEAR) for t in targets], axis=1).mean(axis=1)
    reference = _three_week_median(table, last_week - YEAR)
    return target / reference.where(reference > 0)
