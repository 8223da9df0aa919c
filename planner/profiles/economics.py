"""Money per store and product: inventory tied up, expected fresh waste, lost sales and weekly profit.

Demand over t days is a gamma process fitted to the pair's weekly units: mean mu x t and variance
v x t, with mu and v the daily mean and variance (weekly figures / 7; v at least mu, the Poisson
spread). Gamma is never negative and is skewed as far as the data are: a lumpy pair (a few large
purchases, many zero weeks) has a small shape and most of its mass near zero, where a normal
distribution would put a fat tail of negative demand and so overstate what is left over.

Replenishment: every T days (the fresh or ambient delivery rhythm, never longer than the shelf life
L) the store orders whole cases up to an order-up-to level S. The shelf then holds on average
S + (case - 1) / 2 units (at least one case), called the top-up stock Ŝ. The level is the one the
store would really hold: among the cycle-demand quantiles from 30 % up to the store's usual cover
(expected demand + `safety_factor` standard deviations, as a service probability), the one with
the highest expected profit. A fresh product whose extra stock would mostly expire holds less and
sells out now and then; an ambient product holds the usual cover.

With D_t the demand over t days and E[(x - D)+] the gamma loss function:

    delivery  Q = Ŝ when L <= T (nothing outlives the cycle), else whole cases covering a cycle's demand
    between   C = the days from one delivery to the next: Q / mu (at least T) when it sells within
                  its life; else L rounded up to the next delivery day, the first after it expired
    waste     = w x 7 / C, with w = E[(Ŝ - D_L)+] - E[(Ŝ - Q - D_L)+]: FIFO puts the newest
                delivery at the back of the queue, at positions Ŝ - Q .. Ŝ, and its units expire
                when the L days after delivery sell fewer than their position
    sold      = min((Q - w) x 7 / C, E[min(Ŝ, D_T)] x 7 / T)   (demand finding the shelf empty is lost)

Delivered = Q x 7 / C >= sold + waste: waste never exceeds the units delivered minus the units sold.

    waste cost / week   = waste units / week x unit_cost
    inventory cost      = unit_cost x (case_pack + mu x T)          (EUR tied up at the peak of a cycle)
    promo profit / week = what the pair's promotion weeks added: extra revenue - extra units x unit_cost,
                          per listed week (the regular rate leaves promotion weeks out), never below 0:
                          POS data show a deal's price, not its cost (deals are mostly vendor-funded),
                          and whether a deal runs is the chain's choice, not the product's; on the
                          orange juice a product whose deals looked like losses was dropped and then
                          earned the second most per shelf unit
    profit / week       = sold units / week x (price - unit_cost) - waste cost / week + promo profit / week
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import gammainc, gammaincinv, ndtr

from planner.config import ReplenishmentConfig

SERVICE_LEVELS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98)  # candidate quantiles of the cycle's demand
TINY = 1e-9


def gamma_loss(stock: np.ndarray, mean: np.ndarray, var: np.ndarray) -> np.ndarray:
    """E[(stock - D)+] for D ~ Gamma with this mean and variance: the units expected to be left unsold."""
    stock, mean, var = np.broadcast_arrays(np.asarray(stock, float), np.asarray(mean, float), np.asarray(var, float))
    positive = mean > TINY
    safe_mean = np.where(positive, mean, 1.0)
    shape = safe_mean**2 / np.maximum(var, TINY)
    scale = np.maximum(var, TINY) / safe_mean
    x = np.maximum(stock, 0.0) / scale
    loss = np.maximum(stock, 0.0) * gammainc(shape, x) - safe_mean * gammainc(shape + 1.0, x)
    return np.where(positive, np.clip(loss, 0.0, np.maximum(stock, 0.0)), np.maximum(stock, 0.0))


def gamma_quantile(probability: float | np.ndarray, mean: np.ndarray, var: np.ndarray) -> np.ndarray:
    """The `probability` quantile of a gamma with this mean and variance (0 where the mean is 0)."""
    positive = mean > TINY
    safe_mean = np.where(positive, mean, 1.0)
    shape = safe_mean**2 / np.maximum(var, TINY)
    return np.where(positive, gammaincinv(shape, probability) * np.maximum(var, TINY) / safe_mean, 0.0)


def shelf_outcome(level: np.ndarray, mu: np.ndarray, var: np.ndarray, cycle: np.ndarray, life: np.ndarray,
                  case: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sold, wasted) units per week at order-up-to `level` (module docstring); arrays broadcast."""
    top = np.maximum(level + (case - 1.0) / 2.0, case)
    expire_all = life <= cycle
    delivery = np.where(expire_all, top, np.minimum(top, case * np.maximum(1.0, np.ceil(mu * cycle / case - 1e-9))))
    safe_mu = np.maximum(mu, TINY)
    lasts = delivery / safe_mu  # days a delivery takes to sell, if nothing expired
    between = np.where(lasts >= life, cycle * np.ceil(life / cycle - 1e-9), np.maximum(cycle, lasts))
    newest = gamma_loss(top, mu * life, var * life) - gamma_loss(top - delivery, mu * life, var * life)
    newest = np.clip(newest, 0.0, delivery)
    wasted = newest * 7.0 / between
    sold_cycle = top - gamma_loss(top, mu * cycle, var * cycle)
    sold = np.minimum((delivery - newest) * 7.0 / between, sold_cycle * 7.0 / cycle)
    return np.where(mu > TINY, sold, 0.0), wasted


@dataclass(frozen=True)
class Replenishment:
    """How each pair is restocked, and what the shelf then sells and throws away (arrays in the order of the pairs)."""

    cycle_days: np.ndarray  # T: days between deliveries
    order_up_to: np.ndarray  # S: units the store orders up to at each delivery
    order_units: np.ndarray  # Q: a typical delivery, whole cases, at least one
    shelf_life: np.ndarray  # L, days
    mu: np.ndarray  # expected units per day
    var: np.ndarray  # variance of a day's units (at least Poisson)
    sold_per_week: np.ndarray
    waste_per_week: np.ndarray


def replenishment(pairs: pd.DataFrame, products: pd.DataFrame, config: ReplenishmentConfig) -> Replenishment:
    """Delivery cycle, the profit-maximising order-up-to level and its sales and waste for every pair (module docstring)."""
    product = products.set_index("sku").loc[pairs["sku"]]
    fresh = product["fresh"].to_numpy(dtype=bool)
    life = product["shelf_life_days"].to_numpy(dtype=float)
    case = np.maximum(product["case_pack"].to_numpy(dtype=float), 1.0)
    margin = product["price"].to_numpy(dtype=float) - product["unit_cost"].to_numpy(dtype=float)
    unit_cost = product["unit_cost"].to_numpy(dtype=float)
    mu = pairs["units_per_week"].to_numpy(dtype=float) / 7.0
    var = np.maximum(pairs["sd_units_per_week"].to_numpy(dtype=float) ** 2 / 7.0, mu)
    delivery = np.where(fresh, config.fresh_delivery_days, config.ambient_delivery_days)
    cycle = np.maximum(np.minimum(delivery, life), 1.0)
    usual = float(ndtr(config.safety_factor))
    levels = [p for p in SERVICE_LEVELS if p < usual] + [usual]
    candidates = np.stack([gamma_quantile(p, mu * cycle, var * cycle) for p in levels], axis=1)
    sold, wasted = shelf_outcome(candidates, *(a[:, None] for a in (mu, var, cycle, life, case)))
    best = np.argmax(margin[:, None] * sold - unit_cost[:, None] * wasted, axis=1)
    rows = np.arange(len(pairs))
    level, sold, wasted = candidates[rows, best], sold[rows, best], wasted[rows, best]
    order = case * np.maximum(1.0, np.ceil(mu * cycle / case - 1e-9))
    return Replenishment(cycle, level, order, life, mu, var, sold, wasted)


def add_economics(pairs: pd.DataFrame, products: pd.DataFrame, config: ReplenishmentConfig) -> pd.DataFrame:
    """Add cycle_days, order_up_to, order_units, sold, lost and waste units, costs, margin and profit (module docstring)."""
    product = products.set_index("sku").loc[pairs["sku"]]
    unit_cost = product["unit_cost"].to_numpy(dtype=float)
    price = product["price"].to_numpy(dtype=float)
    plan = replenishment(pairs, products, config)
    case_pack = product["case_pack"].to_numpy(dtype=float)
    out = pairs.copy()
    out["cycle_days"] = plan.cycle_days
    out["order_up_to"] = plan.order_up_to
    out["order_units"] = plan.order_units
    out["lost_units_per_week"] = np.maximum(pairs["units_per_week"].to_numpy(dtype=float) - plan.sold_per_week, 0.0)
    out["waste_units_per_week"] = plan.waste_per_week
    out["waste_cost_per_week"] = plan.waste_per_week * unit_cost
    out["inventory_cost"] = unit_cost * (case_pack + plan.mu * plan.cycle_days)
    out["margin_per_unit"] = price - unit_cost
    promo = pairs["promo_extra_revenue"].to_numpy(dtype=float) - pairs["promo_extra_units"].to_numpy(dtype=float) * unit_cost \
        if "promo_extra_units" in pairs else np.zeros(len(pairs))
    out["promo_profit_per_week"] = np.maximum(promo, 0.0)
    out["profit_per_week"] = plan.sold_per_week * (price - unit_cost) - out["waste_cost_per_week"] + out["promo_profit_per_week"]
    return out
