"""build_profiles: from the chain's weekly sales to a local demand profile for every store and product."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.config import PlanConfig
from planner.customers import Customers
from planner.customers.listing import segment_estimates
from planner.customers.risk import customers_at_risk, walk_away_costs
from planner.customers.switching import card_substitutes, decision_tree, switching
from planner.customers.walkaway import walk_away_events
from planner.inputs import ChainData
from planner.profiles.demand import (
    History,
    history_window,
    listed_today,
    own_rates,
    store_traffic,
)
from planner.profiles.economics import add_economics
from planner.profiles.indexing import (
    dimension_indices,
    index_attributes,
    index_dimensions,
    local_multiplier,
    product_index,
    with_expectation,
)
from planner.profiles.similar import new_listing_estimates, store_similarity
from planner.profiles.substitution import Substitution, estimate_substitution, shelf_groups, shrunk_share
from planner.schemas import KEY, PRODUCTS, STORE_ID

MIN_WALK_AWAY_EVENTS = 3  # delistings with 20+ loyal regulars at risk needed to measure the walk-away share
WALK_AWAY_PRIOR_SD = 0.1  # how far the chain's walk-away share is believed to be from the setting before any event
MIN_OWN_WEEKS = 4  # with fewer listed weeks, the own rate is blended with the other stores' estimate

PROFILE_COLUMNS = [
    STORE_ID, "sku", "category", "fresh", "listed_now", "source", "demand_class", "forecast_method", "weeks_observed", "evidence_stores",
    "units_per_week", "sd_units_per_week", "uncertainty_units_per_week", "trend_pct_per_week", "gap_weeks",
    "promo_weeks", "weeks_since_first_sale", "new_listing_haircut", "chain_units_per_week", "local_index",
    "category_index", "similar_stores_units_per_week", "cycle_days", "order_up_to", "order_units", "lost_units_per_week", "waste_units_per_week", "waste_cost_per_week",
    "inventory_cost", "margin_per_unit", "promo_profit_per_week", "profit_per_week", "walk_away_cost_per_week",
]


@dataclass
class Profiles:
    """Demand profiles and the store-vs-chain indices they rest on."""

    pairs: pd.DataFrame  # PROFILE_COLUMNS, one row per store and product
    indices: pd.DataFrame  # store_id, dimension, value, observed_units, expected_units, index_raw, index
    traffic: pd.Series  # store_id -> units per trading week
    similarity: pd.DataFrame  # stores x stores, 1 = alike (similar.py)
    substitution: Substitution
    history: History
    dimensions: list[str]
    at_risk: pd.DataFrame | None = None  # customers.risk.RISK_COLUMNS, with loyalty cards
    walk_away: str = ""  # the walk-away share used and what it rests on, in words (with loyalty cards)


def build_profiles(chain: ChainData, config: PlanConfig, customers: Customers | None = None) -> Profiles:
    """Weekly units, spread, trend, local index, waste and profit for every store x product.

    With `customers` (the chain's card segments) a product a store does not carry is estimated from
    the store's segment mix where the cards suffice (customers.listing), else from similar stores.
    """
    demand = config.demand
    history = history_window(chain, demand)
    listed = listed_today(chain, history)
    rates = own_rates(chain, history, listed, demand)
    traffic = store_traffic(chain, history)
    own = with_expectation(rates, traffic)
    attributes = index_attributes(chain.products)
    dimensions = index_dimensions(attributes)
    indices = dimension_indices(own, attributes, dimensions, demand.index_prior_units)

    products = chain.products.set_index(PRODUCTS.sku)
    grid = pd.MultiIndex.from_product([chain.store_ids, products.index], names=KEY).to_frame(index=False)
    multiplier = local_multiplier(grid, attributes, indices, dimensions)
    own_multiplier = local_multiplier(own, attributes, indices, dimensions)
    similarity = store_similarity(chain.stores, indices, own.assign(index=product_index(
        own, multiplier_for(own, chain.products, indices, PRODUCTS.category), demand.index_prior_units)))
    similar = new_listing_estimates(own, grid, traffic, own_multiplier, multiplier, similarity)
    estimates = similar
    if customers is not None and config.customers.segment_estimates:
        by_segments = segment_estimates(chain.cards, customers.segmentation.labels, own, traffic, grid, history.weeks)
        estimates = with_segment_estimates(similar, by_segments)

    category_index = multiplier_for(grid, chain.products, indices, PRODUCTS.category)
    pairs = grid.assign(category=grid["sku"].map(products[PRODUCTS.category]), fresh=grid["sku"].map(products[PRODUCTS.fresh]))
    pairs["category_index"] = category_index.to_numpy()
    key = pd.MultiIndex.from_frame(grid[KEY])
    own_keyed = own.set_index(KEY)
    own_keyed["local_index"] = product_index(own, multiplier_for(own, chain.products, indices, PRODUCTS.category), demand.index_prior_units).to_numpy()
    rates_keyed = rates.set_index(KEY).reindex(key)
    pairs["listed_now"] = rates_keyed["listed_now"].astype("boolean").fillna(False).astype(bool).to_numpy()
    weeks = rates_keyed["weeks_observed"].fillna(0).to_numpy()
    pairs["weeks_observed"] = weeks.astype(int)
    pairs["evidence_stores"] = estimates["evidence_stores"].to_numpy()

    own_weight = np.minimum(weeks, MIN_OWN_WEEKS) / MIN_OWN_WEEKS
    pairs = pairs.assign(**_blended_demand(pairs["listed_now"], weeks, own_weight, rates_keyed, estimates, demand.new_listing_haircut))
    pairs["similar_stores_units_per_week"] = (pairs["units_per_week"] if estimates is similar else _blended_demand(
        pairs["listed_now"], weeks, own_weight, rates_keyed, similar, demand.new_listing_haircut)["units_per_week"])
    pairs["trend_pct_per_week"] = rates_keyed["trend_pct_per_week"].fillna(0.0).to_numpy()
    pairs["gap_weeks"] = rates_keyed["gap_weeks"].fillna(0).astype(int).to_numpy()
    pairs["promo_weeks"] = rates_keyed["promo_weeks"].fillna(0).astype(int).to_numpy()
    pairs["weeks_since_first_sale"] = rates_keyed["weeks_since_first_sale"].fillna(0).astype(int).to_numpy()
    pairs["promo_extra_units"] = own_weight * rates_keyed["promo_extra_units"].fillna(0.0).to_numpy()
    pairs["promo_extra_revenue"] = own_weight * rates_keyed["promo_extra_revenue"].fillna(0.0).to_numpy()
    pairs["demand_class"] = rates_keyed["demand_class"].fillna("not sold here").to_numpy()
    pairs = pairs.assign(**_forecast_source(weeks, rates_keyed["forecast_method"], estimates))
    chain_share = own.groupby("sku")["chain_share"].first()
    pairs["chain_units_per_week"] = (pairs["sku"].map(chain_share).fillna(0.0) * pairs[STORE_ID].map(traffic)).to_numpy()
    pairs["local_index"] = own_keyed["local_index"].reindex(key).fillna(pd.Series(multiplier.to_numpy(), index=key)).to_numpy()
    pairs = add_economics(pairs, chain.products, config.replenishment)
    substitution = estimate_substitution(chain.weekly, chain.products, listed, config.substitution)
    substitution, at_risk, pairs["walk_away_cost_per_week"], walk_away = _customer_rules(
        chain, config, customers, listed, substitution, history, pairs)
    return Profiles(pairs[PROFILE_COLUMNS], indices, traffic, similarity, substitution, history, dimensions, at_risk, walk_away)


def _customer_rules(chain: ChainData, config: PlanConfig, customers: Customers | None, listed: pd.DataFrame, substitution: Substitution,
                    history: History, pairs: pd.DataFrame) -> tuple[Substitution, pd.DataFrame | None, np.ndarray, str]:
    """What the cards change: the substitutes (customers.switching), the customers at risk per store and
    product (None without cards), each listed pair's walk-away cost and the walk-away share in words."""
    if customers is None:
        return substitution, None, np.zeros(len(pairs)), ""
    if config.customers.card_substitutes:
        tree = decision_tree(chain.cards, chain.products, history.weeks)
        groups = shelf_groups(chain.products)
        switched = switching(chain.cards, substitution.events, groups)
        substitution = dataclasses.replace(substitution, pairs=card_substitutes(tree, substitution.pairs, groups, switched))
    segmentation = customers.segmentation
    at_risk = customers_at_risk(chain.cards, segmentation.labels, segmentation.names, listed, substitution.pairs, history.weeks)
    if not config.customers.walk_away:
        return substitution, at_risk, np.zeros(len(pairs)), "walk-away cost off ([customers] walk_away = false)"
    share, words = walk_away_share(walk_away_events(chain.cards, substitution.events, substitution.pairs), config.customers.walk_away_share)
    unit_cost = chain.products.set_index(PRODUCTS.sku)[PRODUCTS.unit_cost]
    cost = walk_away_costs(at_risk, chain.weekly, chain.cards, unit_cost, history.weeks, share)
    return substitution, at_risk, np.where(pairs["listed_now"], cost.reindex(pd.MultiIndex.from_frame(pairs[KEY])).fillna(0.0).to_numpy(), 0.0), words


def walk_away_share(events: pd.DataFrame, prior: float) -> tuple[float, str]:
    """The share of an at-risk cardholder's basket lost with a regular purchase: the chain's delistings
    (customers.walkaway) weighed by the at-risk spend and shrunk toward `prior` (the setting), or the
    setting itself with fewer than MIN_WALK_AWAY_EVENTS of them."""
    if len(events) < MIN_WALK_AWAY_EVENTS:
        return prior, f"walk-away share {prior:.0%}: the setting ({len(events)} delistings with 20+ loyal regulars at risk, {MIN_WALK_AWAY_EVENTS} needed to measure it)"
    share, sd = shrunk_share(events["walked"].to_numpy(dtype=float), events["spend_before"].to_numpy(dtype=float), prior, WALK_AWAY_PRIOR_SD)
    return share, (f"walk-away share {share:.0%}: {len(events)} delistings, their loyal regulars' baskets against other loyal "
                   f"cardholders', shrunk toward the setting {prior:.0%} (90 % interval {max(share - 1.645 * sd, 0):.0%} to {min(share + 1.645 * sd, 1):.0%})")


def _blended_demand(
    listed_now: pd.Series, weeks: np.ndarray, own_weight: np.ndarray, rates_keyed: pd.DataFrame, estimates: pd.DataFrame, at_one: float
) -> dict[str, np.ndarray]:
    """Units, spread and uncertainty per week: the own history weighed by `own_weight` against the
    similar-store estimate, which a pair never sold here keeps only after the uncertainty haircut."""
    own_rate = rates_keyed["units_per_week"].fillna(0.0).to_numpy()
    own_sd = rates_keyed["sd_units_per_week"].fillna(0.0).to_numpy()
    est_rate = estimates["units_per_week"].to_numpy()
    est_sd = estimates["sd_units_per_week"].to_numpy()
    est_uncertainty = estimates["uncertainty_units_per_week"].to_numpy()
    haircut = np.where(listed_now | (weeks > 0), 1.0, uncertainty_haircut(est_rate, est_uncertainty, at_one))
    own_error = own_sd / np.sqrt(np.maximum(weeks, 1))  # standard error of a mean over the observed weeks
    return {
        "new_listing_haircut": haircut,
        "units_per_week": own_weight * own_rate + (1 - own_weight) * est_rate * haircut,
        "sd_units_per_week": own_weight * own_sd + (1 - own_weight) * est_sd * haircut,
        "uncertainty_units_per_week": own_weight * own_error + (1 - own_weight) * est_uncertainty * haircut,
    }


def _forecast_source(weeks: np.ndarray, own_method: pd.Series, estimates: pd.DataFrame) -> dict[str, np.ndarray]:
    """How each pair's rate was forecast, and whose sales it rests on: its own, other stores', or both."""
    est_rate = estimates["units_per_week"].to_numpy()
    basis = estimates["basis"].to_numpy() if "basis" in estimates.columns else np.full(len(estimates), "similar stores")
    return {
        "forecast_method": np.where(weeks >= MIN_OWN_WEEKS, own_method.fillna(""),
                                    np.where(weeks > 0, "own history blended with " + basis, basis + "' estimate")),
        "source": np.select(
            [weeks >= MIN_OWN_WEEKS, weeks > 0, est_rate > 0],
            ["own history", "own history + other stores", "other stores"],
            "no sales anywhere",
        ),
    }


def with_segment_estimates(similar: pd.DataFrame, by_segments: pd.DataFrame) -> pd.DataFrame:
    """The similar-store and the customer-segment estimates combined where both exist, each weighed by
    its precision (1 / uncertainty^2): the combined uncertainty is below both. Spread per unit as the
    similar-store estimate's; `basis` says what each pair's estimate rests on."""
    use = by_segments["units_per_week"].notna().to_numpy()
    seg_var = np.square(by_segments["uncertainty_units_per_week"].fillna(0.0).to_numpy()) + 1e-9
    sim_var = np.square(similar["uncertainty_units_per_week"].to_numpy()) + 1e-9
    weight = np.where(use, sim_var / (seg_var + sim_var), 0.0)  # the segments' share of the estimate
    out = similar.copy()
    units = weight * by_segments["units_per_week"].fillna(0.0).to_numpy() + (1 - weight) * similar["units_per_week"].to_numpy()
    cv = np.where(similar["units_per_week"] > 0, similar["sd_units_per_week"] / similar["units_per_week"].where(similar["units_per_week"] > 0), 1.0)
    out["units_per_week"] = units
    out["sd_units_per_week"] = np.where(use, units * cv, similar["sd_units_per_week"])
    out["uncertainty_units_per_week"] = np.where(use, np.sqrt(seg_var * sim_var / (seg_var + sim_var)), similar["uncertainty_units_per_week"])
    out["segment_weight"] = weight
    out["basis"] = np.where(use, "customer segments and similar stores", "similar stores")
    return out


def uncertainty_haircut(estimate: np.ndarray, uncertainty: np.ndarray, at_one: float) -> np.ndarray:
    """Share of a similar-store estimate trusted: 1 / (1 + k x cv^2), cv = uncertainty / estimate, with k
    set so that an estimate as uncertain as it is large keeps `at_one` of itself (0.8: k = 0.25). The
    more the evidence stores disagree, or the fewer carry it, the less is trusted."""
    cv = np.where(estimate > 0, uncertainty / np.where(estimate > 0, estimate, 1.0), 1.0)
    k = 1.0 / max(at_one, 1e-9) - 1.0
    return 1.0 / (1.0 + k * cv**2)


def multiplier_for(pairs: pd.DataFrame, products: pd.DataFrame, indices: pd.DataFrame, dimension: str) -> pd.Series:
    """The store's index for the value the product has in one dimension (1.0 when unknown)."""
    return local_multiplier(pairs, products, indices, [dimension])
