"""The FIFO shelf simulation the waste model is checked against: by hand, and against a unit-by-unit loop."""

from __future__ import annotations

import numpy as np
import pytest

from planner.profiles.shelf import simulate_fifo


def test_a_hand_worked_shelf() -> None:
    # order up to 5 every 2 days in cases of 4; 2 units a day; a unit lasts 3 days
    out = simulate_fifo(np.array([[2, 2, 2, 2, 0, 0]]), order_up_to=[5], case_pack=[4], shelf_life=[3], review_days=[2])
    # day 0: 0 on hand -> 2 cases (8), sell 2; day 1: sell 2; day 2: 4 on hand < 5 -> 1 case, sell 2 (the old ones)
    # and 2 of day 0 expire that evening; day 3: sell 2; day 4: 2 on hand -> 1 case, sell 0, the 2 of day 2 expire
    days = 6 / 7
    assert out.delivered[0] * days == pytest.approx(16)
    assert out.sold[0] * days == pytest.approx(8)
    assert out.wasted[0] * days == pytest.approx(4)
    assert out.lost[0] == pytest.approx(0)


def reference(demand: np.ndarray, target: float, case: int, life: int, review: int) -> tuple[float, float]:
    """Units sold and wasted, unit batch by unit batch (oldest first)."""
    batches: list[list[float]] = []  # [last day it may be sold, units]
    sold = wasted = 0.0
    for day, wanted in enumerate(demand):
        if day % review == 0:
            on_hand = sum(units for _, units in batches)
            if on_hand < target:
                batches.append([day + life - 1, case * np.ceil((target - on_hand) / case)])
        for batch in batches:
            take = min(wanted, batch[1])
            batch[1] -= take
            wanted -= take
            sold += take
        wasted += sum(units for last, units in batches if last == day)
        batches = [b for b in batches if b[0] > day and b[1] > 0]
    return sold, wasted


def test_the_vectorised_shelf_equals_a_unit_by_unit_loop() -> None:
    rng = np.random.default_rng(3)
    targets, cases, lives, reviews = [7.5, 3.0, 20.0, 1.0], [6, 4, 12, 1], [3, 1, 5, 2], [2, 1, 3, 1]
    demand = np.vstack([rng.negative_binomial(1.5, 0.3, 400), rng.poisson(1.0, 400), rng.poisson(6.0, 400), rng.poisson(0.4, 400)])
    out = simulate_fifo(demand, targets, cases, lives, reviews)
    for i in range(4):
        sold, wasted = reference(demand[i].astype(float), targets[i], cases[i], lives[i], reviews[i])
        assert out.sold[i] * 400 / 7 == pytest.approx(sold)
        assert out.wasted[i] * 400 / 7 == pytest.approx(wasted)
        assert (out.sold[i] + out.lost[i]) * 400 / 7 == pytest.approx(demand[i].sum())
        assert out.delivered[i] >= out.sold[i] + out.wasted[i] - 1e-9  # what is left is still on the shelf
