"""The waste model (profiles/economics.py) against draws and against the FIFO shelf simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.config import ReplenishmentConfig
from planner.profiles.economics import (
    add_economics,
    gamma_loss,
    replenishment,
    shelf_outcome,
)
from planner.profiles.shelf import simulate_fifo

DAYS = 20_000


def one_pair(units_per_week: float, sd: float, *, case: int, life: float, price: float = 2.0, cost: float = 1.0,
             fresh: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    products = pd.DataFrame({"sku": ["a"], "fresh": [fresh], "shelf_life_days": [life], "case_pack": [case],
                             "unit_cost": [cost], "price": [price]})
    pairs = pd.DataFrame({"store_id": ["s"], "sku": ["a"], "units_per_week": [units_per_week], "sd_units_per_week": [sd]})
    return pairs, products


def test_the_gamma_loss_function_matches_draws() -> None:
    rng = np.random.default_rng(1)
    for mean, var, stock in [(20.0, 25.0, 25.0), (0.5, 12.0, 6.0), (3.0, 3.0, 1.0)]:
        draws = rng.gamma(mean**2 / var, var / mean, 1_000_000)
        assert gamma_loss(np.array([stock]), np.array([mean]), np.array([var]))[0] == pytest.approx(
            np.maximum(stock - draws, 0).mean(), rel=0.01)


@pytest.mark.slow
@pytest.mark.parametrize(("units_per_week", "case", "life"), [(10, 12, 4), (3, 6, 3), (30, 10, 5), (2, 12, 10), (5, 6, 2), (60, 6, 4)])
def test_poisson_waste_and_sales_match_the_fifo_shelf(units_per_week: float, case: int, life: float) -> None:
    """Poisson demand on a FIFO shelf held at the model's own order-up-to level: waste within 15 % + 0.5 units a week."""
    pairs, products = one_pair(units_per_week, np.sqrt(units_per_week), case=case, life=life)
    config = ReplenishmentConfig(fresh_delivery_days=2.0)
    plan = replenishment(pairs, products, config)
    demand = np.random.default_rng(0).poisson(units_per_week / 7, (1, DAYS)).astype(float)
    shelf = simulate_fifo(demand, plan.order_up_to, np.array([case]), np.array([life]), plan.cycle_days, warm_up=50)
    assert plan.waste_per_week[0] == pytest.approx(shelf.wasted[0], rel=0.15, abs=0.5)
    assert plan.sold_per_week[0] == pytest.approx(shelf.sold[0], rel=0.15, abs=0.5)


@pytest.mark.slow
def test_lumpy_demand_of_24_unit_purchases_matches_the_fifo_shelf() -> None:
    """A purchase of 24 units about every two weeks: mostly zero days, so the waste is not a normal curve's."""
    rng = np.random.default_rng(2)
    demand = (rng.random((1, DAYS)) < 1 / 14) * 24.0
    weekly = demand[0, : DAYS // 7 * 7].reshape(-1, 7).sum(axis=1)
    pairs, products = one_pair(weekly.mean(), weekly.std(), case=6, life=6.0)
    plan = replenishment(pairs, products, ReplenishmentConfig(fresh_delivery_days=2.0))
    shelf = simulate_fifo(demand, plan.order_up_to, np.array([6]), np.array([6.0]), plan.cycle_days, warm_up=50)
    assert plan.waste_per_week[0] == pytest.approx(shelf.wasted[0], rel=0.15, abs=0.5)


def test_a_fresh_best_seller_with_high_variance_never_looks_unprofitable() -> None:
    """61 units a week with three times the Poisson spread and 4 days of shelf life (the chicken of the
    issue): the store holds less, sells out now and then, and the waste stays a small part of the sales."""
    pairs, products = one_pair(61.0, 25.0, case=6, life=4.0, price=5.0, cost=3.2)
    out = add_economics(pairs, products, ReplenishmentConfig()).iloc[0]
    sold = out["units_per_week"] - out["lost_units_per_week"]
    assert out["waste_units_per_week"] < 0.1 * sold
    assert out["profit_per_week"] > 0.5 * 61.0 * (5.0 - 3.2)
    assert 0 < out["lost_units_per_week"] < 0.3 * 61.0
    wilder = add_economics(*one_pair(61.0, 60.0, case=6, life=4.0, price=5.0, cost=3.2), ReplenishmentConfig()).iloc[0]
    assert 0 < wilder["profit_per_week"] < out["profit_per_week"]  # more variance costs, never below zero


@pytest.mark.parametrize("life", [1.0, 2.0, 3.0, 7.0, 30.0])
@pytest.mark.parametrize("case", [1, 6, 24])
@pytest.mark.parametrize(("mean", "sd"), [(0.2, 1.5), (3.0, 2.0), (20.0, 30.0), (100.0, 12.0)])
def test_waste_never_exceeds_what_is_delivered_minus_what_is_sold(life: float, case: int, mean: float, sd: float) -> None:
    daily_var = max(sd**2 / 7, mean / 7)
    levels = np.linspace(0.0, 3 * mean / 7 * 2 + 10, 25)
    sold, wasted = shelf_outcome(levels, np.full(25, mean / 7), np.full(25, daily_var), np.full(25, min(2.0, life)),
                                 np.full(25, life), np.full(25, float(case)))
    top = np.maximum(levels + (case - 1) / 2, case)
    delivered_max = np.maximum(top, case) * 7 / min(2.0, life)  # at most one top-up per delivery day
    assert (sold >= 0).all() and (wasted >= 0).all()
    assert (sold <= mean + 1e-9).all()
    assert (sold + wasted <= delivered_max + 1e-9).all()


def test_an_ambient_product_holds_the_usual_cover_and_wastes_nothing() -> None:
    pairs, products = one_pair(14.0, 4.0, case=12, life=365.0, fresh=False)
    out = add_economics(pairs, products, ReplenishmentConfig(ambient_delivery_days=7.0, safety_factor=1.0)).iloc[0]
    assert out["waste_units_per_week"] == pytest.approx(0.0, abs=1e-6)
    assert out["order_up_to"] == pytest.approx(14.0 + 4.0, rel=0.1)  # a week's demand + 1 sd (gamma, not normal)
