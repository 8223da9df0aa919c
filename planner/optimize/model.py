"""The assortment MILP, built from ModelInputs. No files, no UI: numbers in, a PuLP problem out.

Decisions:
    core[p]        binary: fresh product p is core, carried in every store
    addon[s, p]    binary: store s carries p as a store-specific add-on
    used[p]        0..1: p is carried in some store (pays the chain listing cost; 1 whenever any carry is 1)
    gain[s, p]     EUR / week of margin that dropped product p's customers bring to carried substitutes

Carried: carry[s, p] = core[p] + addon[s, p] (for p not eligible for the core, just addon[s, p]).

Objective (EUR / week): sum carry x (profit - handling cost) + sum gain
- listing cost x sum used - sum over dropped listed pairs of their walk-away cost (the loyal
cardholders' basket margin lost, customers.risk) - change penalty x (adds + drops against today's assortment).
Every constraint is named `<family>__<store>[__<sku or category>]`; `Model.constraint_info` maps a
name back to (family, store, item) for diagnostics.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pulp

from planner.optimize.inputs import ModelInputs
from planner.optimize.solve import linear_expression
from planner.schemas import KEY, STORE_ID, Mode


@dataclass
class Model:
    """A built problem and the handles needed to read it back."""

    problem: pulp.LpProblem
    core: dict[str, pulp.LpVariable]
    addon: dict[tuple[str, str], pulp.LpVariable]
    flow: dict[tuple[str, str], pulp.LpVariable] = field(default_factory=dict)  # gain[s, p], EUR / week
    used: dict[str, pulp.LpVariable] = field(default_factory=dict)
    constraint_info: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # name -> (family, store, item)
    slack: dict[str, pulp.LpVariable] = field(default_factory=dict)  # elastic model only: constraint name -> slack
    slack_scale: dict[str, float] = field(default_factory=dict)  # constraint name -> the limit it relaxes

    def carry_terms(self, store: str, inputs: ModelInputs, column: str) -> list[tuple[pulp.LpVariable, float]]:
        """(variable, coefficient) terms of sum_p carry[s, p] x column[s, p] for one store."""
        values = inputs.pairs.loc[store, column]
        by_sku = dict(zip(values.index, values.to_numpy(dtype=float), strict=True))
        terms = [(self.addon[(store, sku)], value) for sku, value in by_sku.items()]
        terms += [(self.core[sku], by_sku[sku]) for sku in inputs.core_skus]
        return terms

    def carry(self, store: str, sku: str) -> list[tuple[pulp.LpVariable, float]]:
        """carry[s, p] as (variable, 1) terms."""
        terms = [(self.addon[(store, sku)], 1.0)]
        if sku in self.core:
            terms.append((self.core[sku], 1.0))
        return terms


def build_model(inputs: ModelInputs, *, elastic: bool = False) -> Model:
    """The MILP: maximise expected weekly profit net of waste, within every store's limits.

    With `elastic=True` the limits get penalised slack and the objective minimises the relative
    violation instead: used to name the limits that make an infeasible input infeasible.
    """
    sense = pulp.LpMinimize if elastic else pulp.LpMaximize
    model = Model(pulp.LpProblem("assortment", sense), {}, {})
    define_selection_variables(model, inputs)
    define_one_role_constraints(model, inputs)
    define_core_definition_constraints(model, inputs)
    define_shelf_constraints(model, inputs, elastic)
    define_budget_constraints(model, inputs, elastic)
    define_core_size_constraints(model, inputs, elastic)
    define_category_minimum_constraints(model, inputs, elastic)
    define_addon_maximum_constraints(model, inputs)
    define_forced_constraints(model, inputs)
    define_transfer_constraints(model, inputs)
    define_listing_constraints(model, inputs)
    define_change_limit_constraints(model, inputs, elastic)
    if elastic:
        define_violation_objective(model)
    else:
        define_profit_objective(model, inputs)
    return model


def define_selection_variables(model: Model, inputs: ModelInputs) -> None:
    """core[p] for core-eligible fresh products, addon[s, p] for every candidate pair."""
    tokens = inputs.tokens
    for sku in inputs.core_skus:
        model.core[sku] = model.problem.add_variable(f"core__{tokens[sku]}", 0, 1, pulp.LpBinary)
    for store, sku in inputs.pairs.index:
        model.addon[(store, sku)] = model.problem.add_variable(f"addon__{tokens[store]}__{tokens[sku]}", 0, 1, pulp.LpBinary)


def define_one_role_constraints(model: Model, inputs: ModelInputs) -> None:
    """core[p] + addon[s, p] <= 1: a core product is not also an add-on (so carry[s, p] <= 1)."""
    for sku in inputs.core_skus:
        for store in inputs.stores:
            add(model, inputs, "one_role", store, sku, model.core[sku] + model.addon[(store, sku)] <= 1)


def define_core_definition_constraints(model: Model, inputs: ModelInputs) -> None:
    """sum_s addon[s, p] <= stores - 1 for core-eligible p: a fresh product carried everywhere is core."""
    n_stores = len(inputs.stores)
    for sku in inputs.core_skus:
        total = pulp.lpSum(model.addon[(store, sku)] for store in inputs.stores)
        add(model, inputs, "everywhere_is_core", "chain", sku, total <= n_stores - 1)


def define_shelf_constraints(model: Model, inputs: ModelInputs, elastic: bool) -> None:
    """sum_p shelf_space[p] x carry[s, p] <= shelf_capacity[s]   (shelf units), per store."""
    for store in inputs.stores:
        used = linear_expression(model.carry_terms(store, inputs, "shelf_space"))
        add_limit(model, inputs, "shelf_capacity", store, "", used, float(inputs.shelf_capacity[store]), elastic)


def define_budget_constraints(model: Model, inputs: ModelInputs, elastic: bool) -> None:
    """sum_p inventory_cost[s, p] x carry[s, p] <= inventory_budget[s]   (EUR), per store."""
    for store in inputs.stores:
        tied_up = linear_expression(model.carry_terms(store, inputs, "inventory_cost"))
        add_limit(model, inputs, "inventory_budget", store, "", tied_up, float(inputs.inventory_budget[store]), elastic)


def define_core_size_constraints(model: Model, inputs: ModelInputs, elastic: bool) -> None:
    """core_min_items <= sum_p core[p] <= core_max_items (the core is fixed when one store is re-planned)."""
    if inputs.mode == Mode.STORE:
        return
    rules = inputs.rules
    size = pulp.lpSum(model.core.values())
    if rules.core_min_items > 0:
        add_limit(model, inputs, "core_min_items", "chain", "", -size, -float(rules.core_min_items), elastic)
    if rules.core_max_items is not None:
        add(model, inputs, "core_max_items", "chain", "", size <= rules.core_max_items)


def define_category_minimum_constraints(model: Model, inputs: ModelInputs, elastic: bool) -> None:
    """sum_{p in category c} carry[s, p] >= min_items_per_category, per store and category."""
    categories = inputs.pairs["category"]
    core_by_category = categories.groupby(level="sku").first().reindex(inputs.core_skus)
    for (store, category), required in inputs.category_minimum.items():
        in_category = categories.loc[store]
        terms = [model.addon[(store, sku)] for sku in in_category.index[in_category == category]]
        terms += [model.core[sku] for sku in core_by_category.index[core_by_category == category]]
        add_limit(model, inputs, "min_items_per_category", store, category, -pulp.lpSum(terms), -float(required), elastic)


def define_addon_maximum_constraints(model: Model, inputs: ModelInputs) -> None:
    """sum_p addon[s, p] <= max_addons_per_store, per store (a fixed core item in a store re-plan is no add-on)."""
    if inputs.rules.max_addons_per_store is None:
        return
    for store in inputs.stores:
        pairs = inputs.pairs.loc[store]
        count = pulp.lpSum(model.addon[(store, sku)] for sku in pairs.index if sku not in inputs.fixed_core)
        add(model, inputs, "max_addons_per_store", store, "", count <= inputs.rules.max_addons_per_store)


def define_forced_constraints(model: Model, inputs: ModelInputs) -> None:
    """carry[s, p] = 1 where an override, an approved request or the minimum listing period forces p."""
    forced = inputs.pairs.index[inputs.pairs["forced"]]
    for store, sku in forced:
        add(model, inputs, "must_carry", store, sku, linear_expression(model.carry(store, sku)) == 1)


def define_transfer_constraints(model: Model, inputs: ModelInputs) -> None:
    """First-choice substitution (inputs.substitution_flows), per store and listed product p with
    substitutes q; gain[s, p] = EUR / week of margin its customers bring to carried substitutes:

    gain[s, p] <= sum_q bound[s, p, q] x margin[q] x carry[s, q]     only carried substitutes gain
    gain[s, p] <= sum_q bound[s, p, q] x margin[q] x (1 - carry[s, p])  and only if p is dropped

    For binary carry this is exactly (1 - carry[p]) x sum over carried q, which is what plan_value
    recomputes.
    """
    flows = inputs.flows
    if flows.empty:
        return
    flows = flows[pd.MultiIndex.from_frame(flows[[STORE_ID, "substitute"]]).isin(inputs.pairs.index)]
    flows = flows.assign(value=flows["bound"] * flows["margin"])[[*KEY, "substitute", "value"]]
    flows = flows.sort_values(KEY, kind="stable")
    tokens = inputs.tokens
    stores, skus, subs = (flows[c].to_numpy() for c in (STORE_ID, "sku", "substitute"))
    values = flows["value"].to_numpy(dtype=float)
    def carry(store: str, sku: str) -> list[pulp.LpVariable]:
        return [var for var, _ in model.carry(store, sku)] if (store, sku) in model.addon else []

    starts = np.flatnonzero(np.r_[True, (stores[1:] != stores[:-1]) | (skus[1:] != skus[:-1])])
    for start, end in zip(starts, [*starts[1:], len(flows)], strict=True):
        store, sku = stores[start], skus[start]
        most = float(values[start:end].sum())
        gain = model.problem.add_variable(f"gain__{tokens[store]}__{tokens[sku]}", 0, most)
        model.flow[(store, sku)] = gain
        to_carried = [(gain, 1.0)] + [(var, -v) for q, v in zip(subs[start:end], values[start:end], strict=True)
                                      for var in carry(store, q)]
        add(model, inputs, "transfer_to", store, sku, linear_expression(to_carried) <= 0)
        own = carry(store, sku)
        if own:
            only_if_dropped = [(gain, 1.0)] + [(var, most) for var in own]
            add(model, inputs, "transfer_from", store, sku, linear_expression(only_if_dropped) <= most)


def define_listing_constraints(model: Model, inputs: ModelInputs) -> None:
    """sum_s addon[s, p] <= stores_p x used[p] and core[p] <= used[p] (used binary): a product
    carried anywhere pays the listing cost once.

    Only with a listing cost, and only in the full chain model: store by store (decompose.py) the
    cost is split over the stores instead.
    """
    if inputs.listing_cost <= 0 or inputs.mode == Mode.STORE:
        return
    tokens = inputs.tokens
    for sku, group in inputs.pairs.groupby(level="sku"):
        stores = list(group.index.get_level_values(STORE_ID))
        used = model.used[sku] = model.problem.add_variable(f"used__{tokens[sku]}", 0, 1, pulp.LpBinary)
        terms = [(model.addon[(store, sku)], 1.0) for store in stores]
        terms.append((used, -float(len(stores))))
        add(model, inputs, "listing", "chain", sku, linear_expression(terms) <= 0)
        if sku in model.core:
            add(model, inputs, "listing_core", "chain", sku, linear_expression([(model.core[sku], 1.0), (used, -1.0)]) <= 0)


def define_change_limit_constraints(model: Model, inputs: ModelInputs, elastic: bool) -> None:
    """Per store: adds (carried, not listed today) <= max_adds_per_store; drops (listed today, not
    carried; overrides excluded) <= max_drops_per_store."""
    rules = inputs.config.stability
    for store in inputs.stores:
        pairs = inputs.pairs.loc[store]
        if rules.max_adds_per_store is not None:
            adds = [term for sku in pairs.index[~pairs["listed_now"]] for term in model.carry(store, sku)]
            add_limit(model, inputs, "max_adds_per_store", store, "", linear_expression(adds), float(rules.max_adds_per_store), elastic)
        if rules.max_drops_per_store is not None:
            listed = pairs.index[pairs["listed_now"]]
            kept = [(var, -1.0) for sku in listed for var, _ in model.carry(store, sku)]
            add_limit(model, inputs, "max_drops_per_store", store, "", linear_expression(kept),
                      float(rules.max_drops_per_store) - len(listed), elastic)


def define_profit_objective(model: Model, inputs: ModelInputs) -> None:
    """max expected weekly profit net of waste, handling and listing costs, minus the change penalty.

    The penalty is the constant -penalty x (pairs listed today) plus +penalty per listed pair kept
    and -penalty per new pair, so the objective equals profit - penalty x (adds + drops). The
    walk-away cost likewise: the constant -sum of it over the pairs listed today, given back per pair kept.
    """
    pairs = inputs.pairs
    penalty = inputs.config.stability.change_penalty
    coefficient = pairs["profit"] + pairs["walk_away"] + np.where(pairs["listed_now"], penalty, -penalty)
    by_pair = dict(zip(coefficient.index, coefficient.to_numpy(dtype=float), strict=True))
    terms = [(var, by_pair[key]) for key, var in model.addon.items()]
    core_coefficient = coefficient.groupby(level="sku").sum()
    terms += [(var, float(core_coefficient[sku])) for sku, var in model.core.items()]
    terms += [(var, 1.0) for var in model.flow.values()]
    terms += [(var, -inputs.listing_cost) for var in model.used.values()]
    listed_today = int(inputs.all_pairs["listed_now"].sum())
    walk_away_today = float(inputs.all_pairs["walk_away"].sum())
    model.problem.setObjective(linear_expression(terms) - penalty * listed_today - walk_away_today)


def define_violation_objective(model: Model) -> None:
    """min sum of slack / limit: the smallest relative relaxation that makes the limits feasible."""
    model.problem.setObjective(
        linear_expression([(slack, 1.0 / model.slack_scale[name]) for name, slack in model.slack.items()])
    )


def limit_names(inputs: ModelInputs, store: str) -> list[str]:
    """Names of a store's shelf and budget constraints, in that order."""
    return [f"{family}__{inputs.tokens[store]}" for family in ("shelf_capacity", "inventory_budget")]


def add(model: Model, inputs: ModelInputs, family: str, store: str, item: str, constraint: pulp.LpConstraint) -> str:
    """Add a named constraint `<family>__<store>[__<item>]` and record what it limits."""
    tokens = inputs.tokens
    parts = [family, tokens.get(store, store)] + ([tokens.get(item, item)] if item else [])
    name = "__".join(parts)
    if name in model.constraint_info:
        msg = f"constraint name {name} used twice"
        raise ValueError(msg)
    model.problem.addConstraint(constraint, name)
    model.constraint_info[name] = (family, store, item)
    return name


def add_limit(model: Model, inputs: ModelInputs, family: str, store: str, item: str, lhs: pulp.LpAffineExpression, limit: float, elastic: bool) -> None:
    """lhs <= limit; in the elastic model lhs <= limit + slack, with slack weighed relative to the limit."""
    if not elastic:
        add(model, inputs, family, store, item, lhs <= limit)
        return
    tokens = inputs.tokens
    slack = model.problem.add_variable(f"slack__{family}__{tokens.get(store, store)}__{tokens.get(item, item)}", 0, None)
    name = add(model, inputs, family, store, item, lhs - slack <= limit)
    model.slack[name] = slack
    model.slack_scale[name] = max(abs(limit), 1.0)
