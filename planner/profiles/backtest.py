"""Hold-out backtest: profiles built from the weeks before a cut-off predict the weeks after it.

Scored pairs are the products each store listed at the cut-off (`listed_at_cut`): sold in the
store's last 4 trading weeks before it, and the products of assortment.csv (when the chain has one)
with a sale before it. Scored weeks are the held-out weeks each store traded, promotion weeks left out (the profile is a
regular-price baseline). The forecast is the profile's units per week over the hold-out.

    WAPE = sum |forecast - actual| / sum actual        bias = sum (forecast - actual) / sum actual

Baselines, in the same run: `last4` = mean of the pair's last 4 trading weeks before the cut-off;
`chain_share` = the product's share of chain sales times the store's weekly sales.

New listings: a seeded 10 % of each store's scored pairs (those another store also sells) are hidden
from that store's history (its POS and card lines), as if never carried, and estimated from the
other stores: from the store's customer segments where the cards suffice (segmented again without
the hidden lines), else from similar stores; `wape_similar_stores` scores the similar-store
estimate alone. The haircut for new listings is not applied, so the estimate itself is scored.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.config import PlanConfig
from planner.customers import chain_customers
from planner.errors import InputError, Problem
from planner.inputs import ChainData, chain_before
from planner.profiles import build_profiles
from planner.profiles.demand import (
    PROMO_WINDOW,
    History,
    dense_matrix,
    history_window,
    listed_today,
    promo_weeks,
)
from planner.schemas import KEY, STORE_ID

MIN_TRAINING_WEEKS = 8
NEW_LISTING_SHARE = 0.10
RESULT_COLUMNS = ["level", "key", "wape", "bias", "wape_last4", "wape_chain_share", "wape_similar_stores"]


@dataclass
class BacktestResult:
    """Scores per level and key, and what was held out."""

    table: pd.DataFrame  # RESULT_COLUMNS
    holdout_weeks: list[pd.Timestamp]
    pairs_scored: int
    new_listing_pairs: int
    new_listing_mape: float  # mean |estimate - actual| / actual over hidden pairs selling >= 1 unit a week
    new_listing_mape_chain_share: float
    new_listing_mape_similar_stores: float  # the similar-store estimate alone (equal to the plan's without cards)


def backtest(
    chain: ChainData, config: PlanConfig, holdout_weeks: int, *, seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> BacktestResult:
    """Score the demand profiles on the last `holdout_weeks` weeks of the chain's POS data."""
    say = progress or (lambda _text: None)
    full = history_window(chain, dataclasses.replace(config.demand, history_weeks=10_000))
    weeks = full.weeks
    if holdout_weeks < 1 or len(weeks) - holdout_weeks < MIN_TRAINING_WEEKS:
        expected = f"at least {MIN_TRAINING_WEEKS} weeks of POS data before a hold-out of {holdout_weeks} weeks"
        raise InputError(Problem("pos/", expected=expected, found=f"{len(weeks)} weeks of data"))
    holdout = weeks[-holdout_weeks:]
    cutoff = holdout[0]
    config = dataclasses.replace(config, demand=dataclasses.replace(config.demand, horizon_weeks=holdout_weeks, new_listing_haircut=1.0))
    train = chain_before(chain, cutoff)
    scored = listed_at_cut(chain, cutoff)
    train = dataclasses.replace(train, assortment=scored)
    say(f"backtest: {len(weeks) - holdout_weeks} weeks to learn from, {holdout_weeks} held out from {cutoff.date()}")
    profiles = build_profiles(train, config, chain_customers(train))
    actual = _actuals(chain, full, scored, holdout, config)
    keyed = profiles.pairs.set_index(KEY)
    key = pd.MultiIndex.from_frame(actual[KEY])
    actual["forecast"] = keyed["units_per_week"].reindex(key).to_numpy()
    actual["chain_share"] = keyed["chain_units_per_week"].reindex(key).to_numpy()
    actual["last4"] = _last_weeks_mean(train, profiles.history, 4).reindex(key).fillna(0.0).to_numpy()
    actual["category"] = actual["sku"].map(chain.products.set_index("sku")["category"])
    actual["similar"] = np.nan

    say("backtest: hiding 10 % of listed products to score the new-listing estimate")
    hidden = _hidden_pairs(scored, seed)
    hidden_keys = pd.MultiIndex.from_frame(hidden)
    weekly_keys = pd.MultiIndex.from_frame(train.weekly[KEY])
    blind = dataclasses.replace(
        train,
        weekly=train.weekly[~weekly_keys.isin(hidden_keys)],
        assortment=scored[~pd.MultiIndex.from_frame(scored).isin(hidden_keys)],
        cards=train.cards[~pd.MultiIndex.from_frame(train.cards[KEY]).isin(hidden_keys)],
    )
    blind_pairs = build_profiles(blind, config, chain_customers(blind)).pairs.set_index(KEY)
    new = actual[key.isin(hidden_keys)].copy()
    new_key = pd.MultiIndex.from_frame(new[KEY])
    new["forecast"] = blind_pairs["units_per_week"].reindex(new_key).to_numpy()
    new["chain_share"] = blind_pairs["chain_units_per_week"].reindex(new_key).to_numpy()
    new["similar"] = blind_pairs["similar_stores_units_per_week"].reindex(new_key).to_numpy()
    new["last4"] = np.nan

    rows = [_scores("overall", "all", actual)]
    rows += [_scores("store", str(k), part) for k, part in actual.groupby(STORE_ID)]
    rows += [_scores("category", str(k), part) for k, part in actual.groupby("category")]
    rows += [_scores("new_listing", "all", new)]
    rows += [_scores("new_listing", str(k), part) for k, part in new.groupby(STORE_ID)]
    table = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    means = new.groupby(KEY)[["units", "forecast", "chain_share", "similar"]].mean()
    selling = means[means["units"] >= 1.0]
    return BacktestResult(
        table,
        list(holdout),
        int(actual[KEY].drop_duplicates().shape[0]),
        len(hidden),
        _mape(selling["forecast"], selling["units"]),
        _mape(selling["chain_share"], selling["units"]),
        _mape(selling["similar"], selling["units"]),
    )


def listed_at_cut(chain: ChainData, cut: pd.Timestamp) -> pd.DataFrame:
    """(store_id, sku) listed at the cut, from what was known then: sold in the store's last 4 trading
    weeks before it, and, where the chain has assortment.csv, its products that sold before the cut."""
    before = dataclasses.replace(chain_before(chain, cut), assortment=None)
    listed = listed_today(before, history_window(before, PlanConfig().demand))
    if chain.assortment is not None:
        sold_before = before.weekly.loc[before.weekly["units"] > 0, KEY].drop_duplicates()
        listed = pd.concat([listed, chain.assortment[KEY].merge(sold_before)])
    return listed.drop_duplicates().sort_values(KEY).reset_index(drop=True)


def _actuals(chain: ChainData, full: History, scored: pd.DataFrame, holdout: pd.DatetimeIndex, config: PlanConfig) -> pd.DataFrame:
    """Actual weekly units of the scored pairs in the held-out weeks each store traded, promotion weeks left out."""
    context = full.weeks[full.weeks >= holdout[0] - pd.Timedelta(weeks=PROMO_WINDOW)]
    key = pd.MultiIndex.from_frame(scored)
    weekly = chain.weekly[chain.weekly["week_start"].isin(context)]
    rows = key.get_indexer(pd.MultiIndex.from_frame(weekly[KEY]))
    keep = rows >= 0
    cols = context.get_indexer(weekly["week_start"])
    matrices = {
        column: dense_matrix(weekly[column][keep], rows[keep], cols[keep], (len(key), len(context)))
        for column in ("units", "revenue", "promo_units")
    }
    units = np.clip(matrices["units"], 0, None)
    promo = promo_weeks(units, matrices["revenue"], matrices["promo_units"], config.demand.promo_price_cut)
    active = full.active.reindex(index=key.get_level_values(0), columns=context).to_numpy(dtype=bool)
    in_holdout = np.asarray(context.isin(holdout))[None, :]
    use = active & ~promo & in_holdout
    pair, week = np.nonzero(use)
    return pd.DataFrame(
        {STORE_ID: key.get_level_values(0)[pair], "sku": key.get_level_values(1)[pair],
         "week_start": context[week], "units": units[pair, week]}
    )


def _last_weeks_mean(train: ChainData, history: History, n: int) -> pd.Series:
    """Mean units of each (store, sku) over the store's last `n` trading weeks (zeros included)."""
    recent = history.recent_weeks(n)
    sums = train.weekly.merge(recent).groupby(KEY)["units"].sum().clip(lower=0)
    weeks = recent.groupby(STORE_ID).size()
    return sums / sums.index.get_level_values(0).map(weeks).to_numpy()


def _hidden_pairs(scored: pd.DataFrame, seed: int) -> pd.DataFrame:
    """A seeded share of each store's scored pairs whose product another store also sells."""
    stores_per_sku = scored.groupby("sku")[STORE_ID].transform("nunique")
    shared = scored[stores_per_sku > 1]
    rng = np.random.default_rng(seed)
    picks = [part.iloc[np.sort(rng.choice(len(part), max(1, round(NEW_LISTING_SHARE * len(part))), replace=False))]
             for _store, part in shared.groupby(STORE_ID) if len(part)]
    return pd.concat(picks, ignore_index=True) if picks else shared.iloc[:0]


def _scores(level: str, key: str, frame: pd.DataFrame) -> list[object]:
    actual = frame["units"].sum()

    def wape(forecast: pd.Series) -> float:
        return float(np.abs(forecast - frame["units"]).sum() / actual) if actual > 0 and forecast.notna().all() else float("nan")

    bias = float((frame["forecast"] - frame["units"]).sum() / actual) if actual > 0 else float("nan")
    return [level, key, wape(frame["forecast"]), bias, wape(frame["last4"]), wape(frame["chain_share"]), wape(frame["similar"])]


def _mape(forecast: pd.Series, actual: pd.Series) -> float:
    return float((np.abs(forecast - actual) / actual).mean()) if len(actual) else float("nan")
