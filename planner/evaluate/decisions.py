"""Decision backtest: plan as of a cut from the POS data before it, then score the plan on the real
POS lines after it, next to a naive rule, chance and hindsight.

The plan is a normal run at the cut: the POS weeks before it, the masters, overrides.csv and
planning.toml, and the assortment at the cut (`profiles.backtest.listed_at_cut`: sold in the store's
last 4 trading weeks before it, plus the products of assortment.csv that sold before it).

Realized profit of a product in a store = (revenue - units x unit_cost) of its POS lines in the
weeks after the cut, per week the store traded (bulk lines counted in full, promotions at their
real price). Waste is not in POS data and cannot be observed: realized profit leaves it out, and the
modelled waste of the same sets is reported next to it, with realized profit minus modelled waste
(`net_*`: the plan's own waste model applied to both sets, so a model that overstates waste
flatters the plan there). Independent of that model, `sim_*` subtracts the waste a FIFO shelf
(profiles.shelf) would have thrown away given the real sales after the cut: each week's real units
spread evenly over the store's trading days (over all 7 days where the store exports weekly totals), restocked by the planner's rule at each week's real level
(the order-up-to level of the profile at the cut, as days of demand, applied to the week's real rate,
in whole cases), with the product's case pack and shelf life. It is simulated, not observed; even spreading understates the waste of
lumpy demand. `auc_*_sim` is the AUC on that net profit per shelf unit.

Per store, over the products it carried at the cut:

- kept / dropped: carried at the cut and in the plan, or not. Every set below competes for the same
  space: the shelf units and EUR of budget the plan's kept set uses (the space the plan gives to new
  products is scored under new listings).
- naive: the products ranked by realized profit per shelf unit over the store's last 13 trading
  weeks before the cut, taken in that order while the space lasts (one that does not fit is skipped).
- random: the expected realized profit of as many products as the plan keeps, drawn at random
  (kept count x the mean over the carried products; an AUC of 0.5).
- hindsight: the set with the largest realized profit within the same space (the ceiling).
- AUC: over all (dropped, kept) pairs of the store, the share where the dropped product really
  earned less per shelf unit after the cut than the kept one (ties count half). The chain's AUC
  pools the pairs of all stores.
- best sellers: the store's top 20 products by revenue over the 13 weeks before the cut; how many
  a set drops, and what they really earned after it (EUR / week).

New listings: products a store did not carry at the cut and sold after it. Their real weekly units
(from the week of the first sale on) against the plan's estimate (from the store's customer
segments where the cards before the cut suffice, customers.listing), the similar-store estimate the
plan would use without cards, and the chain average (the product's chain share x the store's weekly
units): WAPE and bias over all such pairs, MAPE over those selling at least 1 unit a week.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.config import PlanConfig
from planner.customers import chain_customers
from planner.errors import InputError, Problem
from planner.inputs import ChainData, chain_before
from planner.optimize import PlanningProblem, PlanResult, plan_assortment
from planner.optimize.baselines import best_subset, fill_in_order
from planner.optimize.inputs import Substitutes
from planner.profiles import Profiles, build_profiles
from planner.profiles.backtest import MIN_TRAINING_WEEKS, BacktestResult, listed_at_cut
from planner.profiles.backtest import backtest as forecast_backtest
from planner.profiles.demand import History, history_window
from planner.profiles.economics import replenishment
from planner.profiles.shelf import simulate_fifo
from planner.schemas import KEY, STORE_ID

NAIVE_WEEKS = 13  # the naive rule ranks by the last 13 trading weeks before the cut
TOP_SELLERS = 20
MIN_NEW_LISTING_UNITS = 1.0  # units / week: MAPE is taken over new listings selling at least this much

DECISION_COLUMNS = [
    STORE_ID, "products_at_cut", "kept", "dropped", "added", "shelf_scored", "budget_scored",
    "auc_plan", "auc_naive", "pairs_plan", "pairs_naive",
    "profit_plan", "profit_naive", "profit_random", "profit_hindsight", "profit_all_carried", "plan_vs_naive_pct",
    "top_sellers", "top_dropped_plan", "top_dropped_earned_plan", "top_dropped_naive", "top_dropped_earned_naive",
    "waste_modelled_plan", "waste_modelled_naive", "net_plan", "net_naive",
    "waste_simulated_plan", "waste_simulated_naive", "sim_plan", "sim_naive", "auc_plan_sim", "auc_naive_sim", "reported_uplift_today", "reported_uplift_today_pct",
]
NEW_LISTING_COLUMNS = [
    STORE_ID, "new_pairs", "new_in_plan", "new_wape", "new_bias", "new_mape", "new_wape_similar", "new_bias_similar", "new_mape_similar",
    "new_wape_chain", "new_bias_chain", "new_mape_chain",
]
FORECAST_COLUMNS = [STORE_ID, "forecast_wape", "forecast_bias", "forecast_wape_last4", "forecast_wape_chain_share"]
CHAIN = "chain"  # store_id of the chain row


@dataclass
class DecisionBacktest:
    """The plan made at the cut and its scores on the weeks after it."""

    cut: pd.Timestamp  # Monday of the first scored week
    scored_weeks: pd.DatetimeIndex  # Mondays of the weeks after the cut
    table: pd.DataFrame  # DECISION_COLUMNS + NEW_LISTING_COLUMNS + FORECAST_COLUMNS: one row per store, then the chain
    products: pd.DataFrame  # per store and product carried at the cut: what was decided and what it really earned
    new_listings: pd.DataFrame  # per new listing: store_id, sku, in_plan, actual, estimate, chain_average (units / week)
    result: PlanResult
    profiles: Profiles  # the demand profiles at the cut, which the plan was made from
    forecast: BacktestResult


def decision_backtest(
    chain: ChainData, config: PlanConfig, *, as_of: pd.Timestamp | None = None, cut_weeks: int = 13,
    progress: Callable[[str], None] | None = None,
) -> DecisionBacktest:
    """Plan as of `as_of` (a Monday; default: `cut_weeks` weeks before the end of the data) and score it."""
    say = progress or (lambda _text: None)
    full = history_window(chain, dataclasses.replace(config.demand, history_weeks=10_000))
    cut = _cut(full.weeks, as_of, cut_weeks)
    scored_weeks = full.weeks[full.weeks >= cut]
    listed = listed_at_cut(chain, cut)
    train = dataclasses.replace(chain_before(chain, cut), assortment=listed)
    say(f"decision backtest: planning as of {cut.date()} from {int((full.weeks < cut).sum())} weeks, "
        f"scoring {len(scored_weeks)} weeks after it")
    customers = chain_customers(train)
    if customers is not None:
        say(f"decision backtest: {len(customers.segments)} customer segments from the cards before the cut")
    profiles = build_profiles(train, config, customers)
    substitutes = Substitutes.configured(profiles.substitution.pairs, profiles.substitution.transfer_rate, config.substitution)
    result = plan_assortment(PlanningProblem(profiles.pairs, chain.stores, chain.products, config, substitutes=substitutes,
                             overrides=chain.overrides), progress=say)
    after = _realized(chain, full, scored_weeks)
    before = _realized(chain, profiles.history, None, recent=NAIVE_WEEKS)
    products = _decided_products(listed, result, profiles, after, before)
    products["waste_simulated"] = simulated_waste_cost(chain, products, profiles, config, scored_weeks)
    say("decision backtest: scoring the plan, the naive rule, chance and hindsight")
    rows = [_store_scores(store, products[products[STORE_ID] == store], result, config) for store in chain.store_ids]
    decisions = pd.DataFrame(rows, columns=DECISION_COLUMNS)
    decisions = pd.concat([decisions, _chain_row(decisions, products, result)], ignore_index=True)
    new = _new_listings(chain, full, listed, scored_weeks, profiles, result)
    say("decision backtest: the forecast scores for the same cut")
    forecast = forecast_backtest(chain, config, len(scored_weeks))
    table = decisions.merge(_new_listing_scores(new, chain.store_ids), on=STORE_ID).merge(_forecast_scores(forecast), on=STORE_ID, how="left")
    return DecisionBacktest(cut, scored_weeks, table, products, new, result, profiles, forecast)


def _cut(weeks: pd.DatetimeIndex, as_of: pd.Timestamp | None, cut_weeks: int) -> pd.Timestamp:
    if as_of is None:
        if cut_weeks < 1 or len(weeks) - cut_weeks < MIN_TRAINING_WEEKS:
            expected = f"at least {MIN_TRAINING_WEEKS} weeks of POS data before the last {cut_weeks} weeks"
            raise InputError(Problem("pos/", expected=expected, found=f"{len(weeks)} weeks of data"))
        return weeks[-cut_weeks]
    before, after = int((weeks < as_of).sum()), int((weeks >= as_of).sum())
    if before < MIN_TRAINING_WEEKS or after < 1:
        expected = (f"a cut with at least {MIN_TRAINING_WEEKS} weeks of POS data before it and one after it "
                    f"(the data has the weeks of {weeks[0].date()} to {weeks[-1].date()})")
        raise InputError(Problem("--as-of", expected=expected, found=f"{as_of.date()}: {before} weeks before, {after} after"))
    return as_of


def _realized(chain: ChainData, history: History, weeks: pd.DatetimeIndex | None, *, recent: int | None = None) -> pd.DataFrame:
    """Per (store_id, sku): real units, revenue and profit (revenue - units x unit_cost) per trading
    week of the store, over `weeks` or over each store's last `recent` trading weeks of `history`."""
    if recent is not None:
        trading = history.recent_weeks(recent)
    elif weeks is None:
        raise TypeError("_realized needs the weeks to score or a number of recent weeks")
    else:
        active = history.active.reindex(columns=weeks, fill_value=False)
        store, week = np.nonzero(active.to_numpy(dtype=bool))
        trading = pd.DataFrame({STORE_ID: active.index[store], "week_start": weeks[week]})
    lines = chain.weekly.merge(trading, on=[STORE_ID, "week_start"])
    units = lines["units"] + lines["bulk_units"]  # the bulk lines really sold, at the week's price
    revenue = lines["revenue"] * np.where(lines["units"] > 0, units / lines["units"].where(lines["units"] > 0, 1.0), 1.0)
    cost = lines["sku"].map(chain.products.set_index("sku")["unit_cost"]).astype(float)
    sums = pd.DataFrame({STORE_ID: lines[STORE_ID], "sku": lines["sku"], "units": units, "revenue": revenue,
                         "profit": revenue - units * cost}).groupby(KEY).sum()
    per_store = trading.groupby(STORE_ID).size()
    return sums.div(sums.index.get_level_values(STORE_ID).map(per_store).to_numpy(), axis=0)


def _decided_products(listed: pd.DataFrame, result: PlanResult, profiles: Profiles, after: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
    """One row per product carried at the cut: space, modelled waste, past and realized figures, kept by the plan."""
    key = pd.MultiIndex.from_frame(listed[KEY])
    pairs = result.inputs.all_pairs.reindex(key)
    waste = profiles.pairs.set_index(KEY)["waste_cost_per_week"].reindex(key)
    planned = pd.MultiIndex.from_frame(result.plan[KEY])
    table = listed[KEY].copy()
    table["shelf_space"] = pairs["shelf_space"].to_numpy()
    table["inventory_cost"] = pairs["inventory_cost"].to_numpy()
    table["waste_modelled"] = waste.to_numpy()
    table["past_revenue"] = before["revenue"].reindex(key).fillna(0.0).to_numpy()
    table["past_profit"] = before["profit"].reindex(key).fillna(0.0).to_numpy()
    table["realized_profit"] = after["profit"].reindex(key).fillna(0.0).to_numpy()
    table["realized_per_shelf_unit"] = table["realized_profit"] / table["shelf_space"]
    table["kept"] = key.isin(planned)
    return table.reset_index(drop=True)


def _store_scores(store: str, items: pd.DataFrame, result: PlanResult, config: PlanConfig) -> list[object]:
    items = items.set_index("sku")
    kept = items[items["kept"]]
    shelf, budget = float(kept["shelf_space"].sum()), float(kept["inventory_cost"].sum())
    density = items["past_profit"] / items["shelf_space"]
    ranking = items.index[np.lexsort((items.index.to_numpy(), -density.to_numpy()))]  # best first, ties by sku
    naive = fill_in_order(items.loc[ranking], shelf, budget)
    hindsight = best_subset(items, items["realized_profit"], shelf, budget, config.solver)
    realized = items["realized_profit"]
    auc_plan, pairs_plan = auc(items["realized_per_shelf_unit"], kept.index)
    auc_naive, pairs_naive = auc(items["realized_per_shelf_unit"], naive)
    top = items.sort_values(["past_revenue"], ascending=False, kind="stable").index[:TOP_SELLERS]
    top_dropped_plan, top_dropped_naive = top.difference(kept.index), top.difference(naive)
    plan, naive_profit = float(realized[kept.index].sum()), float(realized[naive].sum())
    waste_plan, waste_naive = float(kept["waste_modelled"].sum()), float(items.loc[naive, "waste_modelled"].sum())
    sim_plan, sim_naive = float(kept["waste_simulated"].sum()), float(items.loc[naive, "waste_simulated"].sum())
    net_per_shelf_unit = (realized - items["waste_simulated"]) / items["shelf_space"]
    today = result.baselines["current"].store_profit.get(store, np.nan)
    uplift = float(result.store_uplift("current").get(store, np.nan))
    planned = result.plan[result.plan[STORE_ID] == store]
    return [
        store, len(items), len(kept), len(items) - len(kept), int((~planned["listed_now"].astype(bool)).sum()), shelf, budget,
        auc_plan, auc_naive, pairs_plan, pairs_naive,
        plan, naive_profit, len(kept) * float(realized.mean()) if len(items) else 0.0, float(realized[hindsight].sum()),
        float(realized.sum()), _pct(plan - naive_profit, naive_profit),
        len(top), len(top_dropped_plan), float(realized[top_dropped_plan].sum()), len(top_dropped_naive), float(realized[top_dropped_naive].sum()),
        waste_plan, waste_naive, plan - waste_plan, naive_profit - waste_naive,
        sim_plan, sim_naive, plan - sim_plan, naive_profit - sim_naive,
        auc(net_per_shelf_unit, kept.index)[0], auc(net_per_shelf_unit, naive)[0], uplift, _pct(uplift, today),
    ]


def _chain_row(stores: pd.DataFrame, products: pd.DataFrame, result: PlanResult) -> pd.DataFrame:
    summed = ["products_at_cut", "kept", "dropped", "added", "shelf_scored", "budget_scored", "pairs_plan", "pairs_naive",
              "profit_plan", "profit_naive", "profit_random", "profit_hindsight", "profit_all_carried", "top_sellers",
              "top_dropped_plan", "top_dropped_earned_plan", "top_dropped_naive", "top_dropped_earned_naive",
              "waste_modelled_plan", "waste_modelled_naive", "net_plan", "net_naive",
              "waste_simulated_plan", "waste_simulated_naive", "sim_plan", "sim_naive"]
    row = {column: stores[column].sum() for column in summed} | {STORE_ID: CHAIN}
    for rule in ("plan", "naive"):
        weights = stores[f"pairs_{rule}"]
        for column in (f"auc_{rule}", f"auc_{rule}_sim"):
            row[column] = float((stores[column].fillna(0) * weights).sum() / weights.sum()) if weights.sum() else np.nan
    row["plan_vs_naive_pct"] = _pct(row["profit_plan"] - row["profit_naive"], row["profit_naive"])
    row["reported_uplift_today"] = result.uplift("current")
    row["reported_uplift_today_pct"] = _pct(result.uplift("current"), result.baselines["current"].profit)
    return pd.DataFrame([row], columns=DECISION_COLUMNS)


def simulated_waste_cost(chain: ChainData, products: pd.DataFrame, profiles: Profiles, config: PlanConfig,
                         weeks: pd.DatetimeIndex) -> np.ndarray:
    """EUR / week a FIFO shelf restocked as at the cut would have thrown away, per row of `products`,
    given the real units of the weeks after the cut spread evenly over each week's trading days."""
    days = pd.date_range(weeks[0], weeks[-1] + pd.Timedelta(days=6), freq="D")
    trading = chain.store_days[chain.store_days["date"].isin(days)].assign(trading=1.0)
    trading = trading.pivot_table(index=STORE_ID, columns="date", values="trading", fill_value=0.0).reindex(columns=days, fill_value=0.0)
    week_of_day = np.arange(len(days)) // 7
    open_days = trading.to_numpy()
    weekly_totals = open_days.reshape(len(trading), len(weeks), 7).sum(axis=2).max(axis=1) <= 1  # one line a week
    open_days[weekly_totals] = 1.0  # a weekly export: the week's units spread over all its days
    per_week = open_days.reshape(len(trading), len(weeks), 7).sum(axis=2)
    day_share = open_days / np.maximum(per_week[:, week_of_day], 1.0)  # store x day: share of the week's units
    weekly = chain.weekly[chain.weekly["week_start"].isin(weeks)]
    key = pd.MultiIndex.from_frame(products[KEY])
    units = (weekly.assign(sold=weekly["units"] + weekly["bulk_units"]).pivot_table(
        index=KEY, columns="week_start", values="sold", aggfunc="sum", fill_value=0.0)
        .reindex(index=key, columns=weeks, fill_value=0.0).fillna(0.0).clip(lower=0).to_numpy())
    store_row = trading.index.get_indexer(products[STORE_ID])
    shares = np.where(store_row[:, None] >= 0, day_share[np.maximum(store_row, 0)], 0.0)
    demand = units[:, week_of_day] * shares
    at_cut = profiles.pairs.set_index(KEY).reindex(key).reset_index()
    plan = replenishment(at_cut, chain.products, config.replenishment)
    product = chain.products.set_index("sku").loc[products["sku"]]
    daily_rate = units[:, week_of_day] / 7.0  # each week's real level, units per day
    cover = plan.order_up_to / np.maximum(plan.mu, 1e-9)  # the planner's level, in days of demand
    level = np.where(plan.mu[:, None] > 1e-9, daily_rate * cover[:, None], plan.order_up_to[:, None])
    perishable = plan.shelf_life <= len(days)  # a longer-lived unit cannot expire within the scored days
    wasted = np.zeros(len(products))
    if perishable.any():
        shelf = simulate_fifo(demand[perishable], level[perishable], product["case_pack"].to_numpy()[perishable],
                              plan.shelf_life[perishable], plan.cycle_days[perishable])
        wasted[perishable] = shelf.wasted
    return wasted * product["unit_cost"].to_numpy(dtype=float)


def auc(score: pd.Series, kept: pd.Index) -> tuple[float, int]:
    """P(score of a dropped item < score of a kept one) over all (dropped, kept) pairs, ties half; and the number of pairs."""
    is_kept = score.index.isin(kept)
    kept_scores, dropped_scores = np.sort(score[is_kept].to_numpy()), score[~is_kept].to_numpy()
    pairs = len(kept_scores) * len(dropped_scores)
    if pairs == 0:
        return float("nan"), 0
    above = len(kept_scores) - np.searchsorted(kept_scores, dropped_scores, side="right")
    ties = np.searchsorted(kept_scores, dropped_scores, side="right") - np.searchsorted(kept_scores, dropped_scores, side="left")
    return float((above.sum() + 0.5 * ties.sum()) / pairs), pairs


def _new_listings(chain: ChainData, full: History, listed: pd.DataFrame, weeks: pd.DatetimeIndex, profiles: Profiles,
                  result: PlanResult) -> pd.DataFrame:
    """Pairs not carried at the cut that sold after it: real units / week from the first sale on, and the estimates."""
    weekly = chain.weekly[chain.weekly["week_start"].isin(weeks) & (chain.weekly["units"] + chain.weekly["bulk_units"] > 0)]
    weekly = weekly[~pd.MultiIndex.from_frame(weekly[KEY]).isin(pd.MultiIndex.from_frame(listed))]
    sold = weekly.assign(units=weekly["units"] + weekly["bulk_units"]).groupby(KEY).agg(
        units=("units", "sum"), first_week=("week_start", "min")).reset_index()
    active = full.active.reindex(columns=weeks, fill_value=False)
    trading_from = [int(active.loc[store, weeks >= first].sum()) for store, first in zip(sold[STORE_ID], sold["first_week"], strict=True)]
    key = pd.MultiIndex.from_frame(sold[KEY])
    estimates = profiles.pairs.set_index(KEY).reindex(key)
    return pd.DataFrame({
        STORE_ID: sold[STORE_ID], "sku": sold["sku"],
        "in_plan": key.isin(pd.MultiIndex.from_frame(result.plan[KEY])),
        "actual": sold["units"] / np.maximum(trading_from, 1),
        "estimate": estimates["units_per_week"].to_numpy(), "similar_stores": estimates["similar_stores_units_per_week"].to_numpy(),
        "chain_average": estimates["chain_units_per_week"].to_numpy(),
    })


def _new_listing_scores(new: pd.DataFrame, store_ids: list[str]) -> pd.DataFrame:
    rows = [_listing_errors(store, new[new[STORE_ID] == store]) for store in store_ids]
    return pd.DataFrame([*rows, _listing_errors(CHAIN, new)], columns=NEW_LISTING_COLUMNS)


def _listing_errors(store: str, frame: pd.DataFrame) -> list[object]:
    actual = frame["actual"]
    selling = frame[actual >= MIN_NEW_LISTING_UNITS]

    def errors(estimate: str) -> list[float]:
        total = actual.sum()
        if not len(frame) or total <= 0:
            return [np.nan, np.nan, np.nan]
        wape = float((frame[estimate] - actual).abs().sum() / total)
        bias = float((frame[estimate] - actual).sum() / total)
        mape = float(((selling[estimate] - selling["actual"]).abs() / selling["actual"]).mean()) if len(selling) else np.nan
        return [wape, bias, mape]

    return [store, len(frame), int(frame["in_plan"].sum()), *errors("estimate"), *errors("similar_stores"), *errors("chain_average")]


def _forecast_scores(forecast: BacktestResult) -> pd.DataFrame:
    table = forecast.table
    rows = table[table["level"].isin(["store", "overall"])]
    return pd.DataFrame({
        STORE_ID: np.where(rows["level"] == "overall", CHAIN, rows["key"]),
        "forecast_wape": rows["wape"].to_numpy(), "forecast_bias": rows["bias"].to_numpy(),
        "forecast_wape_last4": rows["wape_last4"].to_numpy(), "forecast_wape_chain_share": rows["wape_chain_share"].to_numpy(),
    })


def _pct(part: float, whole: float) -> float:
    return 100.0 * part / abs(whole) if abs(whole) > 1e-9 else float("nan")
