"""Customers at risk: the loyal cardholders a product keeps in the store.

Per store and product, over the card lines of the history window:

- buyers: cardholders who bought it in the store;
- loyal regulars: buyers who spend at least LOYAL_SHARE of their card spend in this store and
  bought the product in at least REGULAR_SHARE of the weeks they shopped here (and in at least
  MIN_REGULAR_WEEKS weeks);
- at risk: loyal regulars who bought none of its substitutes that the store carries today: for them
  the product has no alternative here, and a store without it is a reason to shop elsewhere;
- their basket: what the at-risk cardholders spend in the store a week besides this product.

Every figure is about at least MIN_GROUP cardholders; smaller counts are left empty (`suppressed`
when the buyers themselves are fewer). The names of the segments most of the buyers belong to
describe who they are.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.customers.features import distinct_per
from planner.customers.segments import MIN_GROUP
from planner.customers.stores import LOYAL_SHARE
from planner.inputs.weekly import week_numbers
from planner.schemas import KEY, STORE_ID

REGULAR_SHARE = 0.5
MIN_REGULAR_WEEKS = 4
MOSTLY = 0.5  # one segment with at least half of the buyers: "mostly <segment>"
RISK_COLUMNS = [*KEY, "buyers", "loyal_regulars", "at_risk", "at_risk_basket_per_week", "product_share_of_basket", "segments", "suppressed"]


def customers_at_risk(card_lines: pd.DataFrame, labels: pd.Series, names: dict[int, str], listed: pd.DataFrame,
                      substitutes: pd.DataFrame, weeks: pd.DatetimeIndex) -> pd.DataFrame:
    """RISK_COLUMNS per store and product bought on a card in `weeks` (see the module docstring).

    `listed`: store_id, sku carried today; `substitutes`: sku, substitute pairs. Cards, stores,
    products and weeks become integer codes once: a chain's 10 M card lines group in seconds.
    """
    week = week_numbers(card_lines["date"])
    lines = card_lines[np.isin(week, week_numbers(pd.Series(weeks))) & (card_lines["units"] > 0).to_numpy()]
    if lines.empty:  # cards only before the history window
        return pd.DataFrame(columns=RISK_COLUMNS)
    week = week_numbers(lines["date"])
    card, cards = pd.factorize(lines["card"])
    store, stores = pd.factorize(lines[STORE_ID])
    sku, skus = pd.factorize(lines["sku"])
    n_stores, n_skus = len(stores), len(skus)
    spend = lines["revenue"].clip(lower=0.0).to_numpy(dtype=float)
    visit, visit_key = pd.factorize(card.astype(np.int64) * n_stores + store)  # a card in a store
    visit_spend = np.bincount(visit, spend)
    visit_weeks = distinct_per(visit, week, len(visit_key))
    loyal = visit_spend >= LOYAL_SHARE * np.bincount(card, spend)[visit_key // n_stores]
    row, row_key = pd.factorize(visit.astype(np.int64) * n_skus + sku)  # a card, a store and a product
    row_visit, row_sku = row_key // n_skus, row_key % n_skus
    row_spend = np.bincount(row, spend)
    regular = loyal[row_visit] & (distinct_per(row, week, len(row_key)) >= np.maximum(MIN_REGULAR_WEEKS, REGULAR_SHARE * visit_weeks[row_visit]))
    row_store = visit_key[row_visit] % n_stores
    at_risk = regular & ~_buys_alternative(regular, row_visit, row_store, row_sku, row_key, skus, stores, listed, substitutes)
    segment = labels.reindex(cards).to_numpy()[visit_key[row_visit] // n_stores]
    rows = pd.DataFrame({STORE_ID: stores[row_store], "sku": skus[row_sku], "loyal_regular": regular, "at_risk": at_risk,
                         "basket": visit_spend[row_visit] - row_spend, "spend": row_spend, "segment": segment})
    store_weeks = pd.Series(distinct_per(store, week, len(stores)), index=stores)
    return _per_product(rows, names, store_weeks)


def _buys_alternative(regular: np.ndarray, row_visit: np.ndarray, row_store: np.ndarray, row_sku: np.ndarray, row_key: np.ndarray,
                      skus: pd.Index, stores: pd.Index, listed: pd.DataFrame, substitutes: pd.DataFrame) -> np.ndarray:
    """Per (card, store, sku) row: the card also bought a substitute the store carries today (only
    the regular rows are looked at)."""
    n_skus = len(skus)
    sub_from, sub_to = skus.get_indexer(substitutes["sku"]), skus.get_indexer(substitutes["substitute"])
    known = (sub_from >= 0) & (sub_to >= 0)
    order = np.argsort(sub_from[known], kind="stable")
    sub_from, sub_to = sub_from[known][order], sub_to[known][order]
    starts = np.searchsorted(sub_from, np.arange(n_skus + 1))
    looked = np.flatnonzero(regular)
    count = starts[row_sku[looked] + 1] - starts[row_sku[looked]]
    owner = np.repeat(looked, count)
    offsets = np.arange(len(owner)) - np.repeat(np.cumsum(count) - count, count)
    option = sub_to[np.repeat(starts[row_sku[looked]], count) + offsets]
    carried_key = stores.get_indexer(listed[STORE_ID]).astype(np.int64) * n_skus + skus.get_indexer(listed["sku"])
    carried = pd.Index(carried_key[(stores.get_indexer(listed[STORE_ID]) >= 0) & (skus.get_indexer(listed["sku"]) >= 0)])
    bought_it = pd.Index(row_key).get_indexer(row_visit[owner].astype(np.int64) * n_skus + option) >= 0
    on_shelf = carried.get_indexer(row_store[owner].astype(np.int64) * n_skus + option) >= 0
    alternative = np.zeros(len(regular), dtype=bool)
    alternative[owner[bought_it & on_shelf]] = True
    return alternative


def _per_product(rows: pd.DataFrame, names: dict[int, str], store_weeks: pd.Series) -> pd.DataFrame:
    """RISK_COLUMNS from the (card, store, sku) rows, small groups left empty."""
    at_risk = rows[rows["at_risk"]]
    grouped = rows.groupby(KEY)
    table = pd.DataFrame({
        "buyers": grouped.size(),
        "loyal_regulars": grouped["loyal_regular"].sum(),
        "at_risk": grouped["at_risk"].sum(),
        "basket": at_risk.groupby(KEY)["basket"].sum(),
        "product_spend": at_risk.groupby(KEY)["spend"].sum(),
    }).fillna({"basket": 0.0, "product_spend": 0.0}).reset_index()
    weeks = table[STORE_ID].map(store_weeks).astype(float)
    table["at_risk_basket_per_week"] = table["basket"] / weeks
    whole = table["basket"] + table["product_spend"]
    table["product_share_of_basket"] = table["product_spend"] / whole.where(whole > 0)
    table["segments"] = _segment_words(rows, names).reindex(pd.MultiIndex.from_frame(table[KEY])).fillna("").to_numpy()
    table["suppressed"] = table["buyers"] < MIN_GROUP
    for column in ("buyers", "loyal_regulars", "at_risk"):
        small = table["suppressed"] | (table[column] < MIN_GROUP)
        table[column] = table[column].astype("Int64").mask(small)
    few = table["at_risk"].isna()
    table.loc[few, ["at_risk_basket_per_week", "product_share_of_basket"]] = np.nan
    table.loc[table["suppressed"], "segments"] = ""
    return table[RISK_COLUMNS]


def _segment_words(rows: pd.DataFrame, names: dict[int, str]) -> pd.Series:
    """(store_id, sku) -> "mostly 'A'" or "most of them 'A' or 'B'": the segments most of the buyers belong to."""
    counts = rows.dropna(subset=["segment"]).groupby([*KEY, "segment"]).size().rename("cards").reset_index()
    counts["share"] = counts["cards"] / counts.groupby(KEY)["cards"].transform("sum")
    counts = counts.sort_values([*KEY, "share", "segment"], ascending=[True, True, False, True])
    top = counts.groupby(KEY).head(2).copy()
    top["name"] = "'" + top["segment"].astype(int).map(names) + "'"
    first = top.groupby(KEY).nth(0).set_index(KEY)
    second = top.groupby(KEY).nth(1).set_index(KEY)["name"].reindex(first.index)
    return pd.Series(np.where(first["share"] >= MOSTLY, "mostly " + first["name"], "most of them " + first["name"] + " or " + second.fillna("others")),
                     index=first.index)


def walk_away_costs(risk: pd.DataFrame, weekly: pd.DataFrame, card_lines: pd.DataFrame, unit_cost: pd.Series,
                    weeks: pd.DatetimeIndex, share: float) -> pd.Series:
    """(store_id, sku) -> EUR / week lost if the product goes: `share` of the at-risk cardholders'
    basket margin (their weekly spend here besides it x the store's margin rate), scaled from the
    cardholders to all customers by the card lines' share of the store's revenue. Only groups of at
    least MIN_GROUP at-risk cardholders count (smaller ones are no figure this planner keeps)."""
    window = weekly[weekly["week_start"].isin(weeks)]
    revenue = window.groupby(STORE_ID)["revenue"].sum()
    margin = (window["revenue"] - window["units"] * window["sku"].map(unit_cost)).groupby(window[STORE_ID]).sum()
    margin_rate = (margin / revenue.where(revenue > 0)).clip(lower=0.0)
    in_window = card_lines[np.isin(week_numbers(card_lines["date"]), week_numbers(pd.Series(weeks)))]
    card_share = (in_window["revenue"].groupby(in_window[STORE_ID]).sum() / revenue.where(revenue > 0)).clip(0.05, 1.0)
    basket = risk["at_risk_basket_per_week"].fillna(0.0).to_numpy()
    stores = risk[STORE_ID]
    cost = share * basket * stores.map(margin_rate).fillna(0.0).to_numpy() / stores.map(card_share).fillna(1.0).to_numpy()
    return pd.Series(cost, index=pd.MultiIndex.from_frame(risk[KEY]), name="walk_away_cost_per_week")
