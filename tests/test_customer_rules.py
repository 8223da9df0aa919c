"""What the loyalty cards change in the plan, pinned on small hand-made data: customers at risk, the
walk-away cost in the objective, and new-listing demand from the customer segments."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import profiles_for, tiny_chain

from planner import PlanConfig, PlanningProblem, plan_assortment
from planner.customers.listing import segment_estimates
from planner.customers.risk import customers_at_risk, walk_away_costs
from planner.customers.segments import MIN_GROUP
from planner.customers.switching import card_substitutes, decision_tree, switching
from planner.customers.walkaway import walk_away_events
from planner.inputs.weekly import week_numbers, week_start
from planner.profiles.build import walk_away_share
from planner.schemas import KEY, STORE_ID

MONDAYS = pd.date_range("2026-01-05", periods=8, freq="7D")


def card_lines(rows: list[tuple[str, str, str, pd.Timestamp, float, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["card", STORE_ID, "sku", "date", "units", "revenue"])
    return frame.assign(receipt=frame["card"] + frame["date"].dt.strftime("%Y%m%d"))


def milk_buyers() -> pd.DataFrame:
    """50 cards shop every week in A and buy MILK each time (and BREAD for EUR 3); the first 25 also
    bought OAT (MILK's substitute) once; 30 cards buy MILK in A once; 10 cards buy RARE."""
    rows = []
    for card in range(50):
        for week, monday in enumerate(MONDAYS):
            rows += [(f"c{card}", "A", "MILK", monday, 1.0, 1.0), (f"c{card}", "A", "BREAD", monday, 1.0, 3.0)]
            if card < 25 and week == 0:
                rows.append((f"c{card}", "A", "OAT", monday, 1.0, 1.2))
    rows += [(f"o{card}", "A", "MILK", MONDAYS[0], 1.0, 1.0) for card in range(30)]
    rows += [(f"r{card}", "A", "RARE", MONDAYS[1], 1.0, 5.0) for card in range(10)]
    return card_lines(rows)


def test_at_risk_are_loyal_regulars_who_buy_no_alternative_we_carry() -> None:
    lines = milk_buyers()
    labels = pd.Series(0, index=lines["card"].unique())
    listed = pd.DataFrame({STORE_ID: "A", "sku": ["MILK", "BREAD", "OAT"]})
    substitutes = pd.DataFrame({"sku": ["MILK", "OAT"], "substitute": ["OAT", "MILK"]})
    risk = customers_at_risk(lines, labels, {0: "breakfast people"}, listed, substitutes, MONDAYS).set_index(KEY)
    milk = risk.loc[("A", "MILK")]
    assert (milk["buyers"], milk["loyal_regulars"], milk["at_risk"]) == (80, 50, 25)
    assert milk["at_risk_basket_per_week"] == pytest.approx(25 * 3.0)  # their BREAD, not the MILK itself
    assert milk["product_share_of_basket"] == pytest.approx(1 / 4)
    assert milk["segments"] == "mostly 'breakfast people'"
    rare = risk.loc[("A", "RARE")]
    assert rare["suppressed"] and pd.isna(rare["buyers"]) and rare["segments"] == ""  # 10 cardholders: no figure
    assert pd.isna(risk.loc[("A", "OAT"), "at_risk"])  # bought by 25, none of them regularly: fewer than 20 at risk
    without_oat = customers_at_risk(lines, labels, {0: "x"}, listed[listed["sku"] != "OAT"], substitutes, MONDAYS).set_index(KEY)
    assert without_oat.loc[("A", "MILK"), "at_risk"] == 50  # an alternative the store does not carry is none


def test_walk_away_cost_is_the_share_of_the_basket_margin_scaled_to_all_customers() -> None:
    lines = milk_buyers()
    labels = pd.Series(0, index=lines["card"].unique())
    listed = pd.DataFrame({STORE_ID: "A", "sku": ["MILK", "BREAD"]})
    risk = customers_at_risk(lines, labels, {0: "x"}, listed, pd.DataFrame({"sku": ["MILK"], "substitute": ["OAT"]}), MONDAYS)
    card_revenue = lines.groupby(lines["date"])["revenue"].sum()
    weekly = pd.DataFrame({STORE_ID: "A", "sku": "BREAD", "week_start": card_revenue.index,  # the store sells twice what the cards buy
                           "units": 2 * card_revenue.to_numpy() / 3.0, "revenue": 2 * card_revenue.to_numpy()})
    unit_cost = pd.Series({"BREAD": 2.0, "MILK": 0.5, "OAT": 0.6, "RARE": 3.0})
    cost = walk_away_costs(risk, weekly, lines, unit_cost, MONDAYS, share=0.1)
    margin_rate = 1 - 2.0 / 3.0
    basket = 50 * 3.0 + 25 * 1.2 / len(MONDAYS)  # all 50 are at risk (OAT is not carried); their BREAD and their one OAT
    assert cost[("A", "MILK")] == pytest.approx(0.1 * basket * margin_rate / 0.5)
    assert cost[("A", "BREAD")] == pytest.approx(0.1 * (basket - 50 * 2.0) * margin_rate / 0.5)  # their MILK instead of their BREAD
    assert cost.drop([("A", "MILK"), ("A", "BREAD")]).eq(0).all()


def test_a_walk_away_cost_keeps_a_product_the_plan_would_drop_and_the_objective_adds_up(tmp_path: Path) -> None:
    chain, profiles = profiles_for(tiny_chain(tmp_path / "c", n_products=40, seed=4))
    config = PlanConfig()
    before = plan_assortment(PlanningProblem(profiles.pairs, chain.stores, chain.products, config))
    kept = pd.MultiIndex.from_frame(before.plan[KEY])
    pairs = profiles.pairs.copy()
    dropped = pairs[pairs["listed_now"] & ~pd.MultiIndex.from_frame(pairs[KEY]).isin(kept)]
    assert len(dropped), "the tiny chain's plan drops something"
    victim = dropped.sort_values("profit_per_week", ascending=False).index[0]
    pairs.loc[victim, "walk_away_cost_per_week"] = 50.0
    after = plan_assortment(PlanningProblem(pairs, chain.stores, chain.products, config))
    key = (pairs.at[victim, STORE_ID], pairs.at[victim, "sku"])
    assert key in pd.MultiIndex.from_frame(after.plan[KEY])
    assert after.value.walk_away_cost == pytest.approx(0.0)
    assert after.recomputed_objective == pytest.approx(after.solve.objective, rel=1e-9, abs=1e-6)
    rejudged = before.value.profit - 50.0  # the first plan, valued with the cost it ignored
    assert after.value.profit >= rejudged - 1e-6


def test_segment_estimate_follows_the_store_s_customers() -> None:
    """Heavy P buyers (segment 1) fill store C, light ones (segment 0) store D; neither carries P; four stores do."""
    rows = []
    mixes = {"A": (40, 40), "B": (60, 20), "E": (20, 60), "F": (50, 30), "C": (0, 40), "D": (40, 0)}
    for store, (light, heavy) in mixes.items():
        for segment, count in ((0, light), (1, heavy)):
            for card in range(count):
                for monday in MONDAYS:
                    p_units = (1.0 if segment == 0 else 4.0) if store not in ("C", "D") else 0.0
                    rows += [(f"{store}{segment}{card}", store, "Q", monday, 4.0, 4.0)]
                    rows += [(f"{store}{segment}{card}", store, "P", monday, p_units, p_units)] if p_units else []
    lines = card_lines(rows)
    labels = pd.Series([int(card[1]) for card in lines["card"].unique()], index=lines["card"].unique())
    weeks_units = lines.groupby([STORE_ID, "sku"])["units"].sum() / len(MONDAYS) * 2  # half the units are on cards
    own = weeks_units.rename("units_per_week").reset_index()
    traffic = weeks_units.groupby(level=STORE_ID).sum()
    candidates = pd.DataFrame({STORE_ID: ["C", "D", "A"], "sku": ["P", "P", "P"]})
    estimate = segment_estimates(lines, labels, own, traffic, candidates, MONDAYS).set_index(KEY)["units_per_week"]
    per_traffic = estimate / traffic.reindex(estimate.index.get_level_values(STORE_ID)).to_numpy()
    assert per_traffic[("C", "P")] > 2 * per_traffic[("D", "P")]
    assert per_traffic[("A", "P")] == pytest.approx(own.set_index(KEY).at[("A", "P"), "units_per_week"] / traffic["A"], rel=0.25)
    in_c = lines["card"].str.startswith("C")
    few = lines[~in_c | (lines["card"].str[2:].astype(int) < MIN_GROUP // 2)]  # store C keeps 10 of its cardholders
    assert np.isnan(segment_estimates(few, labels, own, traffic, candidates, MONDAYS).set_index(KEY).at[("C", "P"), "units_per_week"])
    three = own[own[STORE_ID] != "F"]  # P carried in three stores: A's estimate rests on two others, too few for a spread
    assert np.isnan(segment_estimates(lines, labels, three, traffic, candidates, MONDAYS).set_index(KEY).at[("A", "P"), "units_per_week"])


def test_the_decision_tree_finds_products_bought_instead_of_each_other() -> None:
    """In one category 60 cards buy COLA or its RIVAL (never both), 40 buy CHIPS with DIP; the guess
    paired COLA with CHIPS, and a product too few cards buy (NICHE) keeps its guess."""
    rows = []
    for card in range(100):
        basket = ["COLA"] if card < 30 else ["RIVAL"] if card < 60 else ["CHIPS", "DIP"]
        rows += [(f"c{card}", "A", sku, MONDAYS[week], 1.0, 1.0) for sku in basket for week in range(3)]
    rows += [(f"n{card}", "A", "NICHE", MONDAYS[0], 1.0, 1.0) for card in range(5)]
    rows += [("c60", "A", "RIVAL", MONDAYS[4], 1.0, 1.0)]  # one card of the other kind: Q stays near -1
    products = pd.DataFrame({"sku": ["COLA", "RIVAL", "CHIPS", "DIP", "NICHE"], "category": "Snacks"})
    groups = pd.Series(["drinks", "drinks", "crisps", "crisps", "crisps"], index=products["sku"])
    tree = decision_tree(card_lines(rows), products, MONDAYS).set_index(["sku", "substitute"])
    assert tree.at[("COLA", "RIVAL"), "yules_q"] < -0.9 and tree.at[("CHIPS", "DIP"), "yules_q"] > 0.9
    assert "NICHE" not in tree.index.get_level_values("sku")  # 5 buyers: no figure
    guessed = pd.DataFrame({"sku": ["COLA", "CHIPS", "NICHE"], "substitute": ["CHIPS", "COLA", "DIP"]})
    pairs = set(map(tuple, card_substitutes(tree.reset_index(), guessed, groups).to_numpy()))
    assert ("COLA", "RIVAL") in pairs and ("RIVAL", "COLA") in pairs and ("NICHE", "DIP") in pairs
    assert ("COLA", "CHIPS") not in pairs  # exclusive too, but another shelf group: different buyers, not alternatives
    assert ("CHIPS", "DIP") not in pairs  # the same group, bought together: no substitute


def test_the_buyers_of_a_delisted_product_show_what_they_switched_to() -> None:
    """30 cards buy OLD every week until it goes (after the 4th week); then 24 of them buy NEW, and all
    buy more TEA, another shelf group: NEW is what they switched to, TEA is not."""
    rows = []
    for card in range(30):
        for week, monday in enumerate(MONDAYS):
            rows.append((f"c{card}", "A", "OLD" if week < 4 else "TEA", monday, 1.0, 1.0))
            if week >= 4 and card < 24:
                rows.append((f"c{card}", "A", "NEW", monday, 1.0, 1.0))
    groups = pd.Series({"OLD": "coffee", "NEW": "coffee", "TEA": "tea"})
    events = pd.DataFrame({STORE_ID: ["A"], "sku": ["OLD"], "last_sale": [MONDAYS[3]]})
    switched = switching(card_lines(rows), events, groups)
    assert list(switched["substitute"]) == ["NEW"]
    assert switched["buyers"].iloc[0] == 30
    assert switched["share_of_dropped_units"].iloc[0] == pytest.approx(24 * 4 / (30 * 4))
    few = switching(card_lines([r for r in rows if int(r[0][1:]) < 10]), events, groups)
    assert few.empty  # 10 buyers: no figure
    pairs = set(map(tuple, card_substitutes(decision_tree(card_lines(rows), pd.DataFrame({"sku": groups.index, "category": "Hot drinks"}),
                                                          MONDAYS), pd.DataFrame(columns=["sku", "substitute"]), groups, switched).to_numpy()))
    assert ("OLD", "NEW") in pairs and ("OLD", "TEA") not in pairs


def test_week_numbers_are_the_weeks_of_week_start() -> None:
    dates = pd.Series(pd.to_datetime("2024-12-20") + pd.to_timedelta(np.arange(0, 800, 3), unit="D") + pd.Timedelta(hours=13))
    numbers, mondays = week_numbers(dates), week_start(dates).dt.normalize()
    assert (week_numbers(mondays) == numbers).all()
    assert pd.Series(numbers).groupby(mondays.to_numpy()).nunique().eq(1).all() and len(set(numbers)) == mondays.nunique()


def test_walk_away_is_measured_on_delistings_against_other_loyal_cardholders() -> None:
    """40 loyal cards buy OLD (no substitute) and EUR 3 of BREAD every week; after OLD goes they buy
    BREAD every other week. 40 other loyal cards buy BREAD throughout: the regulars took half away."""
    rows = []
    for card in range(80):
        for week, monday in enumerate(MONDAYS):
            regular = card < 40
            if regular and week < 4:
                rows.append((f"c{card}", "A", "OLD", monday, 1.0, 1.0))
            if not regular or week < 4 or week % 2 == 0:
                rows.append((f"c{card}", "A", "BREAD", monday, 1.0, 3.0))
    events = pd.DataFrame({STORE_ID: ["A"], "sku": ["OLD"], "last_sale": [MONDAYS[3]]})
    walked = walk_away_events(card_lines(rows), events, pd.DataFrame({"sku": ["OLD"], "substitute": ["NEW"]}))
    assert (walked["at_risk"].iloc[0], walked["others"].iloc[0]) == (40, 40)
    assert walked["walked"].iloc[0] == pytest.approx(0.5)
    assert walk_away_share(walked, 0.1)[0] == 0.1  # one delisting: the setting
    three = pd.concat([walked.assign(walked=w) for w in (0.4, 0.5, 0.6)], ignore_index=True)
    share, words = walk_away_share(three, 0.1)
    assert 0.1 < share < 0.5 and "3 delistings" in words
