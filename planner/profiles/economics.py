"""Money per store and product: inventory tied up, expected fresh waste, expected weekly profit.

Replenishment: a product is delivered every T days, T = delivery days (fresh or ambient rhythm
from the config), but never longer than its shelf life. Each delivery brings whole cases, enough
for the cycle's expected demand plus z standard deviations:

    Q = case_pack x max(1, ceil((mu x T + z x sigma x sqrt(T)) / case_pack))

with mu and sigma the daily mean and standard deviation (weekly figures / 7 and / sqrt 7, sigma at
least the Poisson sqrt(mu)). A unit is wasted when it is still on the shelf at the end of its shelf
life L; units left over roll into the next cycle, so the next delivery comes when the stock is sold
or expired: after C = max(T, min(L, Q / mu)) days. With D_L ~ Normal(mu L, sigma sqrt L) the demand
over one shelf life, expected waste per delivery is E[(Q - D_L)+] (the normal loss function), so

    waste units / week = E[(Q - D_L)+] x 7 / C     (at most Q x 7 / C)
    waste cost / week  = waste units / week x unit_cost
    inventory cost     = unit_cost x (case_pack + mu x T)          (EUR tied up at the peak of a cycle)
    promo profit / week = what the pair's promotion weeks added: extra revenue - extra units x unit_cost,
                          per listed week (the regular rate leaves promotion weeks out; a product that
                          sells in deals earns that too, as long as the chain keeps promoting it)
    profit / week      = units / week x (price - unit_cost) - waste cost / week + promo profit / week
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.config import ReplenishmentConfig

_erf = np.vectorize(math.erf, otypes=[float])


def expected_leftover(stock: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """E[(stock - D)+] for D ~ Normal(mean, sd): the units expected to be left unsold."""
    sd = np.maximum(sd, 1e-9)
    k = (stock - mean) / sd
    cdf = 0.5 * (1.0 + _erf(k / math.sqrt(2.0)))
    pdf = np.exp(-0.5 * k**2) / math.sqrt(2.0 * math.pi)
    return np.maximum((stock - mean) * cdf + sd * pdf, 0.0)


@dataclass(frozen=True)
class Replenishment:
    """How each pair is restocked (arrays in the order of the pairs)."""

    cycle_days: np.ndarray  # T: days between deliveries
    order_up_to: np.ndarray  # units: the cycle's expected demand + z standard deviations
    order_units: np.ndarray  # Q: whole cases, at least one
    shelf_life: np.ndarray  # L, days
    mu: np.ndarray  # expected units per day
    sigma: np.ndarray  # standard deviation of a day's units (at least Poisson)


def replenishment(pairs: pd.DataFrame, products: pd.DataFrame, config: ReplenishmentConfig) -> Replenishment:
    """Delivery cycle, order-up-to level and order size of every pair (module docstring)."""
    product = products.set_index("sku").loc[pairs["sku"]]
    fresh = product["fresh"].to_numpy(dtype=bool)
    shelf_life = product["shelf_life_days"].to_numpy(dtype=float)
    case_pack = product["case_pack"].to_numpy(dtype=float)
    mu = pairs["units_per_week"].to_numpy(dtype=float) / 7.0
    sigma = np.maximum(pairs["sd_units_per_week"].to_numpy(dtype=float) / math.sqrt(7.0), np.sqrt(mu))
    delivery = np.where(fresh, config.fresh_delivery_days, config.ambient_delivery_days)
    cycle = np.maximum(np.minimum(delivery, shelf_life), 1.0)
    need = mu * cycle + config.safety_factor * sigma * np.sqrt(cycle)
    order = case_pack * np.maximum(1.0, np.ceil(need / case_pack - 1e-9))
    return Replenishment(cycle, need, order, shelf_life, mu, sigma)


def add_economics(pairs: pd.DataFrame, products: pd.DataFrame, config: ReplenishmentConfig) -> pd.DataFrame:
    """Add cycle_days, order_units, waste_units_per_week, waste_cost_per_week, inventory_cost, margin and profit."""
    product = products.set_index("sku").loc[pairs["sku"]]
    unit_cost = product["unit_cost"].to_numpy(dtype=float)
    price = product["price"].to_numpy(dtype=float)
    plan = replenishment(pairs, products, config)
    mu, sigma, cycle, order, shelf_life = plan.mu, plan.sigma, plan.cycle_days, plan.order_units, plan.shelf_life
    case_pack = product["case_pack"].to_numpy(dtype=float)
    leftover = expected_leftover(order, mu * shelf_life, sigma * np.sqrt(shelf_life))
    days_between_deliveries = np.maximum(cycle, np.minimum(shelf_life, order / np.maximum(mu, 1e-9)))
    waste_units = np.minimum(leftover, order) * 7.0 / days_between_deliveries
    out = pairs.copy()
    out["cycle_days"] = cycle
    out["order_units"] = order
    out["waste_units_per_week"] = waste_units
    out["waste_cost_per_week"] = waste_units * unit_cost
    out["inventory_cost"] = unit_cost * (case_pack + mu * cycle)
    out["margin_per_unit"] = price - unit_cost
    promo = pairs["promo_extra_revenue"].to_numpy(dtype=float) - pairs["promo_extra_units"].to_numpy(dtype=float) * unit_cost \
        if "promo_extra_units" in pairs else np.zeros(len(pairs))
    out["promo_profit_per_week"] = promo
    out["profit_per_week"] = pairs["units_per_week"].to_numpy() * (price - unit_cost) - out["waste_cost_per_week"] + promo
    return out
