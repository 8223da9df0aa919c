"""Loyalty-card customers for the synthetic chains of planner.examples (`write_synthetic_chain(cards=True)`).

The chain's demand comes from its customers. There are 4 to 6 segments. Each segment has a taste per
category (lognormal, sigma CATEGORY_SIGMA) and an affinity per product within its category (lognormal,
sigma PRODUCT_SIGMA), so a segment prefers particular products, not only categories; a product's
affinities average 1 over the segments. Each store has its own segment mix (Dirichlet, MIX_CONCENTRATION,
with a floor of MIX_FLOOR / segments), and a store-product's local demand factor is the store's size x
its mix-weighted affinity for the product x a small residual (lognormal, sigma RESIDUAL_SIGMA).

Cardholders: about CARDHOLDERS_PER_STORE x the store's size per store (a few hundred), split over the
segments by the store's mix and topped up so that every segment has at least MIN_PER_SEGMENT
cardholders chain-wide. Each has a visit rate (lognormal, relative) and SECOND_STORE_SHARE of them also
shop in a second store at SECOND_STORE_RATE of their home rate. Each cardholder also has habits: an own
liking of each product (gamma, shape HABIT_SHAPE, mean 1), so that a few staples are bought week after
week, as households do. The mix the demand uses is the
visit-weighted segment share of each store's cardholders, so the cards are Bayes-consistent with the
demand: a line of product p in store s is bought by segment k with probability mix[s, k] x
affinity[k, p] / sum over k.

Every selling line is one customer's purchase (daily units are split into purchases of mostly one or two
units). CARD_SHARE of the lines are rung up on a card: each trading day about (the day's card lines /
BASKET_LINES) of the store's cardholders visit, in proportion to their visit rate, and each card line
goes to a visitor in proportion to the visitor's segment affinity for the product x their own liking of it; the other lines are
anonymous. A cardholder's lines of a day share a receipt; anonymous lines make receipts of 1 to 6 lines.
Card ids are 12-digit text (leading zeros kept), receipt ids 10-digit text (store number and a counter).
Customers.planted lists what was planted (segments of the cards, store mixes, affinities).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.schemas import STORE_ID

SEGMENTS = (4, 6)  # fewest and most customer segments
CATEGORY_SIGMA, PRODUCT_SIGMA, RESIDUAL_SIGMA = 0.6, 0.5, 0.1
MIX_CONCENTRATION, MIX_FLOOR = 0.6, 0.15
CARDHOLDERS_PER_STORE = 250  # x the store's size (0.6 to 1.8)
MIN_PER_SEGMENT = 40  # cardholders chain-wide
SECOND_STORE_SHARE, SECOND_STORE_RATE = 0.15, 0.35
CARD_SHARE = 0.6  # of the selling lines, and so about that share of the units
BASKET_LINES = 3.0  # card lines per visit that shows on a receipt, on average
NEW_LINE = 0.7  # chance that the next unit of a day's sales is another customer's purchase
HABIT_SHAPE = 0.3  # a cardholder's own liking of each product: gamma, mean 1 (small shape: a few staples bought again and again)


@dataclass
class Customers:
    """The planted customers of a chain with cards; `holders` has one row per card and store it shops in."""

    rng: np.random.Generator
    affinity: np.ndarray  # segment x product, mean 1 per product
    mix: np.ndarray  # store x segment: visit-weighted share of the store's cardholders
    holders: pd.DataFrame  # card_id, store (index), segment (index), rate (relative visits), home (bool)
    local: np.ndarray  # store x product: the local demand factor (size x mix-weighted affinity x residual)
    habit: np.ndarray  # holder x product: the cardholder's own liking (mean 1), the same card in both its stores

    def planted(self, store_ids: list[str], skus: list[str]) -> dict[str, pd.DataFrame]:
        """What was planted, segments numbered from 1: planted_segments.csv (card_id, segment, store_id,
        second_store_id), planted_store_mix.csv (store_id, segment, share) and planted_affinity.csv
        (segment, sku, affinity)."""
        holders = self.holders.assign(store_id=np.array(store_ids)[self.holders["store"]], segment=self.holders["segment"] + 1)
        home = holders[holders["home"]].set_index("card_id")
        second = holders[~holders["home"]].set_index("card_id")["store_id"]
        cards = pd.DataFrame({"card_id": home.index, "segment": home["segment"].to_numpy(), STORE_ID: home["store_id"].to_numpy(),
                              "second_store_id": second.reindex(home.index).fillna("").to_numpy()}).sort_values("card_id")
        s, k = np.indices(self.mix.shape)
        mix = pd.DataFrame({STORE_ID: np.array(store_ids)[s.ravel()], "segment": k.ravel() + 1, "share": np.round(self.mix.ravel(), 4)})
        k, p = np.indices(self.affinity.shape)
        affinity = pd.DataFrame({"segment": k.ravel() + 1, "sku": np.array(skus)[p.ravel()], "affinity": np.round(self.affinity.ravel(), 4)})
        return {"planted_segments.csv": cards, "planted_store_mix.csv": mix, "planted_affinity.csv": affinity}

    def shop(self, sold: tuple[np.ndarray, ...], *, per_purchase: bool, trading_days: int) -> tuple[np.ndarray, ...]:
        """The selling lines (store, product, week, day, units, ...) as one line per purchase, each with
        the index of its row in `holders` appended (-1: no card). `per_purchase`: lines are purchases already."""
        if not per_purchase:
            sold = split_purchases(self.rng, sold)
        return (*sold, self.assign(sold[0], sold[1], sold[2] * trading_days + sold[3]))

    def assign(self, s: np.ndarray, p: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Per line, the holder who bought it (-1: anonymous): CARD_SHARE of the lines go to a visitor of
        their store and day, in proportion to the visitor's segment affinity for the product."""
        holder = np.full(len(s), -1)
        card = np.flatnonzero(self.rng.random(len(s)) < CARD_SHARE)
        order = card[np.lexsort((day[card], s[card]))]
        starts = np.flatnonzero(np.r_[True, (np.diff(s[order]) != 0) | (np.diff(day[order]) != 0)])
        by_store = {store: np.flatnonzero(self.holders["store"].to_numpy() == store) for store in np.unique(s)}
        rate, segment = self.holders["rate"].to_numpy(), self.holders["segment"].to_numpy()
        for rows in np.split(order, starts[1:]):
            if not len(rows):
                continue
            pool = by_store[s[rows[0]]]
            wanted = max(1.0, len(rows) / BASKET_LINES)
            visiting = pool[self.rng.random(len(pool)) < wanted * rate[pool] / rate[pool].sum()]
            if not len(visiting):
                visiting = self.rng.choice(pool, 1, p=rate[pool] / rate[pool].sum())
            weights = self.affinity[segment[visiting]][:, p[rows]] * self.habit[visiting][:, p[rows]]  # visitor x line
            cumulative = np.cumsum(weights, axis=0) / weights.sum(axis=0)
            chosen = (self.rng.random(len(rows))[None, :] > cumulative).sum(axis=0)
            holder[rows] = visiting[np.minimum(chosen, len(visiting) - 1)]
        return holder

    def receipts(self, s: np.ndarray, day: np.ndarray, holder: np.ndarray) -> np.ndarray:
        """A receipt number per line, counted per store from 1 in day order (receipts of a day in random
        order): a card's lines of a day share one; anonymous lines make receipts of 1 to 6 lines."""
        anonymous = np.flatnonzero(holder < 0)
        anonymous = anonymous[np.lexsort((self.rng.random(len(anonymous)), day[anonymous], s[anonymous]))]
        chunk = np.zeros(len(s), dtype=np.int64)
        ends = np.cumsum(self.rng.integers(1, 7, len(anonymous)))
        chunk[anonymous] = np.searchsorted(ends, np.arange(len(anonymous)), side="right")
        group = np.where(holder >= 0, holder, len(self.holders) + chunk)  # who, within a store and day
        keys = np.stack([s, day, group], axis=1)
        unique, inverse = np.unique(keys, axis=0, return_inverse=True)
        order = np.lexsort((self.rng.random(len(unique)), unique[:, 1], unique[:, 0]))
        rank = np.empty(len(unique), dtype=np.int64)
        rank[order] = np.arange(len(unique))
        first = np.searchsorted(unique[order, 0], unique[:, 0], side="left")
        return rank[inverse.ravel()] - first[inverse.ravel()] + 1

    def ids(self, s: np.ndarray, holder: np.ndarray, receipt: np.ndarray) -> tuple[list[str], list[str]]:
        """card_id ("" without a card) and receipt_id text per line."""
        card_ids = np.append(self.holders["card_id"].to_numpy(), "")[holder]
        return list(card_ids), [f"{store + 1:03d}{number:07d}" for store, number in zip(s, receipt, strict=True)]


def plant_customers(rng: np.random.Generator, size: np.ndarray, cat_of: np.ndarray, n_categories: int) -> Customers:
    """Segments, their affinities, the stores' cardholders and mixes, and the local demand factor they give."""
    n_segments = int(rng.integers(SEGMENTS[0], SEGMENTS[1] + 1))
    n_stores, n_products = len(size), len(cat_of)
    affinity = rng.lognormal(0.0, CATEGORY_SIGMA, (n_segments, n_categories))[:, cat_of]
    affinity = affinity * rng.lognormal(0.0, PRODUCT_SIGMA, (n_segments, n_products))
    affinity = affinity / affinity.mean(axis=0, keepdims=True)
    drawn = rng.dirichlet(np.full(n_segments, MIX_CONCENTRATION), n_stores)
    holders = _cardholders(rng, size, (1 - MIX_FLOOR) * drawn + MIX_FLOOR / n_segments)
    weight = holders.groupby(["store", "segment"])["rate"].sum().unstack(fill_value=0.0)
    weight = weight.reindex(index=range(n_stores), columns=range(n_segments), fill_value=0.0).to_numpy()
    mix = weight / weight.sum(axis=1, keepdims=True)
    local = size[:, None] * (mix @ affinity) * rng.lognormal(0.0, RESIDUAL_SIGMA, (n_stores, n_products))
    person = pd.factorize(holders["card_id"])[0]
    habit = rng.gamma(HABIT_SHAPE, 1.0 / HABIT_SHAPE, (person.max() + 1, n_products)).astype(np.float32)[person]
    return Customers(rng, affinity, mix, holders, local, habit)


def _cardholders(rng: np.random.Generator, size: np.ndarray, mix: np.ndarray) -> pd.DataFrame:
    """Cardholders per store by the store's mix (at least MIN_PER_SEGMENT per segment chain-wide), with a
    visit rate and 12-digit card ids; SECOND_STORE_SHARE of them get a second row for a second store."""
    n_stores, n_segments = mix.shape
    counts = np.vstack([_split(round(CARDHOLDERS_PER_STORE * size[store]), mix[store]) for store in range(n_stores)])
    short = np.maximum(MIN_PER_SEGMENT - counts.sum(axis=0), 0)
    counts[mix.argmax(axis=0), np.arange(n_segments)] += short
    store, segment = np.nonzero(counts)
    store, segment = np.repeat(store, counts[store, segment]), np.repeat(segment, counts[store, segment])
    numbers = 10**10 + rng.choice(9 * 10**10, len(store), replace=False)  # 11 digits, written as 12
    holders = pd.DataFrame({"card_id": [f"{n:012d}" for n in numbers], "store": store, "segment": segment,
                            "rate": rng.lognormal(-0.125, 0.5, len(store)), "home": True})
    if n_stores < 2:
        return holders
    second = holders[rng.random(len(holders)) < SECOND_STORE_SHARE]
    other = (second["store"].to_numpy() + rng.integers(1, n_stores, len(second))) % n_stores
    second = second.assign(store=other, rate=second["rate"] * SECOND_STORE_RATE, home=False)
    return pd.concat([holders, second], ignore_index=True)


def _split(total: int, shares: np.ndarray) -> np.ndarray:
    """`total` split in proportion to `shares`, rounded by the largest remainders."""
    exact = total * shares / shares.sum()
    counts = np.floor(exact).astype(int)
    counts[np.argsort(counts - exact)[: total - counts.sum()]] += 1
    return counts


def split_purchases(rng: np.random.Generator, sold: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """Selling lines of (store, product, week, day, units, ...) as one line per purchase: each unit after
    a line's first starts another customer's purchase with probability NEW_LINE."""
    units = sold[4]
    line = np.repeat(np.arange(len(units)), units)
    starts = np.r_[True, line[1:] != line[:-1]] | (rng.random(len(line)) < NEW_LINE)
    source = line[starts]
    size = np.bincount(np.cumsum(starts) - 1, minlength=len(source))
    return tuple(size if i == 4 else a[source] for i, a in enumerate(sold))
