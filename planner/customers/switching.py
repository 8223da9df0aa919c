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
Other products keep the guess.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from planner.customers.segments import MIN_GROUP
from planner.inputs.weekly import week_start
from planner.schemas import PRODUCTS

ALTERNATIVE_Q = -0.2
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


def card_substitutes(tree: pd.DataFrame, guessed: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """(sku, substitute) pairs. For a product the cards know, the cards decide within its shelf group
    (`groups`: sku -> group, "" = none): a product of the same group is a substitute when their buyers
    treat them as alternatives, whatever the price band and the attributes said, and is none when the
    same customers buy both. Products the cards do not know keep the guessed pairs."""
    known = set(tree["sku"])
    same_group = tree["sku"].map(groups).to_numpy() == tree["substitute"].map(groups).to_numpy()
    alternatives = tree.loc[same_group & (tree["sku"].map(groups) != "").to_numpy() & (tree["yules_q"] <= ALTERNATIVE_Q).to_numpy(),
                            ["sku", "substitute"]]
    kept = guessed[~guessed["sku"].isin(known)]
    return pd.concat([alternatives, kept], ignore_index=True).drop_duplicates().reset_index(drop=True)
