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
    """A visit key per line: store and receipt, or store and day where the line has no receipt."""
    day = lines["date"].dt.strftime("%Y-%m-%d")
    return lines[STORE_ID].astype(str) + "|" + lines["receipt"].astype("string").fillna("day " + day)


def card_features(lines: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """One row per card with at least MIN_VISITS visits (index `card`, sorted): spend shares and habits."""
    product = products.set_index(PRODUCTS.sku)
    spend = lines["revenue"].clip(lower=0.0)
    visit = lines["visit"] if "visit" in lines.columns else visits(lines)
    frame = pd.DataFrame({"card": lines["card"], "spend": spend, "visit": visit, "date": lines["date"],
                          "fresh": lines["sku"].map(product[PRODUCTS.fresh]).astype(bool)})
    per_card = frame.groupby("card", sort=True)
    n_visits = per_card["visit"].nunique()
    keep = n_visits.index[n_visits >= MIN_VISITS]
    total = per_card["spend"].sum().reindex(keep)
    shares = {}
    dimensions = {PRODUCTS.category: lines["sku"].map(product[PRODUCTS.category])}
    dimensions |= {column: lines["sku"].map(product[column].astype("string").str.strip()) for column in attribute_columns(products)}
    for column, values in dimensions.items():
        by_value = spend.groupby([frame["card"], values.fillna("")]).sum().unstack(fill_value=0.0)
        by_value = by_value.drop(columns=[""], errors="ignore").reindex(keep, fill_value=0.0)
        for value in by_value.columns:
            shares[f"{SHARE_PREFIX}{column}={value}"] = by_value[value] / total.where(total > 0)
    features = pd.DataFrame(shares, index=keep).fillna(0.0)
    weeks = ((per_card["date"].max() - per_card["date"].min()).dt.days.reindex(keep) + 7) / 7
    fresh_spend = frame["spend"].where(frame["fresh"], 0.0).groupby(frame["card"]).sum().reindex(keep)
    features["fresh_share"] = (fresh_spend / total.where(total > 0)).fillna(0.0)
    features["log_spend_per_visit"] = np.log1p(total / n_visits.reindex(keep))
    features["log_visits_per_week"] = np.log1p(n_visits.reindex(keep) / weeks)
    features["lines_per_visit"] = per_card.size().reindex(keep) / n_visits.reindex(keep)
    features.index.name = "card"
    return features
