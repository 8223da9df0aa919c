"""The customer outputs: segment tables in words for people, and the segments' state for next week.

Nothing here holds a card or its pseudonym: only groups of at least customers.segments.MIN_GROUP
cardholders, and the segments' centroids (averages over their members).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from planner.customers import Customers
from planner.customers.segments import MIN_GROUP
from planner.schemas import STORE_ID

SUPPRESSED_NOTE = f"groups of fewer than {MIN_GROUP} cardholders are left empty"


def store_segments(customers: Customers) -> pd.DataFrame:
    """Per store and segment, with the segment's name: cardholders, share of the store's card spend
    against the chain's, index, card spend and visits a week (empty where fewer than MIN_GROUP)."""
    names = pd.Series(customers.segmentation.names)
    mix = customers.mix
    return pd.DataFrame({
        STORE_ID: mix[STORE_ID], "segment": mix["segment"].map(names), "cardholders": mix["cardholders"],
        "spend_share": mix["spend_share"], "chain_spend_share": mix["chain_spend_share"], "index": mix["index"],
        "spend_per_week": mix["spend_per_week"], "visits_per_week": mix["visits_per_week"],
    })


def monthly_segments(customers: Customers) -> pd.DataFrame:
    """store_id, month, segment (name), cardholders, spend_share: how each store's mix moves over the year."""
    names = pd.Series(customers.segmentation.names)
    return customers.monthly.assign(segment=customers.monthly["segment"].map(names)).drop(columns="suppressed")


def customers_summary(customers: Customers) -> dict[str, Any]:
    """The customers section of summary.json."""
    segments = customers.segments
    return {
        "cardholders": customers.cards_seen,
        "segmented_cardholders": customers.cards_segmented,
        "minimum_group": MIN_GROUP,
        "segments": [{key: (value.item() if hasattr(value, "item") else value) for key, value in row.items()}
                     for row in segments.to_dict(orient="records")],
        "silhouette": {str(k): round(v, 4) for k, v in customers.segmentation.silhouette.items()},
        "notes": customers.notes,
    }


def segment_state(customers: Customers) -> dict[str, Any]:
    """segments.json: each segment's id, name and centroid, for next week's run to keep the ids."""
    centroids = customers.segmentation.centroids
    return {"segments": [{"segment": int(segment), "name": customers.segmentation.names[int(segment)],
                          "centroid": {str(k): float(v) for k, v in row.items()}} for segment, row in centroids.iterrows()]}


def previous_segments(state: dict[str, Any]) -> tuple[pd.DataFrame, dict[int, str]] | None:
    """The centroids and names from a segments.json (segment_state), or None when it holds none."""
    rows = state.get("segments") or []
    if not rows:
        return None
    centroids = pd.DataFrame({int(r["segment"]): r["centroid"] for r in rows}).T.sort_index()
    return centroids, {int(r["segment"]): str(r["name"]) for r in rows}
