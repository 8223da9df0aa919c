"""Synthetic chains in the input contract, for tests, benchmarks and trying the planner at scale.

`write_synthetic_chain` writes a data folder (stores.csv, products.csv, assortment.csv and POS
lines under pos/) for any number of stores and products. Stores differ in size and in a random
taste per category, so localising pays; limits are set so that each store must choose (shelf
capacity about 85 % and inventory budget about 90 % of what its final listing needs). Each store
and product has one underlying rate for the whole history, so the weeks before a backtest cut tell
what comes after it; `demand` (one of DEMAND_PROFILES) chooses the noise on top of that rate:

smooth: Poisson weekly units at the pair's rate (about 4.5 units / week for the median product).
About 75 % of store-product pairs are listed, and they sell from the first week to the last. One
weekly total per store, product and week, dated on the week's first day, goes to
pos/<store>/weekly.csv. For the same arguments the files stay the same, byte for byte, because tests
and benchmarks depend on them.

Every other profile writes till lines for Monday to Saturday (the stores close on Sundays), with
busier Fridays and Saturdays, one CSV per store and month (pos/<store>/<YYYY-MM>.csv). About 0.3 %
of the lines are returns (negative units and revenue, later in the same week). A few pairs begin or
stop selling partway through: about 3 % of all pairs start (half of them in the last 13 weeks,
which makes them new listings after a backtest cut) and about 2 % are delisted. The pairs in
assortment.csv are the ones listed at the end of the data.

intermittent: slow movers. Most products sell 0.1 to 1.5 units a week in a store, so most of their
weeks have no sale. About 10 % of products sell as fast as in smooth. There is one daily line per
store, product and day with a sale (Poisson per day).

lumpy: customers buy 1, 2, 6, 12 or 24 units at once. A pair has a Poisson number of purchases a
week (0.6 for the median product). Each purchase takes its quantity from {1, 1, 1, 2, 6, 12, 24}
with weights drawn per product (Dirichlet), so a purchase averages about 6.7 units. Every purchase
is its own line, on a day of its week. The planner's bulk rule (a line above
max(5 x p90, p90 + 10)) is meant to catch some of them.

overdispersed: weekly units are negative binomial (a gamma-Poisson mixture). Each pair's variance
is 3 to 8 times its mean, a ratio drawn per pair. Each week's total is spread over daily lines.

promotions: 10 to 15 % of each product's weeks are deal weeks, the same weeks in every store. In a
deal week demand is 2 to 4 times the regular rate and the shelf price is cut by 15 to 30 %
(revenue = units x the cut price, rounded to cents). About half of the stores export a promo
column that is 1 on deal-week lines. The other stores' tills do not flag promotions, so only the
lower price shows them. Daily lines.

fresh: 55 % of products are fresh, with a shelf life of 1 to 5 days. Daily lines (one per store,
product and day with a sale), a day-of-week pattern, and a daily gamma shock that makes the
variance about 1.5 to 2.5 times the mean.

churn: smooth-ish daily Poisson demand, but the listing changes during the history. About 10 % of
pairs start partway (half before the last 13 weeks, half within them) and about 8 % stop partway.
The pairs that stopped are delisted and are not in assortment.csv.

cards=True plants loyalty-card customers (planner/synthetic_cards.py has the details): 4 to 6 segments,
each with a taste per category and an affinity per product; each store's own segment mix (Dirichlet)
sets its local demand (store size x mix-weighted affinity x a small residual, in place of the random
category taste); a few hundred cardholders per store (each in one segment, with a visit rate, some also
shopping in a second store; at least 40 per segment chain-wide). Every line is one customer's purchase
(daily units are split into purchases); about 60 % of them go to a visiting cardholder, in proportion to
the segment's affinity for the product, the rest stay anonymous. A card's lines of a day share a receipt,
anonymous lines make receipts of 1 to 6 lines. The POS files get card_id (12-digit text, empty = no card)
and receipt_id columns; planted_segments.csv (card, segment, home and second store),
planted_store_mix.csv (store, segment, share) and planted_affinity.csv (segment, sku) record what was
planted. A smooth chain with cards writes daily till lines (its weekly totals have no customers):
Poisson per day at the same rate, with returns, no listing changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planner.schemas import STORE_ID
from planner.synthetic_cards import Customers, plant_customers

CATEGORIES = [
    ("Produce", True), ("Dairy", True), ("Bakery", True), ("Meat", True), ("Deli", True), ("Ready Meals", True),
    ("Beverages", False), ("Snacks", False), ("Pantry", False), ("Frozen", False), ("Household", False), ("Personal Care", False),
]
DEMAND_PROFILES = ("smooth", "intermittent", "lumpy", "overdispersed", "promotions", "fresh", "churn")

CUT_WEEKS = 13  # the decision backtest plans this many weeks before the end; some new listings fall after it
DAY_WEIGHTS = np.array([0.14, 0.15, 0.15, 0.16, 0.19, 0.21])  # share of a week's units, Monday to Saturday
TRADING_DAYS = len(DAY_WEIGHTS)  # closed on Sundays
LUMPY_SIZES = np.array([1, 2, 6, 12, 24])  # units per purchase; {1, 1, 1, 2, 6, 12, 24} as weights 3:1:1:1:1
LUMPY_WEIGHTS = np.array([3.0, 1.0, 1.0, 1.0, 1.0])
RETURN_SHARE = 0.003  # of selling lines
# share of all store-product pairs that start / stop selling partway through the history
LISTING_CHANGES = {"churn": (0.10, 0.08), "smooth": (0.0, 0.0)}  # smooth: only with cards
USUAL_LISTING_CHANGES = (0.03, 0.02)
FRESH_SHARE = 0.55  # fresh products in the fresh profile


@dataclass
class _ProductDraws:
    """The random product attributes, drawn in the order the smooth chain has always drawn them."""

    cat_of: np.ndarray
    price: np.ndarray
    cost_share: np.ndarray
    shelf_space: np.ndarray
    case_fresh: np.ndarray
    case_dry: np.ndarray
    life_fresh: np.ndarray
    life_dry: np.ndarray

    @classmethod
    def draw(cls, rng: np.random.Generator, n_categories: int, n_products: int) -> _ProductDraws:
        cat_of = rng.integers(0, n_categories, n_products)
        price = np.round(rng.lognormal(0.8, 0.6, n_products).clip(0.39, 25.0), 2)
        cost_share = rng.uniform(0.55, 0.8, n_products)
        shelf_space = rng.integers(1, 4, n_products)
        case_fresh, case_dry = rng.integers(4, 13, n_products), rng.integers(6, 25, n_products)
        life_fresh, life_dry = rng.integers(2, 15, n_products), rng.integers(90, 720, n_products)
        return cls(cat_of, price, cost_share, shelf_space, case_fresh, case_dry, life_fresh, life_dry)

    def table(self, categories: list[tuple[str, bool]]) -> pd.DataFrame:
        """products.csv: sku, name, category, fresh, price (EUR), unit_cost (EUR), shelf_space, case_pack, shelf_life_days."""
        is_fresh = np.array([categories[c][1] for c in self.cat_of])
        return pd.DataFrame(
            {
                "sku": [f"{i:06d}" for i in range(1, len(self.cat_of) + 1)],
                "name": [f"{categories[c][0]} item {i}" for i, c in enumerate(self.cat_of, start=1)],
                "category": [categories[c][0] for c in self.cat_of],
                "fresh": is_fresh.astype(int),
                "price": self.price,
                "unit_cost": np.round(self.price * self.cost_share, 2),
                "shelf_space": self.shelf_space,
                "case_pack": np.where(is_fresh, self.case_fresh, self.case_dry),
                "shelf_life_days": np.where(is_fresh, self.life_fresh, self.life_dry),
            }
        )


def write_synthetic_chain(
    folder: Path,
    *,
    n_stores: int = 3,
    n_products: int = 40,
    n_weeks: int = 30,
    seed: int = 0,
    fresh: bool = True,
    last_week: str = "2026-11-16",
    demand: str = "smooth",
    cards: bool = False,
) -> Path:
    """Write a chain to `folder` and return it.

    fresh: False makes a chain without fresh products (not with demand="fresh").
    last_week: the first day of the last week of data. Profiles other than smooth move it back to its Monday.
    demand: one of DEMAND_PROFILES (see the module docstring).
    cards: demand from loyalty-card customers, with card_id and receipt_id on every line (module docstring);
    False writes the same files as before the option existed.
    """
    if demand not in DEMAND_PROFILES:
        msg = f"unknown demand profile {demand!r}; known profiles: {', '.join(DEMAND_PROFILES)}"
        raise ValueError(msg)
    if demand == "fresh" and not fresh:
        msg = "demand='fresh' needs fresh products; leave fresh=True"
        raise ValueError(msg)
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    categories = [c for c in CATEGORIES if fresh or not c[1]]
    draws = _ProductDraws.draw(rng, len(categories), n_products)
    size = rng.uniform(0.6, 1.8, n_stores)
    store_ids = [f"S{i:03d}" for i in range(1, n_stores + 1)]
    taste = rng.lognormal(0.0, 0.45, (n_stores, len(categories)))
    base = rng.lognormal(1.5, 1.0, n_products)
    noise = rng.lognormal(0.0, 0.3, (n_stores, n_products))
    listed = rng.random((n_stores, n_products)) < 0.75
    weeks = pd.date_range(end=pd.Timestamp(last_week), periods=n_weeks, freq="7D")
    if demand == "smooth" and not cards:
        products = draws.table(categories)
        rate = base[None, :] * size[:, None] * taste[:, draws.cat_of] * noise
        units = rng.poisson(rate[:, :, None] * np.ones(n_weeks)) * listed[:, :, None]
        files = _weekly_files(units, weeks, store_ids, products)
    else:
        extra = np.random.default_rng([seed, 1])  # every draw the smooth chain does not make
        if demand == "fresh":
            _make_fresh(extra, draws, categories)
        products = draws.table(categories)
        customers = plant_customers(np.random.default_rng([seed, 2]), size, draws.cat_of, len(categories)) if cards else None
        local = customers.local if customers is not None else size[:, None] * taste[:, draws.cat_of] * noise
        files, rate = _till_files(demand, extra, products, base, local, listed, weeks, store_ids, customers)
        files |= customers.planted(store_ids, list(products["sku"])) if customers is not None else {}
    stores = _stores(store_ids, products, listed, rate)
    s_list, p_list = np.nonzero(listed)
    assortment = pd.DataFrame({STORE_ID: np.array(store_ids)[s_list], "sku": products["sku"].to_numpy()[p_list]})
    stores.to_csv(folder / "stores.csv", index=False)
    products.to_csv(folder / "products.csv", index=False)
    assortment.to_csv(folder / "assortment.csv", index=False)
    for relative, lines in files.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        lines.to_csv(folder / relative, index=False)
    return folder


def _stores(store_ids: list[str], products: pd.DataFrame, listed: np.ndarray, rate: np.ndarray) -> pd.DataFrame:
    """stores.csv with limits that bind: 85 % of the shelf and 90 % of the inventory the final listing needs."""
    shelf_listed = (listed * products["shelf_space"].to_numpy()[None, :]).sum(axis=1)
    inventory = (listed * (products["unit_cost"].to_numpy() * (products["case_pack"].to_numpy() + rate / 7 * 4))).sum(axis=1)
    return pd.DataFrame(
        {
            STORE_ID: store_ids,
            "name": [f"Store {i}" for i in range(1, len(store_ids) + 1)],
            "town": [f"Town {i}" for i in range(1, len(store_ids) + 1)],
            "shelf_capacity": np.maximum(np.round(shelf_listed * 0.85), products["shelf_space"].max()).astype(int),
            "inventory_budget": np.round(inventory * 0.9, 0),
        }
    )


def _weekly_files(units: np.ndarray, weeks: pd.DatetimeIndex, store_ids: list[str], products: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The smooth profile's weekly totals, one pos/<store>/weekly.csv per store."""
    s_idx, p_idx, w_idx = np.nonzero(units)
    pos = pd.DataFrame(
        {
            "date": weeks[w_idx].strftime("%Y-%m-%d"),
            STORE_ID: np.array(store_ids)[s_idx],
            "sku": products["sku"].to_numpy()[p_idx],
            "units": units[s_idx, p_idx, w_idx],
        }
    )
    pos["revenue"] = np.round(pos["units"] * products["price"].to_numpy()[p_idx], 2)
    return {f"pos/{store_id}/weekly.csv": lines for store_id, lines in pos.groupby(STORE_ID)}


def _make_fresh(extra: np.random.Generator, draws: _ProductDraws, categories: list[tuple[str, bool]]) -> None:
    """Make FRESH_SHARE of the products fresh, with a shelf life of 1 to 5 days, moving them to fresh categories."""
    n_products = len(draws.cat_of)
    want = np.zeros(n_products, dtype=bool)
    want[extra.permutation(n_products)[: math.ceil(FRESH_SHARE * n_products)]] = True
    fresh_cats = np.array([i for i, c in enumerate(categories) if c[1]])
    dry_cats = np.array([i for i, c in enumerate(categories) if not c[1]])
    is_fresh = np.array([categories[c][1] for c in draws.cat_of])
    draws.cat_of = np.where(want & ~is_fresh, extra.choice(fresh_cats, n_products), draws.cat_of)
    draws.cat_of = np.where(~want & is_fresh, extra.choice(dry_cats, n_products), draws.cat_of)
    draws.life_fresh = extra.integers(1, 6, n_products)


def _till_files(
    demand: str, extra: np.random.Generator, products: pd.DataFrame, base: np.ndarray, local: np.ndarray,
    listed: np.ndarray, weeks: pd.DatetimeIndex, store_ids: list[str], customers: Customers | None = None,
) -> tuple[dict[str, pd.DataFrame], np.ndarray]:
    """Till lines of a non-smooth profile (or smooth with cards), one file per store and month, and the
    pairs' mean units / week.

    `base` is the product's smooth rate (units / week), `local` the store-product factor (size, taste, noise).
    `customers`: one line per purchase, with card_id and receipt_id.
    """
    start, stop = _listing_spans(extra, listed, len(weeks), *LISTING_CHANGES.get(demand, USUAL_LISTING_CHANGES))
    week_no = np.arange(len(weeks))
    selling = (week_no >= start[:, :, None]) & (week_no < stop[:, :, None])  # store, product, week
    sold, rate = _sales(demand, extra, products["price"].to_numpy(), base, local, selling)
    if customers is not None:
        sold = customers.shop(sold, per_purchase=demand == "lumpy", trading_days=TRADING_DAYS)
    s, p, w, d, units, unit_price, promo, *card = _with_returns(extra, *sold)  # card: [holder] with customers
    if customers is not None:
        card.append(customers.receipts(s, w * TRADING_DAYS + d, card[0]))
    order = np.lexsort((p, *card[1:], d, w, s))  # with cards, a receipt's lines together
    s, p, w, d, units, unit_price, promo, *card = (a[order] for a in (s, p, w, d, units, unit_price, promo, *card))
    mondays = weeks - pd.to_timedelta(weeks.day_of_week, unit="D")
    days = (mondays.to_numpy()[:, None] + np.arange(TRADING_DAYS) * np.timedelta64(1, "D")).ravel()
    lines = pd.DataFrame(
        {
            "date": pd.DatetimeIndex(days).strftime("%Y-%m-%d").to_numpy()[w * TRADING_DAYS + d],
            STORE_ID: np.array(store_ids)[s],
            "sku": products["sku"].to_numpy()[p],
            "units": units,
            "revenue": np.round(units * unit_price, 2),
            "promo": promo.astype(int),
        }
    )
    card_columns = ["card_id", "receipt_id"] if customers is not None else []
    if customers is not None:
        lines["card_id"], lines["receipt_id"] = customers.ids(s, *card)
    flagging = set(extra.permutation(len(store_ids))[: (len(store_ids) + 1) // 2]) if demand == "promotions" else set()
    files = {}
    for (store, month), part in lines.groupby([s, lines["date"].str[:7]], sort=True):
        columns = ["date", STORE_ID, "sku", "units", "revenue"] + (["promo"] if store in flagging else []) + card_columns
        files[f"pos/{store_ids[store]}/{month}.csv"] = part[columns]
    return files, rate


def _sales(
    demand: str, extra: np.random.Generator, price: np.ndarray, base: np.ndarray, local: np.ndarray, selling: np.ndarray
) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """The profile's selling lines as (store, product, week, day, units, unit price in EUR, promo) and
    the pairs' regular mean units / week. `selling` (store, product, week) marks the listed weeks."""
    n_products = len(price)
    sale_price = np.broadcast_to(price[None, :, None], selling.shape)
    deal = np.zeros(selling.shape, dtype=bool)
    if demand == "lumpy":
        occasions = 0.6 * np.exp(0.6 * (np.log(base) - 1.5))[None, :] * local  # purchases / week
        weights = extra.dirichlet(2 * LUMPY_WEIGHTS, n_products)
        s, p, w, d, units = _purchases(extra, occasions, selling, weights)
        return (s, p, w, d, units, sale_price[s, p, w], deal[s, p, w]), occasions * (weights @ LUMPY_SIZES)[None, :]
    if demand == "intermittent":
        fast = np.isin(np.arange(n_products), extra.permutation(n_products)[: max(1, round(0.1 * n_products))])
        base = np.where(fast, base, 0.3 * np.exp(0.45 * (np.log(base) - 1.5)))
    rate = base[None, :] * local
    weekly = np.where(selling, rate[:, :, None], 0.0)
    if demand == "overdispersed":
        shape = rate / (extra.uniform(3.0, 8.0, rate.shape) - 1.0)  # variance / mean = 1 + rate / shape
        weekly = weekly * extra.gamma(shape[:, :, None], 1.0 / shape[:, :, None], weekly.shape)
    elif demand == "promotions":
        deals, lift, cut = _deal_weeks(extra, n_products, selling.shape[2])
        weekly = weekly * np.where(deals, lift, 1.0)[None]
        sale_price = np.broadcast_to(np.where(deals, np.round(price[:, None] * (1 - cut), 2), price[:, None])[None], selling.shape)
        deal = np.broadcast_to(deals[None], selling.shape)
    daily = weekly[..., None] * DAY_WEIGHTS
    if demand == "fresh":
        shape = np.maximum(daily, 1e-9) / (extra.uniform(1.5, 2.5, rate.shape) - 1.0)[:, :, None, None]
        daily = daily * extra.gamma(shape, 1.0 / shape)  # variance / mean = 1 + daily / shape
    by_day = extra.poisson(daily)
    s, p, w, d = np.nonzero(by_day)
    return (s, p, w, d, by_day[s, p, w, d], sale_price[s, p, w], deal[s, p, w]), rate


def _listing_spans(
    extra: np.random.Generator, listed: np.ndarray, n_weeks: int, start_share: float, stop_share: float
) -> tuple[np.ndarray, np.ndarray]:
    """First selling week and the week after the last, per store and product.

    Listed pairs sell to the end: `start_share` of all pairs start partway (half before the last
    CUT_WEEKS weeks, half within them). Pairs not listed at the end do not sell, except `stop_share`
    of all pairs, which sell from the start and are delisted partway.
    """
    start = np.zeros(listed.shape, dtype=int)
    stop = np.where(listed, n_weeks, 0)
    if n_weeks < 8:
        return start, stop
    cut = max(n_weeks - CUT_WEEKS, n_weeks // 2)
    starts = listed & (extra.random(listed.shape) < start_share / max(listed.mean(), 1e-9))
    late = extra.random(listed.shape) < 0.5
    week = np.where(late, extra.integers(cut, n_weeks - 1, listed.shape), extra.integers(2, cut, listed.shape))
    start[starts] = week[starts]
    stops = ~listed & (extra.random(listed.shape) < stop_share / max(1.0 - listed.mean(), 1e-9))
    stop[stops] = extra.integers(n_weeks // 4, n_weeks - 1, listed.shape)[stops]
    return start, stop


def _purchases(
    extra: np.random.Generator, occasions: np.ndarray, selling: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Lumpy purchases: Poisson(`occasions`) per selling week, each on a day of its week with a
    quantity drawn from LUMPY_SIZES with the product's `weights`. Returns store, product, week, day, units."""
    count = extra.poisson(np.where(selling, occasions[:, :, None], 0.0))
    s, p, w = np.nonzero(count)
    repeat = count[s, p, w]
    s, p, w = np.repeat(s, repeat), np.repeat(p, repeat), np.repeat(w, repeat)
    d = extra.choice(TRADING_DAYS, len(s), p=DAY_WEIGHTS / DAY_WEIGHTS.sum())
    drawn = extra.random(len(s))
    size = (drawn[:, None] > np.cumsum(weights, axis=1)[p, :-1]).sum(axis=1)
    return s, p, w, d, LUMPY_SIZES[size]


def _deal_weeks(extra: np.random.Generator, n_products: int, n_weeks: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chain-wide deal weeks (10-15 % of each product's weeks), their demand lift (2-4 x) and price cut (15-30 %)."""
    deal = np.zeros((n_products, n_weeks), dtype=bool)
    count = np.round(extra.uniform(0.10, 0.15, n_products) * n_weeks).astype(int)
    for product, n in enumerate(count):
        deal[product, extra.permutation(n_weeks)[:n]] = True
    return deal, extra.uniform(2.0, 4.0, deal.shape), extra.uniform(0.15, 0.30, deal.shape)


def _with_returns(extra: np.random.Generator, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """Add a return line for RETURN_SHARE of the lines (store, product, week, day, units, unit price,
    promo, and any more columns, such as the cardholder, copied): one unit or the whole line back, on the
    same or a later trading day of the same week."""
    s, p, w, d, units = arrays[:5]
    back = np.nonzero(extra.random(len(s)) < RETURN_SHARE)[0]
    returned = np.where(extra.random(len(back)) < 0.7, 1, units[back])
    later = d[back] + (extra.random(len(back)) * (TRADING_DAYS - d[back])).astype(int)
    extra_lines = (s[back], p[back], w[back], later, -returned, *(a[back] for a in arrays[5:]))
    return tuple(np.concatenate([a, b]) for a, b in zip(arrays, extra_lines, strict=True))
