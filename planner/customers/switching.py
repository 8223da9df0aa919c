"""A customer decision tree per category: which products the same cardholders treat as alternatives.

Two products of a category are alternatives when their buyers tend to buy one or the other, not
both: over the cardholders who bought anything in the category in the history window, the 2 x 2
table of bought p / bought q gives Yule's Q = (ad - bc) / (ad + bc) (with 0.5 added to every cell),
from -1 (never bought by the same card) over 0 (independent) to +1 (always together). A pair is an
alternative at Q <= ALTERNATIVE_Q, when each has at least MIN_GROUP card buyers.

Exclusivity alone is no substitution (bin bags and dish soap may have different buyers), so the
cards decide within the shelf group (substitute_group, subcategory or category): where the cards
suffice (a product with MIN_GROUP buyers or more), its substitutes are the products of its group its
buyers treat as alternatives, instead of the guess by price band and attributes
(profiles.substitution.substitutes); a product of the group the same customers buy too is none.
Other products keep the guess. Where products were delisted, `switching` follows their buyers
card by card: what they bought more of in the weeks after, within the shelf group; a product that
took a real share of the dropped one's units is its substitute too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from planner.customers.segments import MIN_GROUP
from planner.inputs.weekly import week_start
from planner.schemas import PRODUCTS, STORE_ID

ALTERNATIVE_Q = -0.2
SWITCH_WEEKS = 6  # weeks before a delisting that make its buyers, and after it that show what they buy instead
MIN_SWITCH_SHARE = 0.1  # a product that took at least 10 % of a delisted product's units from its buyers is its substitute
SWITCHING_COLUMNS = [STORE_ID, "sku", "substitute", "buyers", "gain_units_per_week", "share_of_dropped_units"]
TREE_COLUMNS = ["category", "sku", "substitute", "yules_q", "buyers", "substitute_buyers", "both"]


def decision_tree(card_lines: pd.DataFrame, products: pd.DataFrame, weeks: pd.DatetimeIndex) -> pd.DataFrame:
    """TREE_COLUMNS: every ordered pair of products of a category with MIN_GROUP card buyers each."""
    lines = card_lines[week_start(card_lines["date"]).isin(weeks) & (card_lines["units"] > 0)]
    category = lines["sku"].map(products.set_index(PRODUCTS.sku)[PRODUCTS.category])
    tables = []
    for name, part in lines[category.notna()].groupby(category[category.notna()], sort=True):
        tables.append(_category_pairs(str(name), part))
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=TREE_COLUMNS)


def _category_pairs(category: str, lines: pd.DataFrame) -> pd.DataFrame:
    """Yule's Q for the products of one category over the cardholders who bought in it."""
    cards, card_codes = np.unique(lines["card"].to_numpy(), return_inverse=True)
    skus, sku_codes = np.unique(lines["sku"].to_numpy(), return_inverse=True)
    bought = sparse.csr_matrix((np.ones(len(lines)), (card_codes, sku_codes)), shape=(len(cards), len(skus)))
    bought.sum_duplicates()
    bought.data[:] = 1.0  # bought at all, however often
    buyers = np.asarray(bought.sum(axis=0)).ravel()
    enough = np.flatnonzero(buyers >= MIN_GROUP)
    if len(enough) < 2:
        return pd.DataFrame(columns=TREE_COLUMNS)
    sub = bought[:, enough]
    both = (sub.T @ sub).toarray()
    n = buyers[enough]
    a = both + 0.5
    b = n[:, None] - both + 0.5
    c = n[None, :] - both + 0.5
    d = len(cards) - n[:, None] - n[None, :] + both + 0.5
    q = (a * d - b * c) / (a * d + b * c)
    i, j = np.nonzero(~np.eye(len(enough), dtype=bool))
    return pd.DataFrame({"category": category, "sku": skus[enough][i], "substitute": skus[enough][j], "yules_q": q[i, j],
                         "buyers": n[i].astype(int), "substitute_buyers": n[j].astype(int), "both": both[i, j].astype(int)})


def card_substitutes(tree: pd.DataFrame, guessed: pd.DataFrame, groups: pd.Series, switched: pd.DataFrame | None = None) -> pd.DataFrame:
    """(sku, substitute) pairs. For a product the cards know, the cards decide within its shelf group
    (`groups`: sku -> group, "" = none): a product of the same group is a substitute when their buyers
    treat them as alternatives, whatever the price band and the attributes said, and is none when the
    same customers buy both; `switched` (switching()) adds what the buyers of a delisted product really
    bought instead (MIN_SWITCH_SHARE of its units or more). Products the cards do not know keep the guessed pairs."""
    known = set(tree["sku"])
    same_group = tree["sku"].map(groups).to_numpy() == tree["substitute"].map(groups).to_numpy()
    alternatives = tree.loc[same_group & (tree["sku"].map(groups) != "").to_numpy() & (tree["yules_q"] <= ALTERNATIVE_Q).to_numpy(),
                            ["sku", "substitute"]]
    kept = guessed[~guessed["sku"].isin(known)]
    taken = (switched.loc[switched["share_of_dropped_units"] >= MIN_SWITCH_SHARE, ["sku", "substitute"]]
             if switched is not None else alternatives.iloc[:0])
    return pd.concat([alternatives, taken, kept], ignore_index=True).drop_duplicates().reset_index(drop=True)


def switching(card_lines: pd.DataFrame, events: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """What the buyers of delisted products bought instead, card by card: per delisting (events:
    store_id, sku, last_sale) with MIN_GROUP or more card buyers in its last SWITCH_WEEKS weeks, the
    products of its shelf group those same cardholders bought more of a week in the SWITCH_WEEKS
    after (SWITCHING_COLUMNS; gain in units a week, share of the dropped product's units they had)."""
    rows = []
    lines = card_lines[card_lines["units"] > 0]
    lines = lines.assign(week=week_start(lines["date"]))
    by_store = {store: part for store, part in lines[lines[STORE_ID].isin(set(events[STORE_ID]))].groupby(STORE_ID)}
    for event in events.itertuples(index=False):
        here = by_store.get(event.store_id, lines.iloc[:0])
        weeks = here["week"]
        before = here[(weeks > event.last_sale - pd.Timedelta(weeks=SWITCH_WEEKS)) & (weeks <= event.last_sale)]
        buyers = before.loc[before["sku"] == event.sku, "card"].unique()
        if len(buyers) < MIN_GROUP:
            continue
        after = here[(weeks > event.last_sale) & (weeks <= event.last_sale + pd.Timedelta(weeks=SWITCH_WEEKS))]
        group = groups.get(event.sku, "")
        same = [sku for sku in groups.index[groups == group] if sku != event.sku] if group else []
        gain = (after[after["card"].isin(buyers) & after["sku"].isin(same)].groupby("sku")["units"].sum()
                .sub(before[before["card"].isin(buyers) & before["sku"].isin(same)].groupby("sku")["units"].sum(), fill_value=0.0))
        own = before.loc[before["sku"] == event.sku, "units"].sum()
        for sku, units in gain[gain > 0].items():
            rows.append((event.store_id, event.sku, sku, len(buyers), units / SWITCH_WEEKS, units / own if own > 0 else np.nan))
    return pd.DataFrame(rows, columns=SWITCHING_COLUMNS)
