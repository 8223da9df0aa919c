"""build_customers: from the pseudonymised card lines to segments and the per-store customer figures."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from planner.customers.features import SHARE_PREFIX, card_features, visits
from planner.customers.segments import Segmentation, feature_words, segment_cards
from planner.customers.stores import loyalty, monthly_mix, segment_mix
from planner.inputs import ChainData
from planner.inputs.weekly import week_start
from planner.schemas import STORE_ID

HOME_INDEX = 1.2  # a segment's home stores: where its share of card spend is at least 1.2 x its chain share
SEGMENT_COLUMNS = ["segment", "name", "cardholders", "spend_per_week", "chain_spend_share", "home_stores", "over_buys"]


@dataclass
class Customers:
    """What the chain knows about its cardholders, in groups of at least MIN_GROUP."""

    segmentation: Segmentation
    segments: pd.DataFrame  # SEGMENT_COLUMNS
    mix: pd.DataFrame  # customers.stores.MIX_COLUMNS
    loyalty: pd.DataFrame  # customers.stores.LOYALTY_COLUMNS
    monthly: pd.DataFrame  # customers.stores.MONTH_COLUMNS
    cards_seen: int  # cards on any line
    cards_segmented: int  # cards with enough visits to be segmented

    @property
    def notes(self) -> list[str]:
        """How the segments were chosen and matched with the last run, in words."""
        return self.segmentation.notes


def chain_customers(chain: ChainData, previous: tuple[pd.DataFrame, dict[int, str]] | None = None) -> Customers | None:
    """build_customers on a loaded chain: None without cards or with too few cardholders."""
    if not chain.has_cards:
        return None
    revenue = chain.weekly.groupby(STORE_ID)["revenue"].sum()
    return build_customers(chain.cards, chain.products, chain.store_ids, revenue, previous)


def build_customers(card_lines: pd.DataFrame, products: pd.DataFrame, store_ids: list[str], store_revenue: pd.Series,
                    previous: tuple[pd.DataFrame, dict[int, str]] | None = None) -> Customers | None:
    """Segments and store figures from card lines (inputs.weekly.CARD_LINE_COLUMNS); None when
    there are too few cardholders to form segments of MIN_GROUP. `previous`: the last run's centroids
    and names (keeps segment ids stable)."""
    card_lines = card_lines.assign(visit=visits(card_lines))  # once: the features and the store mix count visits
    features = card_features(card_lines, products)
    segmentation = segment_cards(features, *(previous or (None, None)))
    if segmentation is None:
        return None
    mix = segment_mix(card_lines, segmentation.labels, store_ids)
    return Customers(
        segmentation=segmentation,
        segments=segment_table(segmentation, features, mix, card_lines),
        mix=mix,
        loyalty=loyalty(card_lines, store_ids, store_revenue),
        monthly=monthly_mix(card_lines, segmentation.labels, store_ids),
        cards_seen=int(card_lines["card"].nunique()),
        cards_segmented=len(features),
    )


def segment_table(segmentation: Segmentation, features: pd.DataFrame, mix: pd.DataFrame, card_lines: pd.DataFrame) -> pd.DataFrame:
    """SEGMENT_COLUMNS: each segment's size, card spend a week, share of the chain's card spend, home
    stores and the three things it over-buys most (x times the average cardholder's share)."""
    spend = card_lines["revenue"].clip(lower=0.0).groupby(card_lines["card"].map(segmentation.labels)).sum()
    weeks = max(1, week_start(card_lines["date"]).nunique())
    overall = features.mean()
    shares = [c for c in features.columns if (c.startswith(SHARE_PREFIX) or c == "fresh_share") and overall[c] >= 0.01]
    rows = []
    for segment in segmentation.segments:
        lift = (segmentation.centroids.loc[segment, shares] / overall[shares]).sort_values(ascending=False, kind="stable")
        mine = mix[(mix["segment"] == segment) & ~mix["suppressed"]]
        homes = mine.loc[mine["index"] >= HOME_INDEX].sort_values("index", ascending=False)[STORE_ID]
        rows.append({
            "segment": segment,
            "name": segmentation.names[segment],
            "cardholders": int((segmentation.labels == segment).sum()),
            "spend_per_week": float(spend.get(segment, 0.0)) / weeks,
            "chain_spend_share": float(spend.get(segment, 0.0) / spend.sum()),
            "home_stores": ", ".join(homes),
            "over_buys": ", ".join(f"{feature_words(f)} x{lift[f]:.1f}" for f in lift.index[:3]),
        })
    return pd.DataFrame(rows, columns=SEGMENT_COLUMNS)
