"""A FIFO shelf-life simulation: the reference the waste model of economics.py is checked against.

Every `review_days` days a store orders whole cases up to its order-up-to level (when the stock on
hand is below it); customers take the oldest units first; a unit delivered on day d is thrown away
at the end of day d + shelf_life - 1. Demand that finds the shelf empty is lost. Vectorised over
store-product pairs: stock is held as a (pairs x days of life left) array.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ShelfOutcome:
    """Units per week over the simulated days, per pair."""

    delivered: np.ndarray
    sold: np.ndarray
    wasted: np.ndarray
    lost: np.ndarray  # demand that found the shelf empty


def simulate_fifo(
    demand: np.ndarray, order_up_to: np.ndarray, case_pack: np.ndarray, shelf_life: np.ndarray, review_days: np.ndarray,
    *, warm_up: int = 0,
) -> ShelfOutcome:
    """Simulate every pair's shelf over the days of `demand` (pairs x days, units); per-pair arrays
    give the order-up-to level (units; or pairs x days, a level per day), case pack, shelf life
    (days, >= 1) and review period (days). The first `warm_up` days fill the shelf and are not counted."""
    demand = np.asarray(demand, dtype=float)
    pairs, days = demand.shape
    life = np.clip(np.asarray(shelf_life, dtype=int), 1, None)
    review = np.clip(np.asarray(review_days, dtype=int), 1, None)
    case = np.clip(np.asarray(case_pack, dtype=float), 1, None)
    target = np.asarray(order_up_to, dtype=float)
    target = target if target.ndim == 2 else np.repeat(target[:, None], days, axis=1)
    stock = np.zeros((pairs, int(life.max())))
    rows = np.arange(pairs)
    totals = {name: np.zeros(pairs) for name in ("delivered", "sold", "wasted", "lost")}
    for day in range(days):
        counted = day >= warm_up
        ordering = day % review == 0
        on_hand = stock.sum(axis=1)
        level = target[:, day]
        order = np.where(ordering & (on_hand < level), case * np.ceil(np.maximum(level - on_hand, 0) / case), 0.0)
        stock[rows, life - 1] += order
        held = np.cumsum(stock, axis=1)
        left = np.maximum(held - demand[:, day, None], 0.0)
        sold = held[:, -1] - left[:, -1]
        stock = np.diff(left, axis=1, prepend=0.0)
        if counted:
            totals["delivered"] += order
            totals["sold"] += sold
            totals["wasted"] += stock[:, 0]
            totals["lost"] += demand[:, day] - sold
        stock[:, :-1] = stock[:, 1:]
        stock[:, -1] = 0.0
    weeks = max(days - warm_up, 1) / 7
    return ShelfOutcome(*(totals[name] / weeks for name in ("delivered", "sold", "wasted", "lost")))
