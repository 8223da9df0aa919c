"""The decision backtest as text tables for the terminal (the CSV holds the same figures unrounded)."""

from __future__ import annotations

import math

import pandas as pd

from planner.evaluate.decisions import DecisionBacktest
from planner.schemas import STORE_ID


def _money(value: float) -> str:
    return "" if pd.isna(value) else f"{value:,.0f}"


def _share(value: float) -> str:
    return "" if pd.isna(value) else f"{value:.2f}"


def _pct(value: float) -> str:
    return "" if pd.isna(value) or math.isinf(value) else f"{value:+.1f} %"


def _ratio(value: float) -> str:
    return "" if pd.isna(value) else f"{100 * value:.1f} %"


def decision_report(backtest: DecisionBacktest) -> str:
    """Three tables: decisions on the products carried at the cut, what is only modelled, new listings and forecast."""
    t = backtest.table
    weeks = backtest.scored_weeks
    end = (weeks[-1] + pd.Timedelta(days=6)).date()
    decisions = _decisions_table(t)
    modelled = _modelled_waste_table(t)
    simulated = _simulated_waste_table(t)
    reported = _reported_table(t)
    new = _new_listings_table(t)
    return "\n".join([
        (f"Decision backtest: planned as of {backtest.cut.date()} from the POS data before it; scored on the "
         f"{len(weeks)} weeks {weeks[0].date()} to {end}."),
        "",
        "Products each store carried at the cut: realized profit after the cut, EUR per week (revenue - units x unit cost).",
        "Every set uses the shelf and budget of the plan's kept set; naive = ranked by profit per shelf unit over the last",
        "13 weeks; random = as many products at random; hindsight = the best set knowing the future. AUC = P(a dropped",
        "product really earned less per shelf unit than a kept one).",
        decisions.to_string(index=False),
        "",
        "Waste cannot be observed in POS data: the realized profit above leaves it out. The plan's modelled waste of the",
        "same sets, EUR per week:",
        modelled.to_string(index=False),
        "",
        "The waste a FIFO shelf would have thrown away given the real sales after the cut (simulated, not observed:",
        "restocked by the planner's rule at each week's real level, with the product's case pack and shelf life):",
        simulated.to_string(index=False),
        "",
        "What the plan reported at the cut, against today's assortment (within the limits), in its own model:",
        reported.to_string(index=False),
        "",
        "New listings (not carried at the cut, sold after it): real units per week against the plan's estimate and the",
        f"chain average (MAPE over pairs selling >= 1 unit a week). Forecast: the listed products' weekly units, {len(weeks)} weeks.",
        new.to_string(index=False),
        *[f"note: {note}" for note in backtest.result.notes],
    ])


def _decisions_table(t: pd.DataFrame) -> pd.DataFrame:
    """Per store: the products carried at the cut, what the plan kept, dropped and added, AUC and realized profit of each set."""
    return pd.DataFrame({
        "store": t[STORE_ID],
        "carried": t["products_at_cut"],
        "kept/dropped": t["kept"].astype(str) + " / " + t["dropped"].astype(str),
        "added": t["added"],
        "AUC plan": t["auc_plan"].map(_share),
        "AUC naive": t["auc_naive"].map(_share),
        "plan": t["profit_plan"].map(_money),
        "naive": t["profit_naive"].map(_money),
        "random": t["profit_random"].map(_money),
        "hindsight": t["profit_hindsight"].map(_money),
        "plan vs naive": t["plan_vs_naive_pct"].map(_pct),
        "top-20 dropped plan/naive": t["top_dropped_plan"].astype(str) + " / " + t["top_dropped_naive"].astype(str),
        "they earned plan/naive": t["top_dropped_earned_plan"].map(_money) + " / " + t["top_dropped_earned_naive"].map(_money),
    })


def _modelled_waste_table(t: pd.DataFrame) -> pd.DataFrame:
    """Per store: the plan's modelled waste of the plan and naive sets, and their realized profit net of it."""
    return pd.DataFrame({
        "store": t[STORE_ID],
        "waste plan": t["waste_modelled_plan"].map(_money), "waste naive": t["waste_modelled_naive"].map(_money),
        "realized - waste: plan": t["net_plan"].map(_money), "naive": t["net_naive"].map(_money),
    })


def _simulated_waste_table(t: pd.DataFrame) -> pd.DataFrame:
    """Per store: the waste a FIFO shelf simulation gives, the profit net of it, and the AUC on that profit."""
    return pd.DataFrame({
        "store": t[STORE_ID],
        "waste plan": t["waste_simulated_plan"].map(_money), "waste naive": t["waste_simulated_naive"].map(_money),
        "realized - waste: plan": t["sim_plan"].map(_money), "naive": t["sim_naive"].map(_money),
        "AUC on it: plan": t["auc_plan_sim"].map(_share), "naive AUC": t["auc_naive_sim"].map(_share),
    })


def _reported_table(t: pd.DataFrame) -> pd.DataFrame:
    """Per store: the uplift against today's assortment the plan reported at the cut."""
    return pd.DataFrame({
        "store": t[STORE_ID], "reported uplift vs today": t["reported_uplift_today"].map(_money),
        "as %": t["reported_uplift_today_pct"].map(_pct),
    })


def _new_listings_table(t: pd.DataFrame) -> pd.DataFrame:
    """Per store: errors of the plan's estimates for new listings (customer segments where the cards
    suffice), of the similar-store estimate alone, of the chain average, and of the weekly forecast."""
    return pd.DataFrame({
        "store": t[STORE_ID],
        "new listings": t["new_pairs"],
        "in plan": t["new_in_plan"],
        "WAPE": t["new_wape"].map(_ratio), "bias": t["new_bias"].map(_ratio), "MAPE": t["new_mape"].map(_ratio),
        "similar stores WAPE": t["new_wape_similar"].map(_ratio), "similar stores bias": t["new_bias_similar"].map(_ratio),
        "chain avg WAPE": t["new_wape_chain"].map(_ratio), "chain avg bias": t["new_bias_chain"].map(_ratio),
        "chain avg MAPE": t["new_mape_chain"].map(_ratio),
        "forecast WAPE": t["forecast_wape"].map(_ratio), "forecast bias": t["forecast_bias"].map(_ratio),
        "last-4 WAPE": t["forecast_wape_last4"].map(_ratio),
    })
