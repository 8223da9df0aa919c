"""The paced transition from today's assortment to the target: every weekly step within the store's
shelf and budget, the steps together reaching the target, the most valuable step first (brute force)."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pandas as pd
import pytest
from conftest import profiles_for, tiny_chain

from planner import PlanConfig
from planner.optimize import PlanningProblem, PlanResult, plan_assortment
from planner.optimize.inputs import Substitutes
from planner.optimize.transition import LIMIT_TOLERANCE


def paced(folder, limit: int | None, **stability) -> PlanResult:
    config = PlanConfig()
    config = dataclasses.replace(config, stability=dataclasses.replace(config.stability, max_changes_per_store_per_week=limit, **stability))
    chain, profiles = profiles_for(folder, config)
    substitutes = Substitutes.configured(profiles.substitution.pairs, profiles.substitution.transfer_rate, config.substitution)
    return plan_assortment(PlanningProblem(profiles.pairs, chain.stores, chain.products, config, substitutes=substitutes, overrides=chain.overrides))


def replay(result: PlanResult, store: str) -> list[tuple[set[str], float, float]]:
    """The store's assortment after each week's step, with its shelf and budget use."""
    pairs = result.inputs.all_pairs.loc[store]
    carried = set(pairs.index[pairs["listed_now"]])
    changes = result.changes[result.changes["store_id"] == store]
    states = []
    for week in range(1, int(changes["week"].max()) + 1 if len(changes) else 1):
        step = changes[changes["week"] == week]
        carried = (carried - set(step.loc[step["change"] == "drop", "sku"])) | set(step.loc[step["change"] == "add", "sku"])
        lines = pairs.loc[sorted(carried)]
        states.append((carried, float(lines["shelf_space"].sum()), float(lines["inventory_cost"].sum())))
    return states


def within(result: PlanResult, store: str, shelf: float, budget: float) -> bool:
    inputs = result.inputs
    return (shelf <= inputs.shelf_capacity[store] * (1 + LIMIT_TOLERANCE) + LIMIT_TOLERANCE
            and budget <= inputs.inventory_budget[store] * (1 + LIMIT_TOLERANCE) + LIMIT_TOLERANCE)


@pytest.fixture(scope="module")
def chain_folder(tmp_path_factory: pytest.TempPathFactory):
    return tiny_chain(tmp_path_factory.mktemp("transition") / "chain", n_stores=3, n_products=60, seed=4)


@pytest.mark.slow
def test_a_three_week_transition_holds_the_limits_every_week_and_reaches_the_target(chain_folder) -> None:
    at_once = paced(chain_folder, None, change_penalty=0.0)
    most = int(at_once.changes.groupby("store_id").size().max())
    assert most >= 6, "the instance must need several weeks"
    limit = -(-most // 3)  # ceil: the busiest store needs exactly three weeks
    result = paced(chain_folder, limit, change_penalty=0.0)
    assert result.plan.equals(at_once.plan), "pacing changes the steps, not the target"
    assert int(result.weeks_to_target.max()) == 3
    for store in result.inputs.stores:
        states = replay(result, store)
        today = result.inputs.all_pairs.loc[store]
        today = today[today["listed_now"]]
        before = (float(today["shelf_space"].sum()), float(today["inventory_cost"].sum()))
        for week, (_carried, shelf, budget) in enumerate(states, start=1):  # within, or no further over than the week before
            assert within(result, store, shelf, budget) or (shelf <= max(before[0], result.inputs.shelf_capacity[store]) + 1e-6
                                                             and budget <= max(before[1], result.inputs.inventory_budget[store]) + 1e-6), (store, week)
            before = (shelf, budget)
        assert within(result, store, *states[-1][1:]), store
        assert states[-1][0] == set(result.plan.loc[result.plan["store_id"] == store, "sku"]), store
        per_week = result.changes[result.changes["store_id"] == store].groupby("week").size()
        assert (per_week <= limit).all(), per_week
        assert (per_week.iloc[:-1] >= limit).all(), "every week but the last makes full progress"


@pytest.mark.slow
def test_this_weeks_assortment_is_the_first_step(chain_folder) -> None:
    result = paced(chain_folder, 2, change_penalty=0.0)
    for store in result.inputs.stores:
        first = replay(result, store)[0][0]
        assert set(result.this_week.loc[result.this_week["store_id"] == store, "sku"]) == first


@pytest.mark.slow
def test_the_first_step_is_the_most_valuable_one_that_fits(tmp_path) -> None:
    """Brute force over every set of `limit` changes of one store: none that holds the limits
    earns more than the chosen step."""
    folder = tiny_chain(tmp_path / "chain", n_stores=3, n_products=30, seed=4)
    today = paced(folder, None).inputs.all_pairs
    today = today[today["listed_now"]].groupby(level="store_id")[["shelf_space", "inventory_cost"]].sum()
    stores = pd.read_csv(folder / "stores.csv", dtype=str)  # every store within its limits today, with little room to spare
    stores["shelf_capacity"] = (today["shelf_space"].reindex(stores["store_id"]) * 1.02).round(2).astype(str).to_numpy()
    stores["inventory_budget"] = (today["inventory_cost"].reindex(stores["store_id"]) * 1.02).round(2).astype(str).to_numpy()
    stores.to_csv(folder / "stores.csv", index=False)
    limit = 3
    result = paced(folder, limit, change_penalty=0.0)
    changes = result.changes

    def fits_today(store: str) -> bool:
        listed = result.inputs.all_pairs.loc[store]
        return within(result, store, listed.loc[listed["listed_now"], "shelf_space"].sum(), listed.loc[listed["listed_now"], "inventory_cost"].sum())

    store = next(s for s in result.inputs.stores if fits_today(s) and len(changes[changes["store_id"] == s]) > limit)
    block = changes[changes["store_id"] == store].reset_index(drop=True)
    assert len(block) <= 40, "brute force stays small"
    pairs = result.inputs.all_pairs.loc[store]
    listed = pairs[pairs["listed_now"]]
    sign = np.where(block["change"] == "add", 1.0, -1.0)
    space = sign * pairs.loc[block["sku"], "shelf_space"].to_numpy()
    money = sign * pairs.loc[block["sku"], "inventory_cost"].to_numpy()
    best = max(
        block.loc[list(subset), "profit_impact_per_week"].sum()
        for subset in itertools.combinations(range(len(block)), limit)
        if within(result, store, listed["shelf_space"].sum() + space[list(subset)].sum(),
                  listed["inventory_cost"].sum() + money[list(subset)].sum())
    )
    chosen = block.loc[block["week"] == 1, "profit_impact_per_week"].sum()
    assert chosen == pytest.approx(best, abs=1e-6)


@pytest.mark.slow
def test_a_store_over_its_limits_today_comes_back_within_them_a_limited_step_at_a_time(tmp_path) -> None:
    folder = tiny_chain(tmp_path / "chain", n_stores=3, n_products=60, seed=4)
    stores = pd.read_csv(folder / "stores.csv", dtype=str)
    first = paced(folder, None)
    store = stores.loc[0, "store_id"]
    today = first.inputs.all_pairs.loc[store]
    today = today[today["listed_now"]]
    stores.loc[0, "shelf_capacity"] = str(float(today["shelf_space"].sum()) * 0.8)  # 25 % too much on the shelf today
    stores.to_csv(folder / "stores.csv", index=False)
    result = paced(folder, 2)
    assert (result.changes.groupby(["store_id", "week"]).size() <= 2).all()
    states = replay(result, store)
    shelves = [float(today["shelf_space"].sum())] + [shelf for _carried, shelf, _budget in states]
    back = next(week for week, (_c, shelf, budget) in enumerate(states, start=1) if within(result, store, shelf, budget))
    assert back > 1, "two changes a week cannot bring the store within its shelf at once"
    assert all(later < earlier for earlier, later in itertools.pairwise(shelves[: back + 1])), "each week closer"
    assert all(within(result, store, shelf, budget) for _c, shelf, budget in states[back - 1:]), "and within from then on"
    first_weeks = result.changes[(result.changes["store_id"] == store) & (result.changes["week"] < back)]
    assert set(first_weeks["change"]) == {"drop"}
