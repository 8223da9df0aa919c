"""The decision backtest on a hand-made chain: every figure recomputed here from the POS lines alone."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import SAMPLE, TODAY

from planner import PlanConfig, load_chain
from planner.cli import cli
from planner.config import SolverConfig
from planner.evaluate.decisions import CHAIN, DECISION_COLUMNS, auc, decision_backtest
from planner.optimize.baselines import fill_in_order

WEEKS = pd.date_range("2026-06-01", periods=20, freq="7D")  # Mondays; the last 4 are after the cut
CUT = WEEKS[16]
PRODUCTS = pd.DataFrame({
    "sku": ["P1", "P2", "P3", "P4", "P5", "P6", "P7"],
    "name": ["Apples", "Bread", "Cheese", "Dates", "Eggs", "Figs", "Grapes"],
    "category": ["Food"] * 7,
    "fresh": [0, 0, 0, 0, 0, 1, 0],  # Figs: fresh, 2 days on the shelf, cases of 6, 3 sold a week
    "price": [2.0, 3.0, 4.0, 2.5, 1.5, 6.0, 3.5],
    "unit_cost": [1.0, 2.0, 2.5, 1.5, 1.0, 3.0, 2.0],
    "shelf_space": [1, 1, 2, 1, 1, 2, 1],
    "case_pack": [6] * 7,
    "shelf_life_days": [365, 365, 365, 365, 365, 2, 365],
})
# units per week in S1 before the cut, and in each of the 4 weeks after it
BEFORE = {"P1": 20, "P2": 12, "P3": 9, "P4": 7, "P5": 5, "P6": 3}
AFTER = {"P1": [2, 1, 0, 1], "P2": [12, 13, 11, 12], "P3": [9, 10, 8, 9], "P4": [7, 6, 8, 7], "P5": [15, 16, 14, 15], "P6": [3, 2, 4, 3]}
NEW_IN_S1 = [0, 6, 6, 9]  # P7: sold in S2 all along, in S1 only after the cut (from its second week)


def _write_chain(folder: Path) -> Path:
    (folder / "pos" / "S1").mkdir(parents=True)
    (folder / "pos" / "S2").mkdir(parents=True)
    PRODUCTS.to_csv(folder / "products.csv", index=False)
    # S1 carries P1-P6 (9 shelf units, EUR ~ 150 of stock): room for about two thirds of it
    pd.DataFrame({"store_id": ["S1", "S2"], "name": ["One", "Two"], "town": ["A", "B"],
                  "shelf_capacity": [6, 40], "inventory_budget": [500, 5000]}).to_csv(folder / "stores.csv", index=False)
    price = PRODUCTS.set_index("sku")["price"]
    lines = []
    for w, week in enumerate(WEEKS):
        for sku, usual in BEFORE.items():
            units = usual if week < CUT else AFTER[sku][w - 16]
            deal = 0.5 if (sku == "P2" and w == 18) else 1.0  # a half-price week after the cut: real revenue counts
            if units:
                lines.append(("S1", week, sku, units, round(units * price[sku] * deal, 2)))
        if week >= CUT and NEW_IN_S1[w - 16]:
            lines.append(("S1", week, "P7", NEW_IN_S1[w - 16], NEW_IN_S1[w - 16] * price["P7"]))
        for sku, units in {"P1": 10, "P2": 6, "P7": 8}.items():
            lines.append(("S2", week, sku, units, units * price[sku]))
    pos = pd.DataFrame(lines, columns=["store_id", "date", "sku", "units", "revenue"])
    pos["date"] = pos["date"].dt.strftime("%Y-%m-%d")
    for store, part in pos.groupby("store_id"):
        part.to_csv(folder / "pos" / store / "weekly.csv", index=False)
    return folder


@pytest.fixture
def hand_made(tmp_path: Path):
    folder = _write_chain(tmp_path / "hand made")
    config = PlanConfig(solver=SolverConfig(mip_gap=0.0))
    chain = load_chain(folder, config, today=TODAY)
    return folder, decision_backtest(chain, config, cut_weeks=4)


@pytest.mark.slow
def test_every_figure_is_recomputed_from_the_pos_lines(hand_made) -> None:
    _folder, bt = hand_made
    assert bt.cut == CUT and len(bt.scored_weeks) == 4
    row = bt.table.set_index("store_id").loc["S1"]
    product = PRODUCTS.set_index("sku")
    margin = product["price"] - product["unit_cost"]
    realized = {sku: sum(AFTER[sku]) * margin[sku] / 4 for sku in AFTER}
    realized["P2"] -= AFTER["P2"][2] * product.at["P2", "price"] * 0.5 / 4  # the half-price week
    past = {sku: BEFORE[sku] * margin[sku] for sku in BEFORE}  # every one of the last 13 weeks alike
    carried = set(BEFORE)
    kept = set(bt.result.plan.loc[bt.result.plan["store_id"] == "S1", "sku"]) & carried
    dropped = carried - kept
    assert 0 < len(dropped) < len(carried)  # the shelf forces a choice
    assert (row["products_at_cut"], row["kept"], row["dropped"]) == (6, len(kept), len(dropped))

    per_shelf = {sku: realized[sku] / product.at[sku, "shelf_space"] for sku in carried}
    wins = [1.0 if per_shelf[d] < per_shelf[k] else 0.5 if per_shelf[d] == per_shelf[k] else 0.0 for d in dropped for k in kept]
    assert row["auc_plan"] == pytest.approx(sum(wins) / len(wins))
    assert row["profit_plan"] == pytest.approx(sum(realized[s] for s in kept))

    inventory = bt.result.inputs.all_pairs.loc["S1", "inventory_cost"]
    shelf = sum(product.at[s, "shelf_space"] for s in kept)
    budget = sum(inventory[s] for s in kept)
    naive, shelf_left, budget_left = set(), shelf, budget
    for sku in sorted(carried, key=lambda s: (-past[s] / product.at[s, "shelf_space"], s)):
        if product.at[sku, "shelf_space"] <= shelf_left and inventory[sku] <= budget_left + 1e-9:
            naive.add(sku)
            shelf_left -= product.at[sku, "shelf_space"]
            budget_left -= inventory[sku]
    assert row["profit_naive"] == pytest.approx(sum(realized[s] for s in naive))
    naive_wins = [1.0 if per_shelf[d] < per_shelf[k] else 0.5 if per_shelf[d] == per_shelf[k] else 0.0
                  for d in carried - naive for k in naive]
    assert row["auc_naive"] == pytest.approx(sum(naive_wins) / len(naive_wins))
    assert "P1" in naive  # the best seller before the cut, and nearly nothing after it

    best = max(sum(realized[s] for s in c) for r in range(7) for c in itertools.combinations(sorted(carried), r)
               if sum(product.at[s, "shelf_space"] for s in c) <= shelf and sum(inventory[s] for s in c) <= budget + 1e-9)
    assert row["profit_hindsight"] == pytest.approx(best)
    assert row["profit_random"] == pytest.approx(len(kept) * sum(realized.values()) / 6)
    assert row["profit_all_carried"] == pytest.approx(sum(realized.values()))
    assert row["profit_plan"] <= row["profit_hindsight"] + 1e-9 and row["profit_naive"] <= row["profit_hindsight"] + 1e-9
    assert row["top_sellers"] == 6 and row["top_dropped_plan"] == len(dropped)
    assert row["top_dropped_earned_plan"] == pytest.approx(sum(realized[s] for s in dropped))
    assert row["top_dropped_naive"] == len(carried - naive)
    waste = bt.result.inputs.all_pairs  # modelled, never observed
    assert row["waste_modelled_plan"] == pytest.approx(
        bt.products.loc[(bt.products["store_id"] == "S1") & bt.products["kept"], "waste_modelled"].sum())
    assert len(waste)
    assert row["net_plan"] == pytest.approx(row["profit_plan"] - row["waste_modelled_plan"])

    # simulated waste: only the fresh Figs can expire; a weekly export's units spread over 7 days,
    # restocked every 2 days up to the planner's level at the cut, as days of demand, at the week's rate, in cases of 6
    simulated = bt.products.set_index(["store_id", "sku"])["waste_simulated"]
    assert (simulated.drop(("S1", "P6")) == 0).all()
    figs_days = [units / 7 for units in AFTER["P6"] for _day in range(7)]
    at_cut = bt.profiles.pairs.set_index(["store_id", "sku"]).loc[("S1", "P6")]
    cover = at_cut["order_up_to"] / (at_cut["units_per_week"] / 7)
    wasted = shelf_reference(figs_days, case=6, life=2, review=2, cover=cover)
    assert simulated[("S1", "P6")] == pytest.approx(wasted / 4 * product.at["P6", "unit_cost"])
    expected_sim = row["profit_plan"] - (simulated[("S1", "P6")] if "P6" in kept else 0.0)
    assert row["sim_plan"] == pytest.approx(expected_sim)

    # P7: new in S1 after the cut, 21 units over the 3 weeks from its first sale
    new = bt.new_listings.set_index(["store_id", "sku"]).loc[("S1", "P7")]
    assert new["actual"] == pytest.approx(21 / 3)
    assert row["new_pairs"] == 1
    assert row["new_wape"] == pytest.approx(abs(new["estimate"] - 7) / 7)
    assert row["new_bias_chain"] == pytest.approx((new["chain_average"] - 7) / 7)

    chain_row = bt.table.set_index("store_id").loc[CHAIN]
    assert chain_row["profit_plan"] == pytest.approx(bt.table.loc[bt.table["store_id"] != CHAIN, "profit_plan"].sum())
    assert list(bt.table.columns[: len(DECISION_COLUMNS)]) == DECISION_COLUMNS


def shelf_reference(demand: list[float], *, case: int, life: int, review: int, cover: float) -> float:
    """Units thrown away: order up to `cover` days of the week's rate, in whole cases, oldest sold first."""
    batches: list[list[float]] = []  # [last day it may be sold, units]
    wasted = 0.0
    for day, wanted in enumerate(demand):
        rate = demand[day]  # the day's share of its week's real units: that week's level per day
        if day % review == 0:
            level = rate * cover
            on_hand = sum(units for _, units in batches)
            if on_hand < level:
                batches.append([day + life - 1, case * -(-(level - on_hand) // case)])
        for batch in batches:
            take = min(wanted, batch[1])
            batch[1] -= take
            wanted -= take
        wasted += sum(units for last, units in batches if last == day)
        batches = [b for b in batches if b[0] > day and b[1] > 0]
    return wasted


def test_auc_counts_pairs_and_ties() -> None:
    score = pd.Series({"a": 1.0, "b": 2.0, "c": 2.0, "d": 5.0})
    assert auc(score, pd.Index(["c", "d"])) == (pytest.approx((1 + 1 + 0.5 + 1) / 4), 4)
    assert auc(score, pd.Index(["a", "b", "c", "d"]))[1] == 0


@pytest.mark.slow
def test_fill_in_order_is_the_naive_rule_of_the_table(hand_made) -> None:
    _folder, bt = hand_made
    items = bt.products[bt.products["store_id"] == "S1"].set_index("sku")
    order = (items["past_profit"] / items["shelf_space"]).sort_values(ascending=False).index
    kept = items[items["kept"]]
    naive = fill_in_order(items.loc[order], kept["shelf_space"].sum(), kept["inventory_cost"].sum())
    assert bt.table.set_index("store_id").at["S1", "profit_naive"] == pytest.approx(items.loc[naive, "realized_profit"].sum())


@pytest.mark.slow
def test_cli_prints_the_tables_and_writes_the_csv(hand_made, tmp_path: Path) -> None:
    folder, bt = hand_made
    out = tmp_path / "scores dir" / "decisions.csv"
    result = CliRunner().invoke(cli, ["backtest", str(folder), "--decisions", "--cut-weeks", "4", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "planned as of 2026-09-21" in result.output and "Waste cannot be observed in POS data" in result.output
    assert "AUC plan" in result.output and "hindsight" in result.output and "New listings" in result.output
    written = pd.read_csv(out, dtype={"store_id": str})
    assert list(written["store_id"]) == ["S1", "S2", CHAIN]
    assert written.loc[0, "profit_plan"] == pytest.approx(bt.table.loc[0, "profit_plan"], abs=1e-4)
    same_cut = tmp_path / "as of.csv"
    result = CliRunner().invoke(cli, ["backtest", str(folder), "--decisions", "--as-of", "2026-W39", "--out", str(same_cut), "--quiet"])
    assert result.exit_code == 0 and same_cut.read_bytes() == out.read_bytes()  # 2026-W39 begins on 2026-09-21


@pytest.mark.slow
def test_a_cut_without_enough_weeks_is_refused_with_the_data_range(hand_made) -> None:
    folder, _bt = hand_made
    result = CliRunner().invoke(cli, ["backtest", str(folder), "--decisions", "--as-of", "2026-W24", "--quiet"])
    assert result.exit_code == 1
    assert "--as-of" in result.output and "at least 8 weeks of POS data before it" in result.output and "2026-06-01" in result.output
    usage = subprocess.run([sys.executable, "-m", "planner", "backtest", str(folder), "--as-of", "2026-W38"], capture_output=True, text=True, check=False)
    assert usage.returncode == 1 and "--as-of and --cut-weeks need --decisions" in usage.stderr


@pytest.mark.slow
def test_sample_chain_decision_backtest_from_the_cli(tmp_path: Path) -> None:
    out = tmp_path / "sample.csv"
    result = CliRunner().invoke(cli, ["backtest", str(SAMPLE), "--decisions", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "scored on the 13 weeks 2026-08-24 to 2026-11-22" in result.output
    table = pd.read_csv(out).set_index("store_id")
    assert list(table.index) == ["S01", "S02", "S03", CHAIN]
    chain = table.loc[CHAIN]
    assert 0.5 < chain["auc_plan"] <= 1.0 and 0.5 < chain["auc_naive"] <= 1.0  # the sample's demand is smooth
    assert chain["profit_random"] < chain["profit_plan"] <= chain["profit_hindsight"]
    assert chain["profit_naive"] <= chain["profit_hindsight"]
