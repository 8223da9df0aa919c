"""Per store: its segment mix against the chain, its loyal customers, and how the mix moves over the year.

Every figure covers at least MIN_GROUP cardholders: a smaller group's figures are left empty and its
row says `suppressed`, so no figure is ever about a handful of people.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.customers.features import card_codes, visits
from planner.customers.segments import MIN_GROUP
from planner.schemas import STORE_ID

LOYAL_SHARE = 0.5  # a loyal customer spends at least half of their card spend in the store
MIX_COLUMNS = [STORE_ID, "segment", "cardholders", "spend_per_week", "visits_per_week", "spend_share", "chain_spend_share",
               "index", "suppressed"]
LOYALTY_COLUMNS = [STORE_ID, "cardholders", "loyal_cardholders", "loyal_spend_share", "card_spend_share", "suppressed"]
MONTH_COLUMNS = [STORE_ID, "month", "segment", "cardholders", "spend_share", "suppressed"]


@dataclass
class _Segmented:
    """The lines of segmented cards, as numbers."""

    mine: np.ndarray  # bool per line of `lines`: its card has a segment
    store: np.ndarray  # 0 = the first of `stores`
    stores: pd.Index  # the store ids, in sort order
    card: np.ndarray
    segment: np.ndarray
    day: np.ndarray  # days since 1970-01-01
    spend: pd.Series  # EUR, a return as 0

    @classmethod
    def of(cls, lines: pd.DataFrame, labels: pd.Series) -> _Segmented:
        """The segmented lines of `lines` (labels: card -> segment)."""
        card, cards = card_codes(lines)
        segment = labels.reindex(cards).to_numpy(dtype=float)[card]
        mine = ~np.isnan(segment)
        store, stores = pd.factorize(lines[STORE_ID], sort=True)
        day = lines["date"].to_numpy(dtype="datetime64[ns]").astype(np.int64)[mine] // (86_400 * 10**9)
        return cls(mine, store[mine], pd.Index(stores, name=STORE_ID), card[mine], segment[mine].astype(np.int64), day,
                   pd.Series(lines["revenue"].clip(lower=0.0).to_numpy()[mine]))

    def weeks(self) -> pd.Series:
        """store number -> weeks with card lines (weeks from Monday: 1970-01-01 was a Thursday)."""
        return pd.Series((self.day + 3) // 7).groupby(self.store).nunique()

    def months(self) -> np.ndarray:
        """Each line's month, as months since 1970-01."""
        codes, days = pd.factorize(self.day)
        return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)[codes]


def _in_store_order(table: pd.DataFrame, store_ids: list[str], columns: list[str]) -> pd.DataFrame:
    """`table` sorted by `columns`, the stores in stores.csv order."""
    order = {s: i for i, s in enumerate(store_ids)}
    return table.sort_values(columns, key=lambda c: c.map(order) if c.name == STORE_ID else c).reset_index(drop=True)


def _suppress(table: pd.DataFrame, figures: list[str]) -> pd.DataFrame:
    """Empty the figures of rows about fewer than MIN_GROUP cardholders."""
    table["suppressed"] = table["cardholders"] < MIN_GROUP
    table.loc[table["suppressed"], figures] = float("nan")
    table.loc[table["suppressed"], "cardholders"] = pd.NA
    table["cardholders"] = table["cardholders"].astype("Int64")
    return table


def segment_mix(lines: pd.DataFrame, labels: pd.Series, store_ids: list[str]) -> pd.DataFrame:
    """MIX_COLUMNS, one row per store and segment: cardholders, spend and visits a week, the segment's
    share of the store's segmented card spend against its share chain-wide, and the ratio (index)."""
    segmented = _Segmented.of(lines, labels)
    keys = [segmented.store, segmented.segment]
    visit = (lines["visit"] if "visit" in lines.columns else visits(lines)).to_numpy()[segmented.mine]
    table = pd.DataFrame({"cardholders": pd.Series(segmented.card).groupby(keys).nunique(), "spend": segmented.spend.groupby(keys).sum(),
                          "visits": pd.Series(visit).groupby(keys).nunique()})
    table = table.rename_axis(["store", "segment"]).reset_index()
    weeks = table["store"].map(segmented.weeks()).astype(float)
    table[STORE_ID] = segmented.stores[table["store"]]
    table["spend_per_week"] = table["spend"] / weeks
    table["visits_per_week"] = table["visits"] / weeks
    table["spend_share"] = table["spend"] / table.groupby("store")["spend"].transform("sum")
    chain = segmented.spend.groupby(segmented.segment).sum() / segmented.spend.sum()
    table["chain_spend_share"] = table["segment"].map(chain)
    table["index"] = table["spend_share"] / table["chain_spend_share"]
    table = _in_store_order(table, store_ids, [STORE_ID, "segment"])
    return _suppress(table, ["spend_per_week", "visits_per_week", "spend_share", "chain_spend_share", "index"])[MIX_COLUMNS]


def loyalty(lines: pd.DataFrame, store_ids: list[str], store_revenue: pd.Series) -> pd.DataFrame:
    """LOYALTY_COLUMNS per store: cardholders, those who spend at least LOYAL_SHARE of their card spend
    there, the loyal ones' share of the store's card spend, and the card lines' share of all its revenue."""
    card, _cards = card_codes(lines)
    store, stores = pd.factorize(lines[STORE_ID], sort=True)
    spend = lines["revenue"].clip(lower=0.0).groupby([card, store]).sum().rename_axis(["card", STORE_ID])
    share = spend / spend.groupby(level="card").transform("sum")
    frame = pd.DataFrame({"spend": spend, "loyal": share >= LOYAL_SHARE}).reset_index()
    frame[STORE_ID] = stores[frame[STORE_ID]]
    grouped = frame.groupby(STORE_ID)
    table = pd.DataFrame({
        "cardholders": grouped["card"].nunique(),
        "loyal_cardholders": frame[frame["loyal"]].groupby(STORE_ID)["card"].nunique(),
        "loyal_spend_share": frame["spend"].where(frame["loyal"], 0.0).groupby(frame[STORE_ID]).sum() / grouped["spend"].sum(),
        "card_spend_share": grouped["spend"].sum() / store_revenue,
    }).reindex(store_ids).rename_axis(STORE_ID).reset_index()
    table["cardholders"] = table["cardholders"].fillna(0).astype(int)
    table["loyal_cardholders"] = table["loyal_cardholders"].fillna(0)
    table = _suppress(table, ["loyal_spend_share", "card_spend_share"])
    table["loyal_cardholders"] = table["loyal_cardholders"].astype("Int64").mask(table["suppressed"] | (table["loyal_cardholders"] < MIN_GROUP))
    return table[LOYALTY_COLUMNS]


def monthly_mix(lines: pd.DataFrame, labels: pd.Series, store_ids: list[str]) -> pd.DataFrame:
    """MONTH_COLUMNS: each segment's share of the store's segmented card spend per calendar month."""
    segmented = _Segmented.of(lines, labels)
    keys = [segmented.store, segmented.months(), segmented.segment]
    table = pd.DataFrame({"cardholders": pd.Series(segmented.card).groupby(keys).nunique(), "spend": segmented.spend.groupby(keys).sum()})
    table = table.rename_axis(["store", "month", "segment"]).reset_index()
    table["spend_share"] = table["spend"] / table.groupby(["store", "month"])["spend"].transform("sum")
    table[STORE_ID] = segmented.stores[table["store"]]
    table["month"] = np.datetime_as_string(table["month"].to_numpy().astype("datetime64[M]"), unit="M")
    table = _in_store_order(table, store_ids, [STORE_ID, "month", "segment"])
    return _suppress(table, ["spend_share"])[MONTH_COLUMNS]
