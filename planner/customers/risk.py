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

from planner.customers.segments import MIN_GROUP
from planner.customers.stores import LOYAL_SHARE
from planner.inputs.weekly import week_start
from planner.schemas import KEY, STORE_ID

REGULAR_SHARE = 0.5
MIN_REGULAR_WEEKS = 4
MOSTLY = 0.5  # one segment with at least half of the buyers: "mostly <segment>"
RISK_COLUMNS = [*KEY, "buyers", "loyal_regulars", "at_risk", "at_risk_basket_per_week", "product_share_of_basket", "segments", "suppressed"]


def customers_at_risk(card_lines: pd.DataFrame, labels: pd.Series, names: dict[int, str], listed: pd.DataFrame,
                      substitutes: pd.DataFrame, weeks: pd.DatetimeIndex) -> pd.DataFrame:
    """RISK_COLUMNS per store and product bought on a card in `weeks` (see the module docstring).

    `listed`: store_id, sku carried today; `substitutes`: sku, substitute pairs.
    """
    lines = card_lines[week_start(card_lines["date"]).isin(weeks) & (card_lines["units"] > 0)]
    if lines.empty:  # cards only before the history window
        return pd.DataFrame(columns=RISK_COLUMNS)
    frame = pd.DataFrame({"card": pd.factorize(lines["card"])[0], STORE_ID: lines[STORE_ID].to_numpy(), "sku": lines["sku"].to_numpy(),
                          "week": week_start(lines["date"]).to_numpy(), "spend": lines["revenue"].clip(lower=0.0).to_numpy()})
    visits = frame.groupby(["card", STORE_ID]).agg(spend=("spend", "sum"), weeks=("week", "nunique"))
    visits["loyal"] = visits["spend"] / visits.groupby(level="card")["spend"].transform("sum") >= LOYAL_SHARE
    bought = frame.groupby(["card", *KEY]).agg(spend=("spend", "sum"), weeks=("week", "nunique")).reset_index()
    here = visits.reindex(pd.MultiIndex.from_frame(bought[["card", STORE_ID]]))
    bought["loyal_regular"] = here["loyal"].to_numpy() & (bought["weeks"] >= np.maximum(MIN_REGULAR_WEEKS, REGULAR_SHARE * here["weeks"].to_numpy()))
    bought["basket"] = here["spend"].to_numpy() - bought["spend"]
    bought["at_risk"] = bought["loyal_regular"] & ~_buys_alternative(bought, listed, substitutes)
    store_weeks = frame.groupby(STORE_ID)["week"].nunique()
    return _per_product(bought, lines["card"].map(labels).groupby(frame["card"].to_numpy()).first(), names, store_weeks)


def _buys_alternative(bought: pd.DataFrame, listed: pd.DataFrame, substitutes: pd.DataFrame) -> np.ndarray:
    """Per (card, store, sku) row of `bought`: the card also bought a substitute the store carries today."""
    regular = bought.loc[bought["loyal_regular"], ["card", *KEY]]
    options = regular.merge(substitutes, on="sku").merge(listed[KEY].rename(columns={"sku": "substitute"}), on=[STORE_ID, "substitute"])
    taken = options.merge(bought[["card", *KEY]].rename(columns={"sku": "substitute"}), on=["card", STORE_ID, "substitute"])
    with_alternative = pd.MultiIndex.from_frame(taken[["card", *KEY]].drop_duplicates())
    return pd.MultiIndex.from_frame(bought[["card", *KEY]]).isin(with_alternative)


def _per_product(bought: pd.DataFrame, segment_of: pd.Series, names: dict[int, str], store_weeks: pd.Series) -> pd.DataFrame:
    """RISK_COLUMNS from the (card, store, sku) rows, small groups left empty."""
    at_risk = bought[bought["at_risk"]]
    grouped = bought.groupby(KEY)
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
    table["segments"] = _segment_words(bought.assign(segment=bought["card"].map(segment_of)), names).reindex(
        pd.MultiIndex.from_frame(table[KEY])).fillna("").to_numpy()
    table["suppressed"] = table["buyers"] < MIN_GROUP
    for column in ("buyers", "loyal_regulars", "at_risk"):
        small = table["suppressed"] | (table[column] < MIN_GROUP)
        table[column] = table[column].astype("Int64").mask(small)
    few = table["at_risk"].isna()
    table.loc[few, ["at_risk_basket_per_week", "product_share_of_basket"]] = np.nan
    table.loc[table["suppressed"], "segments"] = ""
    return table[RISK_COLUMNS]


def _segment_words(bought: pd.DataFrame, names: dict[int, str]) -> pd.Series:
    """(store_id, sku) -> "mostly 'A'" or "most of them 'A' or 'B'": the segments most of the buyers belong to."""
    counts = bought.dropna(subset=["segment"]).groupby([*KEY, "segment"]).size().rename("cards").reset_index()
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
    in_window = card_lines[week_start(card_lines["date"]).isin(weeks)]
    card_share = (in_window["revenue"].groupby(in_window[STORE_ID]).sum() / revenue.where(revenue > 0)).clip(0.05, 1.0)
    basket = risk["at_risk_basket_per_week"].fillna(0.0).to_numpy()
    stores = risk[STORE_ID]
    cost = share * basket * stores.map(margin_rate).fillna(0.0).to_numpy() / stores.map(card_share).fillna(1.0).to_numpy()
    return pd.Series(cost, index=pd.MultiIndex.from_frame(risk[KEY]), name="walk_away_cost_per_week")
