"""How each store over- or under-indexes against the chain, shrunk toward the chain where evidence is thin.

For a store s and product p listed there, the chain expects `chain_share[p] x traffic[s]` units a
week. An index compares what sold (O units over the observed weeks) with that expectation (E
units). With few units the raw ratio O/E is noise, so the index is the Poisson-gamma posterior mean

    index = (O + m x prior) / (E + m)

with m = `index_prior_units`: a category (or attribute value) index shrinks toward 1 (the chain),
a product index toward its store's category index. One lucky week moves it only a little.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.schemas import PRODUCTS, STORE_ID

MAX_ATTRIBUTE_VALUES = 12  # a product column with 2..12 values (organic, pack_size) is an index dimension
INDEX_CLIP = (0.25, 4.0)  # no single dimension moves an estimate more than 4x either way


PRICE_TIERS = ("lower third", "middle third", "upper third")
SIZE_COLUMNS = ("unit_size", "pack_size", "size", "content", "net_weight")  # price per unit of content where given
BRAND_COLUMN = "brand"


def index_attributes(products: pd.DataFrame) -> pd.DataFrame:
    """The product master with what the indices compare stores on, beyond its own columns:

    - `price_tier`, where the chain gives one category: the product's price (per unit of content,
      where a numeric size column gives it) in the lower, middle or upper third; a city store that
      over-buys premium lines shows there too. With several categories the tiers are left out: on
      the sample chain they made the new-listing estimates worse than the chain average;
    - `brand`: kept as it is when it has few values; else the brands with 5 % of the products or
      more, the others as "other brands".
    """
    out = products.copy()
    if "price_tier" not in out.columns and out[PRODUCTS.category].nunique() == 1:
        price = out[PRODUCTS.price].astype(float)
        size_column = next((c for c in SIZE_COLUMNS if c in out.columns), None)
        if size_column:
            size = pd.to_numeric(out[size_column], errors="coerce")
            price = (price / size.where(size > 0)).fillna(price)
        rank = price.groupby(out[PRODUCTS.category]).rank(pct=True, method="average")
        small = out.groupby(PRODUCTS.category)[PRODUCTS.sku].transform("size") < len(PRICE_TIERS)
        out["price_tier"] = np.where(small, PRICE_TIERS[1], np.select([rank <= 1 / 3, rank <= 2 / 3], PRICE_TIERS[:2], PRICE_TIERS[2]))
    if BRAND_COLUMN in out.columns and out[BRAND_COLUMN].nunique() > MAX_ATTRIBUTE_VALUES:
        counts = out[BRAND_COLUMN].value_counts()
        common = counts.index[counts >= 0.05 * len(out)]
        out[BRAND_COLUMN] = out[BRAND_COLUMN].where(out[BRAND_COLUMN].isin(common), "other brands")
    return out


def index_dimensions(products: pd.DataFrame) -> list[str]:
    """`category`, then every extra product column with a few values that each cover >= 5 % of products."""
    dimensions = [PRODUCTS.category]
    for column in products.columns:
        if column in PRODUCTS.names or column.startswith("_"):
            continue
        counts = products[column].value_counts()
        if 2 <= len(counts) <= MAX_ATTRIBUTE_VALUES and counts.min() >= 0.05 * len(products):
            dimensions.append(column)
    return dimensions


def with_expectation(rates: pd.DataFrame, traffic: pd.Series) -> pd.DataFrame:
    """Add chain_share, observed_units and expected_units to the pairs with own history.

    expected_units is rescaled per store so that it sums to what the store sold: the index then
    measures the store's mix against the chain's, not the size of its range.
    """
    own = rates[rates["weeks_observed"] > 0].copy()
    own["traffic"] = own[STORE_ID].map(traffic)
    totals = own.groupby("sku")[["hist_units_per_week", "traffic"]].sum()
    chain_share = (totals["hist_units_per_week"] / totals["traffic"].where(totals["traffic"] > 0)).fillna(0.0)
    own["chain_share"] = own["sku"].map(chain_share)
    own["observed_units"] = own["hist_units_per_week"] * own["weeks_observed"]
    expected = own["chain_share"] * own["traffic"] * own["weeks_observed"]
    # a store listing fewer products sells more of each: compare mix, so each store's indices average 1
    totals = own.assign(expected=expected).groupby(STORE_ID)[["observed_units", "expected"]].sum()
    mix_scale = (totals["observed_units"] / totals["expected"].where(totals["expected"] > 0)).fillna(1.0)
    own["expected_units"] = expected * own[STORE_ID].map(mix_scale)
    return own


def dimension_indices(own: pd.DataFrame, products: pd.DataFrame, dimensions: list[str], prior_units: float) -> pd.DataFrame:
    """Index per store, dimension and value. Columns: store_id, dimension, value, observed_units, expected_units, index_raw, index."""
    attributes = products.set_index(PRODUCTS.sku)[dimensions]
    parts = []
    for dimension in dimensions:
        grouped = (
            own.assign(value=own["sku"].map(attributes[dimension]))
            .groupby([STORE_ID, "value"], as_index=False)[["observed_units", "expected_units"]]
            .sum()
        )
        grouped.insert(1, "dimension", dimension)
        parts.append(grouped)
    table = pd.concat(parts, ignore_index=True)
    table["index_raw"] = table["observed_units"] / table["expected_units"].where(table["expected_units"] > 0)
    table["index"] = shrunk_index(table["observed_units"], table["expected_units"], 1.0, prior_units)
    return table


def product_index(own: pd.DataFrame, category_index: pd.Series, prior_units: float) -> pd.Series:
    """Each own-history pair's index, shrunk toward its store's category index."""
    return shrunk_index(own["observed_units"], own["expected_units"], category_index.to_numpy(), prior_units)


def shrunk_index(observed: pd.Series, expected: pd.Series, prior: float | np.ndarray, prior_units: float) -> pd.Series:
    """(O + m x prior) / (E + m), clipped to a sane range; the prior itself where nothing is expected."""
    denominator = expected + prior_units
    value = (observed + prior_units * prior) / denominator.where(denominator > 0)
    fallback = pd.Series(np.broadcast_to(prior, len(observed)), index=observed.index, dtype=float)
    return value.fillna(fallback).clip(*INDEX_CLIP)


def local_multiplier(pairs: pd.DataFrame, products: pd.DataFrame, indices: pd.DataFrame, dimensions: list[str]) -> pd.Series:
    """Product of a pair's store indices over all dimensions (category, organic, pack size ...)."""
    attributes = products.set_index(PRODUCTS.sku)[dimensions]
    multiplier = pd.Series(1.0, index=pairs.index)
    for dimension in dimensions:
        lookup = indices[indices["dimension"] == dimension].set_index([STORE_ID, "value"])["index"]
        keys = pd.MultiIndex.from_arrays([pairs[STORE_ID], pairs["sku"].map(attributes[dimension])])
        multiplier *= lookup.reindex(keys).fillna(1.0).to_numpy()
    return multiplier.clip(INDEX_CLIP[0] / 2, INDEX_CLIP[1] * 1.25)
