"""How much of their basket loyal cardholders take elsewhere when a regular purchase goes, measured
on the chain's own delistings.

For each delisting (store, product, last sale) in the history: the cardholders at risk are the loyal
ones (LOYAL_SHARE of their card spend in that store) who, in the EVENT_WEEKS before it, bought the
product in at least REGULAR_SHARE of their weeks there (and MIN_REGULAR_WEEKS weeks) and none of its
substitutes. Their spend in the store besides the product, a week, after the delisting against
before, is set against the same ratio for the store's other loyal cardholders (the store's own
season and trend):

    walked = 1 - (at risk: after / before) / (others: after / before)

An event counts with at least MIN_GROUP cardholders in each group; the plan uses the events' mean
shrunk toward the setting (profiles.build), never one event alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.customers.risk import MIN_REGULAR_WEEKS, REGULAR_SHARE
from planner.customers.segments import MIN_GROUP
from planner.customers.stores import LOYAL_SHARE
from planner.inputs.weekly import week_start
from planner.schemas import STORE_ID

EVENT_WEEKS = 6  # weeks before a delisting that make its regular buyers, and after it that show whether they stayed
WALK_AWAY_COLUMNS = [STORE_ID, "sku", "last_sale", "at_risk", "others", "spend_before", "walked"]


def walk_away_events(card_lines: pd.DataFrame, events: pd.DataFrame, substitutes: pd.DataFrame) -> pd.DataFrame:
    """WALK_AWAY_COLUMNS, one row per delisting (events: store_id, sku, last_sale) with groups of MIN_GROUP."""
    if events.empty:
        return pd.DataFrame(columns=WALK_AWAY_COLUMNS)
    lines = card_lines[card_lines["units"] > 0]
    card, _cards = pd.factorize(lines["card"])
    store, stores = pd.factorize(lines[STORE_ID])
    spend = lines["revenue"].clip(lower=0.0).to_numpy(dtype=float)
    pair, pair_key = pd.factorize(card.astype(np.int64) * len(stores) + store)
    pair_spend = np.bincount(pair, spend)
    loyal_pairs = pd.Index(pair_key[pair_spend >= LOYAL_SHARE * np.bincount(card, spend)[pair_key // len(stores)]])
    lines = pd.DataFrame({"card": card, STORE_ID: lines[STORE_ID].to_numpy(), "sku": lines["sku"].to_numpy(),
                          "week": week_start(lines["date"]).to_numpy(), "spend": spend})
    by_store = {name: part for name, part in lines[lines[STORE_ID].isin(set(events[STORE_ID]))].groupby(STORE_ID)}
    rows = []
    for event in events.itertuples(index=False):
        if event.store_id not in by_store:
            continue
        store_lines = by_store[event.store_id]
        here = store_lines[(store_lines["week"] > event.last_sale - pd.Timedelta(weeks=EVENT_WEEKS)) & (store_lines["week"] <= event.last_sale)]
        loyal = pd.Index(here["card"].unique())
        loyal = loyal[pd.Index(loyal.to_numpy().astype(np.int64) * len(stores) + stores.get_loc(event.store_id)).isin(loyal_pairs)]
        weeks_here = here.groupby("card")["week"].nunique()
        bought = here[here["sku"] == event.sku].groupby("card")["week"].nunique()
        regular = bought.index[bought >= np.maximum(MIN_REGULAR_WEEKS, REGULAR_SHARE * weeks_here.reindex(bought.index))]
        alternatives = set(substitutes.loc[substitutes["sku"] == event.sku, "substitute"])
        with_alternative = set(here.loc[here["sku"].isin(alternatives), "card"])
        at_risk = [c for c in regular.intersection(loyal) if c not in with_alternative]
        others = loyal.difference(bought.index)
        if len(at_risk) < MIN_GROUP or len(others) < MIN_GROUP:
            continue
        after = store_lines[(store_lines["week"] > event.last_sale) & (store_lines["week"] <= event.last_sale + pd.Timedelta(weeks=EVENT_WEEKS))]
        ratio_risk, spent = _ratio(here, after, at_risk, event.sku)
        ratio_others, _ = _ratio(here, after, others, event.sku)
        if ratio_others <= 0:  # the store's other loyal cardholders stopped too: a closure, not a walk-away
            continue
        rows.append((event.store_id, event.sku, event.last_sale, len(at_risk), len(others), spent, 1.0 - ratio_risk / ratio_others))
    return pd.DataFrame(rows, columns=WALK_AWAY_COLUMNS)


def _ratio(before: pd.DataFrame, after: pd.DataFrame, cards: list[int] | pd.Index, sku: str) -> tuple[float, float]:
    """(spend after / spend before, spend before) of `cards` in the store, the delisted product left out."""
    def spend(frame: pd.DataFrame) -> float:
        return float(frame.loc[frame["card"].isin(cards) & (frame["sku"] != sku), "spend"].sum())

    spent_before = spend(before)
    return (spend(after) / spent_before if spent_before > 0 else 1.0), spent_before
