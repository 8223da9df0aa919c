"""Which products stand in for each other, and how much of a dropped product's demand moves to them.

Substitutes: products sharing a `substitute_group` (or `need_state`) value when the product master
has that column; otherwise the same `subcategory` (or, without one, the same category) and a price
within +-`price_band` of each other.

Transfer rate: the share of a dropped product's weekly demand that its store's remaining
substitutes gain. It is measured on delisting events in the POS history: a product a store sold in
at least 8 of the 8 weeks before its last sale, not listed today, and the store traded for 6+
weeks after. For each event, the substitutes the store kept sold `after - before x expected growth`
more units a week than expected (expected growth: the store's own traffic change times the same
products' growth relative to all sales in the other stores, so neither a store's season nor a
product's counts as transfer), divided by the dropped product's weekly rate.

A handful of events is noise (single values from -57 to +12 were seen on a real chain), so the
events are never clipped one by one: their rate-weighted mean r, with the standard error s of that
mean from the events' spread, is shrunk toward the stated prior (`default_transfer_rate`, with a
prior standard deviation of PRIOR_SD) by precision weighting,

    rate = (r / s^2 + prior / PRIOR_SD^2) / (1 / s^2 + 1 / PRIOR_SD^2),   sd = (1 / s^2 + 1 / PRIOR_SD^2)^-1/2

and reported with its 90 % interval (rate +- 1.645 sd, within 0..1). With fewer than
`min_delisting_events` events the rate is the prior, with the prior's interval.

Substitutes must be alike, not only in the same shelf group: the same value of every attribute the
master gives among ALIKE_COLUMNS (organic, pack size, brand tier ...).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.config import SubstitutionConfig
from planner.schemas import KEY, PRODUCTS

GROUP_COLUMNS = ("substitute_group", "need_state")
ALIKE_COLUMNS = ("organic", "pack_size", "unit_size", "brand_tier", "private_label", "price_tier")
GROWTH_CLIP = (0.25, 4.0)  # a growth ratio outside this is a listing change, not a trend
PRIOR_SD = 0.2  # how far the transfer rate of a chain is believed to be from the prior before any event
Z_90 = 1.645
EVENT_WEEKS = 8  # weeks before the last sale that set the dropped product's rate
AFTER_WEEKS = 6  # weeks after it in which the substitutes' gain is measured


@dataclass
class Substitution:
    """Substitute pairs and the transfer rate the optimizer uses."""

    pairs: pd.DataFrame  # sku, substitute
    transfer_rate: float
    interval: tuple[float, float]  # 90 % interval of the transfer rate
    source: str  # how the rate was found, for the run report
    events: pd.DataFrame  # store_id, sku, last_sale, rate_before, gain, transfer


def shelf_groups(products: pd.DataFrame) -> pd.Series:
    """sku -> the shelf group substitutes share: substitute_group (or need_state) where the master has
    it ("" = none), else the subcategory, else the category."""
    group_column = next((c for c in GROUP_COLUMNS if c in products.columns), None)
    column = group_column or ("subcategory" if "subcategory" in products.columns else PRODUCTS.category)
    return pd.Series(products[column].astype(str).str.strip().to_numpy(), index=products[PRODUCTS.sku], name="group")


def substitutes(products: pd.DataFrame, price_band: float) -> pd.DataFrame:
    """(sku, substitute) pairs, both directions, no self pairs."""
    group_column = next((c for c in GROUP_COLUMNS if c in products.columns), None)
    frame = products[[PRODUCTS.sku, PRODUCTS.price]].copy()
    frame["group"] = shelf_groups(products).to_numpy()
    if group_column:
        frame = frame[frame["group"] != ""]
    alike = [c for c in ALIKE_COLUMNS if c in products.columns]
    for column in alike:
        frame[column] = products[column].astype(str).str.strip().str.lower()
    both = frame.merge(frame, on=["group", *alike], suffixes=("", "_sub"))
    both = both[both["sku"] != both["sku_sub"]]
    if not group_column:
        ratio = both["price_sub"] / both["price"]
        both = both[(ratio >= 1 - price_band) & (ratio <= 1 + price_band)]
    return both.rename(columns={"sku_sub": "substitute"})[["sku", "substitute"]].reset_index(drop=True)


def estimate_substitution(weekly: pd.DataFrame, products: pd.DataFrame, listed: pd.DataFrame, config: SubstitutionConfig) -> Substitution:
    """Substitute pairs and the transfer rate, measured on delistings in `weekly` where there are enough."""
    pairs = substitutes(products, config.price_band)
    events = delisting_events(weekly, listed, pairs)
    prior = config.default_transfer_rate
    if len(events) >= config.min_delisting_events:
        rate, sd = shrunk_share(events["transfer"].to_numpy(dtype=float), events["rate_before"].to_numpy(dtype=float), prior)
        source = f"{len(events)} delistings in the POS history, shrunk toward the prior {prior:.0%}"
    else:
        rate, sd = prior, PRIOR_SD
        source = f"the prior {prior:.0%} ({len(events)} delistings in the POS history, {config.min_delisting_events} needed to measure it)"
    interval = (max(rate - Z_90 * sd, 0.0), min(rate + Z_90 * sd, 1.0))
    return Substitution(pairs, rate, interval, f"{source}; 90 % interval {interval[0]:.0%} to {interval[1]:.0%}", events)


def shrunk_share(transfers: np.ndarray, weights: np.ndarray, prior: float, prior_sd: float = PRIOR_SD) -> tuple[float, float]:
    """(share, sd): the weighted mean of a share measured on events (a transfer rate, a walk-away
    share), shrunk toward `prior` with `prior_sd` (module docstring)."""
    share = weights / weights.sum()
    mean = float((share * transfers).sum())
    variance = float((share**2 * (transfers - mean) ** 2).sum()) * len(transfers) / max(len(transfers) - 1, 1)
    precision = 1.0 / max(variance, 1e-12) + 1.0 / prior_sd**2
    rate = (mean / max(variance, 1e-12) + prior / prior_sd**2) / precision
    return float(np.clip(rate, 0.0, 1.0)), float(precision**-0.5)


def delisting_events(weekly: pd.DataFrame, listed: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """One row per delisting with measurable substitutes: store_id, sku, last_sale, rate_before, gain, transfer."""
    columns = [*KEY, "last_sale", "rate_before", "gain", "transfer"]
    units = weekly.groupby([*KEY, "week_start"])["units"].sum().clip(lower=0)
    table = units.unstack("week_start", fill_value=0.0)
    weeks = table.columns
    if len(weeks) <= EVENT_WEEKS + AFTER_WEEKS:  # too short a history to see a delisting and what followed
        return pd.DataFrame(columns=columns)
    sold = table > 0
    last_index = np.where(sold.to_numpy().any(axis=1), sold.shape[1] - 1 - np.argmax(sold.to_numpy()[:, ::-1], axis=1), -1)
    listed_now = table.index.isin(pd.MultiIndex.from_frame(listed[KEY]))
    sold_weeks = np.cumsum(sold.to_numpy(), axis=1)
    safe_last = np.clip(last_index, EVENT_WEEKS, len(weeks) - 1)
    positions = np.arange(len(table))
    sold_before = sold_weeks[positions, safe_last] - sold_weeks[positions, safe_last - EVENT_WEEKS]
    candidate = ~listed_now & (last_index >= EVENT_WEEKS) & (last_index + AFTER_WEEKS < len(weeks)) & (sold_before >= EVENT_WEEKS)
    rows = []
    for position in np.flatnonzero(candidate):
        store, sku = table.index[position]
        last = last_index[position]
        before = table.iloc[position, last - EVENT_WEEKS + 1 : last + 1]
        subs = pairs.loc[pairs["sku"] == sku, "substitute"]
        store_rows = table.loc[store]
        kept = [s for s in subs if s in store_rows.index and store_rows.loc[s].iloc[last + 1 : last + 1 + AFTER_WEEKS].gt(0).any()]
        if not kept:
            continue
        window_before = slice(last - EVENT_WEEKS + 1, last + 1)
        window_after = slice(last + 1, last + 1 + AFTER_WEEKS)
        growth = _expected_growth(table, store, sku, kept, window_before, window_after)
        mine = store_rows.loc[kept]
        gain = mine.iloc[:, window_after].mean(axis=1).sum() - growth * mine.iloc[:, window_before].mean(axis=1).sum()
        rate_before = float(before.mean())
        rows.append((store, sku, weeks[last], rate_before, float(gain), float(gain) / rate_before))
    return pd.DataFrame(rows, columns=columns)


def _expected_growth(table: pd.DataFrame, store: str, sku: str, kept: list[str], before: slice, after: slice) -> float:
    """How much the kept substitutes would have grown anyway: the store's traffic (without them and the
    dropped product) times the substitutes' growth relative to all sales in the other stores."""

    def ratio(frame: pd.DataFrame) -> float:
        """After / before; 1 (no information) where nothing sold before, e.g. substitutes new elsewhere."""
        base = frame.iloc[:, before].mean(axis=1).sum() if len(frame) else 0.0
        return float(np.clip(frame.iloc[:, after].mean(axis=1).sum() / base, *GROWTH_CLIP)) if base > 0 else 1.0

    stores, skus = table.index.get_level_values(0), table.index.get_level_values(1)
    here_rest = table[(stores == store) & ~skus.isin([*kept, sku])]
    elsewhere = table[stores != store]
    elsewhere_kept = elsewhere[elsewhere.index.get_level_values(1).isin(kept)]
    relative = ratio(elsewhere_kept) / ratio(elsewhere) if len(elsewhere_kept) else 1.0
    return ratio(here_rest) * relative
