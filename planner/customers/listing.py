"""Demand for products a store does not carry, from the customers it has.

A store's cardholders fall into segments (customers.segments); each segment buys each product at
its own rate. Per product p and segment g, over the stores t that carry p:

    rate[g, p]     = units of p bought by g's cardholders in those stores / all units g bought there
    share[s, p]    = sum_g mix[s, g] x rate[g, p]      mix: g's share of store s's segmented card units
    calibration[p] = sum_t units[t, p] / sum_t traffic[t] x share[t, p]    over the carrying stores t != s
    estimate[s, p] = traffic[s] x share[s, p] x calibration[p]

The calibration turns card shares into all customers' units (cardholders are part of the store's
customers, and may buy differently): it is the carrying stores' real units against what their own
segment mix predicts, and its spread over those stores is the estimate's uncertainty (with one
carrying store, the estimate itself). A store gets a segment estimate for a product only where the
evidence is customers, not a handful of them: at least MIN_GROUP segmented cardholders in the
store, at least MIN_GROUP who bought the product in the stores that carry it, and at least
MIN_EVIDENCE_STORES other stores carrying it (a spread over one or two stores says nothing about
the estimate's uncertainty, and the plan weighs it by that). Elsewhere the similar-store estimate
(profiles.similar) stands.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.customers.features import distinct_per
from planner.customers.segments import MIN_GROUP
from planner.inputs.weekly import week_numbers
from planner.schemas import KEY, STORE_ID

MIN_EVIDENCE_STORES = 3  # carrying stores (other than the store itself) the calibration and its spread need
RATE_PRIOR_UNITS = 500.0  # a segment's rate for a product counts as this many of its units bought at the all-card rate
ESTIMATE_COLUMNS = [*KEY, "units_per_week", "uncertainty_units_per_week", "evidence_stores", "evidence_cardholders"]


def segment_estimates(card_lines: pd.DataFrame, labels: pd.Series, own: pd.DataFrame, traffic: pd.Series,
                      candidates: pd.DataFrame, weeks: pd.DatetimeIndex) -> pd.DataFrame:
    """ESTIMATE_COLUMNS for `candidates` (store_id, sku), NaN units where the cards do not suffice.

    `own`: the pairs with their own history (store_id, sku, units_per_week): carried where units > 0.
    `card_lines`: inputs.weekly.CARD_LINE_COLUMNS; only the lines in `weeks` (the history window) count.
    """
    stores = pd.Index(traffic.index)
    skus = pd.Index(sorted(set(candidates["sku"]) | set(own["sku"])))
    lines = card_lines[np.isin(week_numbers(card_lines["date"]), week_numbers(pd.Series(weeks)))]
    card, cards = pd.factorize(lines["card"])
    segment = labels.reindex(cards).to_numpy()[card]  # one lookup per card, not per line
    segmented = ~np.isnan(segment)
    lines, card, segment = lines[segmented], card[segmented], segment[segmented].astype(int)
    segments = pd.Index(np.unique(segment))
    s, p, g = stores.get_indexer(lines[STORE_ID]), skus.get_indexer(lines["sku"]), segments.get_indexer(segment)
    known = (s >= 0) & (p >= 0)
    s, p, g, units = s[known], p[known], g[known], lines["units"].to_numpy(dtype=float)[known]
    n_s, n_p, n_g = len(stores), len(skus), len(segments)
    bought = np.bincount((s * n_p + p) * n_g + g, weights=units, minlength=n_s * n_p * n_g).reshape(n_s, n_p, n_g).clip(min=0.0)
    by_segment = bought.sum(axis=1)  # store x segment: all units each segment bought in the store

    own = own[own["units_per_week"] > 0]
    carried = np.zeros((n_s, n_p))
    real = np.zeros((n_s, n_p))
    r, c = stores.get_indexer(own[STORE_ID]), skus.get_indexer(own["sku"])
    carried[r, c] = 1.0
    real[r, c] = own["units_per_week"].to_numpy(dtype=float)

    rate = _shrunk_rates(np.einsum("tp,tpg->gp", carried, bought), by_segment.T @ carried)
    mix = by_segment / np.maximum(by_segment.sum(axis=1, keepdims=True), 1e-12)
    share = mix @ rate  # store x product: the product's share of the store's units its segment mix predicts
    predicted = traffic.reindex(stores).to_numpy(dtype=float)[:, None] * share
    usable = carried * (predicted > 0)
    estimate, spread, evidence = _leave_one_out(predicted, real, usable)
    in_carrying = carried[s, p] > 0
    cardholders = distinct_per(p[in_carrying], card[known][in_carrying], n_p)  # per product, in the stores that carry it
    segmented_here = distinct_per(s, card[known], n_s)

    out = candidates[KEY].copy()
    rows, cols = stores.get_indexer(out[STORE_ID]), skus.get_indexer(out["sku"])
    ok = (rows >= 0) & (cols >= 0)
    rows, cols = np.maximum(rows, 0), np.maximum(cols, 0)
    enough = ok & (segmented_here[rows] >= MIN_GROUP) & (cardholders[cols] >= MIN_GROUP) & (evidence[rows, cols] >= MIN_EVIDENCE_STORES)
    out["units_per_week"] = np.where(enough, estimate[rows, cols], np.nan)
    out["uncertainty_units_per_week"] = np.where(enough, spread[rows, cols], np.nan)
    out["evidence_stores"] = np.where(ok, evidence[rows, cols], 0).astype(int)
    out["evidence_cardholders"] = np.where(ok, cardholders[cols], 0).astype(int)
    return out[ESTIMATE_COLUMNS]


def _shrunk_rates(units: np.ndarray, volume: np.ndarray) -> np.ndarray:
    """segment x product purchase rates (units of p per unit bought in the stores carrying p), each
    shrunk toward all cardholders' rate as if RATE_PRIOR_UNITS units had been bought at that rate: a
    segment seen little where p is sold says little about p."""
    overall = units.sum(axis=0) / np.maximum(volume.sum(axis=0), 1e-12)
    return (units + RATE_PRIOR_UNITS * overall) / (volume + RATE_PRIOR_UNITS)


def _leave_one_out(predicted: np.ndarray, real: np.ndarray, usable: np.ndarray) -> tuple[np.ndarray, ...]:
    """(estimate, uncertainty, evidence stores) per store x product from the other carrying stores:
    predicted x the calibration sum(real) / sum(predicted) over them, the calibration's weighted spread."""
    weight = predicted * usable
    ratio = np.divide(real, predicted, out=np.zeros_like(real), where=usable > 0)
    total_w = weight.sum(axis=0) - weight
    total_real = (weight * ratio).sum(axis=0) - weight * ratio
    total_sq = (weight * ratio**2).sum(axis=0) - weight * ratio**2
    evidence = (usable.sum(axis=0) - usable).astype(int)
    safe = np.where(total_w > 0, total_w, 1.0)
    calibration = np.where(total_w > 0, total_real / safe, 0.0)
    sd = np.sqrt(np.maximum(total_sq / safe - calibration**2, 0.0))
    estimate = predicted * calibration
    spread = np.where(evidence <= 1, estimate, predicted * sd)
    return estimate, spread, evidence
