"""What each cardholder buys and how they shop, as numbers a clustering can compare.

Per card (pseudonym): the share of its spend in each category and in each value of the product
attributes the chain has (extra columns of products.csv with 2 to MAX_ATTRIBUTE_VALUES values, such as
organic or pack size), its fresh share, and its basket habits: spend per visit, visits per week and
lines per visit. A visit is a receipt where the till gives one, else a store and day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.schemas import PRODUCTS, STORE_ID

MAX_ATTRIBUTE_VALUES = 8
MIN_VISITS = 3  # a card seen fewer times says too little about its owner to be segmented
SHARE_PREFIX = "share:"
HABITS = ("fresh_share", "log_spend_per_visit", "log_visits_per_week", "lines_per_visit")


def attribute_columns(products: pd.DataFrame) -> list[str]:
    """Extra product columns that describe a kind of product: 2 to MAX_ATTRIBUTE_VALUES distinct values."""
    contract = set(PRODUCTS.names) | {"name", "subcategory", "brand"}
    columns = []
    for column in products.columns:
        if column in contract:
            continue
        values = products[column].astype("string").str.strip().replace("", pd.NA).dropna()
        if 2 <= values.nunique() <= MAX_ATTRIBUTE_VALUES:
            columns.append(column)
    return columns


def visits(lines: pd.DataFrame) -> pd.Series:
    """A visit number per line: one per store and receipt, or per store and day where the line has no receipt."""
    store = pd.factorize(lines[STORE_ID])[0].astype(np.int64)
    receipt, receipts = pd.factorize(lines["receipt"])  # a line without a receipt: -1
    day = lines["date"].to_numpy("datetime64[D]").astype(np.int64)
    day = day - (day.min() if len(day) else 0)
    place = np.where(receipt >= 0, receipt, len(receipts) + day)  # the receipts, then the days
    codes = pd.factorize(store * (len(receipts) + int(day.max(initial=0)) + 1) + place)[0]
    return pd.Series(codes, index=lines.index, name="visit")


def card_codes(lines: pd.DataFrame) -> tuple[np.ndarray, pd.Index]:
    """Each line's card as a number (0 = the first card in sort order), and the cards in that order."""
    codes, cards = pd.factorize(lines["card"], sort=True)
    return codes, pd.Index(cards, name="card")


def distinct_per(group: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """How many distinct `values` (integers >= 0) each group 0..n_groups-1 has."""
    width = int(values.max(initial=0)) + 1
    pairs = pd.unique(group.astype(np.int64) * width + values)
    return np.bincount(pairs // width, minlength=n_groups)


def _spend_by_value(spend: pd.Series, card: np.ndarray, n_cards: int, values: pd.Series, product: np.ndarray) -> pd.DataFrame:
    """card x value spend, the values on any line in sort order, none for a blank one. `values`: per
    product row; `product`: each line's product row (-1: not in the master, a blank value)."""
    per_product, uniques = pd.factorize(np.append(values.astype("string").fillna("").to_numpy(dtype=object), ""), sort=True)
    codes = per_product[product]
    sums = spend.groupby(card.astype(np.int64) * len(uniques) + codes).sum()  # each sum in line order, as grouping by text
    table = np.zeros((n_cards, len(uniques)))
    table[sums.index // len(uniques), sums.index % len(uniques)] = sums.to_numpy()
    present = np.flatnonzero(np.bincount(codes, minlength=len(uniques)))
    return pd.DataFrame(table[:, present], columns=uniques[present]).drop(columns=[""], errors="ignore")


def card_features(lines: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """One row per card with at least MIN_VISITS visits (index `card`, sorted): spend shares and habits."""
    card, cards = card_codes(lines)
    product = pd.Index(products[PRODUCTS.sku]).get_indexer(lines["sku"])
    spend = lines["revenue"].clip(lower=0.0)
    visit = lines["visit"] if "visit" in lines.columns else visits(lines)
    n_visits = distinct_per(card, visit.to_numpy(), len(cards))
    kept = np.flatnonzero(n_visits >= MIN_VISITS)
    keep = cards[kept]

    def per_card(values: pd.Series) -> pd.Series:  # the kept cards' sums, each in line order
        return values.groupby(card).sum().iloc[kept].set_axis(keep)

    total = per_card(spend)
    dimensions = {PRODUCTS.category: products[PRODUCTS.category]}
    dimensions |= {column: products[column].astype("string").str.strip() for column in attribute_columns(products)}
    shares = {}
    for column, values in dimensions.items():
        by_value = _spend_by_value(spend, card, len(cards), values, product).iloc[kept].set_axis(keep)
        for value in by_value.columns:
            shares[f"{SHARE_PREFIX}{column}={value}"] = by_value[value] / total.where(total > 0)
    features = pd.DataFrame(shares, index=keep).fillna(0.0)
    dates = lines["date"].groupby(card).agg(["min", "max"]).iloc[kept].set_axis(keep)
    weeks = ((dates["max"] - dates["min"]).dt.days + 7) / 7
    fresh = np.append(products[PRODUCTS.fresh].astype(bool).to_numpy(), False)[product]
    features["fresh_share"] = (per_card(spend.where(fresh, 0.0)) / total.where(total > 0)).fillna(0.0)
    visits_kept = pd.Series(n_visits[kept], index=keep)
    features["log_spend_per_visit"] = np.log1p(total / visits_kept)
    features["log_visits_per_week"] = np.log1p(visits_kept / weeks)
    features["lines_per_visit"] = np.bincount(card, minlength=len(cards))[kept] / visits_kept
    features.index.name = "card"
    return features
