"""Weekly demand for products a store does not carry yet, learned from similar stores that do.

Demand share is modelled as `share[s, p] = base[p] x multiplier[s, p]`, where the multiplier is
the product of the store's indices for the product's category and attributes. The base share is
learned from the stores t that sell p, after taking out their own multipliers, each weighted by
its similarity w[s, t] to the store being planned:

    ratio[t, p]    = rate[t, p] / (traffic[t] x multiplier[t, p])
    base[s, p]     = sum_t w[s, t] d[t, p] ratio[t, p] / sum_t w[s, t] d[t, p]      d = traffic x multiplier
    estimate[s, p] = base[s, p] x traffic[s] x multiplier[s, p]     (x a haircut growing with the uncertainty, in profiles)
    uncertainty    = weighted spread of ratio[t, p] around base[s, p], in the same units

Similarity w[s, t] = exp(-distance^2), the mean of up to three distances: the store's sales mix (log of
its index per category, attribute value and price tier, standardised), what its customers buy product by
product (log product index over the products both stores carry), and, when stores.csv has them, its
numeric and categorical attributes (size, demographics, format). With one evidence
store the uncertainty is the estimate itself (100 %).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.schemas import KEY, STORE_ID, STORES


def store_similarity(stores: pd.DataFrame, indices: pd.DataFrame, products: pd.DataFrame | None = None) -> pd.DataFrame:
    """stores x stores similarity in (0, 1], 1 on the diagonal.

    `products` (store_id, sku, index: the product-level indices) adds what the stores' customers
    actually buy: the mean squared difference of log index over the products both stores carry,
    scaled to mean 1 over the store pairs.
    """
    ids = list(stores[STORES.store_id])
    mix = np.log(indices.pivot_table(index=STORE_ID, columns=["dimension", "value"], values="index").reindex(ids).fillna(1.0))
    distances = [_mean_square_distance(_standardised(mix.to_numpy()))]
    if products is not None and len(products):
        distances.append(_common_product_distance(products, ids))
    attributes = stores.set_index(STORES.store_id).drop(columns=[c for c in STORES.names if c != STORES.store_id] + ["name", "town"], errors="ignore")
    numeric = attributes.apply(pd.to_numeric, errors="coerce")
    numeric_cols = [c for c in attributes.columns if numeric[c].notna().all()]
    categorical = [c for c in attributes.columns if c not in numeric_cols and 1 < attributes[c].nunique() < len(ids)]
    features = numeric[numeric_cols]
    if categorical:
        features = features.join(pd.get_dummies(attributes[categorical], dtype=float))
    if features.shape[1]:
        distances.append(_mean_square_distance(_standardised(features.reindex(ids).to_numpy(dtype=float))))
    distance = sum(distances) / len(distances)
    return pd.DataFrame(np.exp(-distance), index=ids, columns=ids)


def _common_product_distance(products: pd.DataFrame, ids: list[str]) -> np.ndarray:
    """Mean squared difference of log product index over the products two stores both carry, / its mean."""
    table = np.log(products.pivot_table(index=STORE_ID, columns="sku", values="index").reindex(ids))
    values = np.nan_to_num(table.to_numpy())
    carried = table.notna().to_numpy().astype(float)
    common = carried @ carried.T
    squares = (values**2 * carried) @ carried.T
    cross = (values * carried) @ (values * carried).T
    distance = np.where(common > 0, (squares + squares.T - 2 * cross) / np.maximum(common, 1), np.nan)
    off = ~np.eye(len(ids), dtype=bool) & np.isfinite(distance)
    scale = distance[off].mean() if off.any() and distance[off].mean() > 0 else 1.0
    distance = np.nan_to_num(distance / scale, nan=1.0)
    np.fill_diagonal(distance, 0.0)
    return distance


def _standardised(matrix: np.ndarray) -> np.ndarray:
    sd = matrix.std(axis=0)
    return (matrix - matrix.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


def _mean_square_distance(block: np.ndarray) -> np.ndarray:
    """Mean squared difference over the columns between every two rows, one row against all at a
    time: stores x columns memory, never the stores x stores x columns cube, and exact for close rows
    (the |a|^2 + |b|^2 - 2ab shortcut loses the small distances that matter most)."""
    if not block.size:
        return np.zeros((len(block), len(block)))
    return np.stack([((block - row) ** 2).mean(axis=1) for row in block])


def new_listing_estimates(
    own: pd.DataFrame, candidates: pd.DataFrame, traffic: pd.Series, own_multiplier: pd.Series,
    candidate_multiplier: pd.Series, similarity: pd.DataFrame,
) -> pd.DataFrame:
    """Estimate units/week, spread and uncertainty for `candidates` (store_id, sku) from the other stores in `own`.

    Returns candidates with units_per_week, sd_units_per_week, uncertainty_units_per_week and evidence_stores.
    """
    stores = list(similarity.index)
    skus = pd.Index(sorted(own["sku"].unique()))
    denominator = own["traffic"].to_numpy() * own_multiplier.to_numpy()
    ratio = own["units_per_week"].to_numpy() / np.where(denominator > 0, denominator, np.nan)
    r, c = pd.Index(stores).get_indexer(own[STORE_ID]), skus.get_indexer(own["sku"])
    weight_matrix = np.zeros((len(stores), len(skus)))
    ratio_matrix = np.zeros_like(weight_matrix)
    ok = np.isfinite(ratio)
    weight_matrix[r[ok], c[ok]] = denominator[ok]
    ratio_matrix[r[ok], c[ok]] = ratio[ok]
    w = similarity.to_numpy().copy()
    np.fill_diagonal(w, 0.0)  # a store's own sales are its own history, not evidence from a similar store
    total = w @ weight_matrix
    safe = np.where(total > 0, total, 1.0)
    base = (w @ (weight_matrix * ratio_matrix)) / safe
    spread = np.sqrt(np.maximum((w @ (weight_matrix * ratio_matrix**2)) / safe - base**2, 0.0))
    evidence = (w > 0).astype(float) @ (weight_matrix > 0).astype(float)
    spread = np.where(evidence <= 1, base, spread)
    cv = own.assign(cv=own["sd_units_per_week"] / own["units_per_week"].where(own["units_per_week"] > 0)).groupby("sku")["cv"].median()

    out = candidates[KEY].copy()
    rows = pd.Index(stores).get_indexer(out[STORE_ID])
    cols = skus.get_indexer(out["sku"])
    known = cols >= 0
    scale = out[STORE_ID].map(traffic).to_numpy() * candidate_multiplier.to_numpy()
    units = np.where(known, base[rows, np.maximum(cols, 0)], 0.0) * scale
    out["units_per_week"] = units
    out["sd_units_per_week"] = units * out["sku"].map(cv).fillna(1.0).to_numpy()
    out["uncertainty_units_per_week"] = np.where(known, spread[rows, np.maximum(cols, 0)], 0.0) * scale
    out["evidence_stores"] = np.where(known, evidence[rows, np.maximum(cols, 0)], 0).astype(int)
    return out
