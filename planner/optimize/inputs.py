"""ModelInputs: the (store, sku) candidates and every number the MILP needs, and nothing else.

Candidates are built once, here. A store-product pair gets a decision when it could earn money
there, when it is listed today (dropping it is a decision: it costs a change and moves customers
to substitutes), when an override or the minimum listing period forces it, when it may be needed
for a category minimum, or when it is a fresh product that could be core. Pairs that head office
excluded are never candidates. Every other pair can never be in an optimal plan.

Two shapes of the same problem:
    "chain"    the weekly plan: core + add-ons per store, with every rule
    "store"    one store re-planned with the core and the other stores fixed (what-if, and the
               store-by-store solve of the chain plan)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.config import AssortmentConfig, PlanConfig, SubstitutionConfig
from planner.schemas import KEY, STORE_ID, Mode

PAIR_COLUMNS = ["profit", "walk_away", "shelf_space", "inventory_cost", "category", "fresh", "listed_now", "units", "margin", "forced", "forced_by"]
FLOW_COLUMNS = [*KEY, "substitute", "bound", "margin"]


@dataclass(frozen=True)
class Substitutes:
    """Which products stand in for which, and the share of a dropped product's demand that moves."""

    pairs: pd.DataFrame  # sku, substitute
    transfer_rate: float
    max_substitutes: int = 3
    max_absorb: float = 1.0

    @classmethod
    def configured(cls, pairs: pd.DataFrame, transfer_rate: float, config: SubstitutionConfig) -> Substitutes:
        """Substitute pairs and rate (from the profiles) with the config's choice and absorb limits."""
        return cls(pairs, transfer_rate, config.max_substitutes, config.max_absorb)


@dataclass(frozen=True, eq=False)
class PlanningProblem:
    """What a chain plan is made from: the demand profiles (schemas.PROFILES), the store and product
    masters, the settings, and optionally the substitutes and head office's overrides (store_id, sku,
    rule "must_carry" / "must_not_carry", source)."""

    profiles: pd.DataFrame
    stores: pd.DataFrame
    products: pd.DataFrame
    config: PlanConfig
    substitutes: Substitutes | None = None
    overrides: pd.DataFrame | None = None


@dataclass(frozen=True)
class ModelInputs:
    """Numbers for the MILP. Money in EUR per week (profit) or EUR (inventory), space in shelf units."""

    mode: Mode
    stores: pd.Index  # store ids, in stores.csv order
    shelf_capacity: pd.Series  # store -> shelf units
    inventory_budget: pd.Series  # store -> EUR
    pairs: pd.DataFrame  # MultiIndex (store_id, sku) -> PAIR_COLUMNS; the candidates (forced: a flag, forced_by: why)
    all_pairs: pd.DataFrame  # the same columns for every store x product (to value any plan)
    core_skus: pd.Index  # fresh products that may be core (a candidate pair in every store)
    category_minimum: pd.Series  # (store_id, category) -> items required (already capped at what exists)
    flows: pd.DataFrame  # FLOW_COLUMNS: units/week that move from a dropped listed sku to a carried substitute
    excluded: pd.DataFrame  # store_id, sku, source: pairs head office excluded (must_not_carry)
    config: PlanConfig
    tokens: dict[str, str]  # store id or sku -> name-safe token for variable and constraint names
    listed_elsewhere: frozenset[str] = field(default_factory=frozenset)  # "store" mode: skus the other stores carry
    fixed_core: frozenset[str] = field(default_factory=frozenset)  # "store" mode: the chain's core, forced in

    @property
    def rules(self) -> AssortmentConfig:
        """The assortment rules of the config."""
        return self.config.assortment

    @property
    def listing_cost(self) -> float:
        """EUR / week per distinct product carried anywhere."""
        return self.config.costs.listing_cost_per_product

    @functools.cached_property
    def flow_rows(self) -> dict[str, np.ndarray]:
        """store -> the row positions of its flows (store_inputs takes one store's of millions, store after store)."""
        return {str(store): rows for store, rows in self.flows.groupby(STORE_ID, sort=False).indices.items()}


def pair_table(profiles: pd.DataFrame, products: pd.DataFrame, config: PlanConfig) -> pd.DataFrame:
    """PAIR_COLUMNS for every store x product, indexed by (store_id, sku); profit is net of handling;
    walk_away: EUR / week of loyal customers' basket margin lost if a listed pair is dropped
    (profiles' walk_away_cost_per_week, from the loyalty cards; 0 without them)."""
    product = products.set_index("sku")
    frame = profiles.set_index(KEY)
    skus = frame.index.get_level_values("sku")
    table = pd.DataFrame(index=frame.index)
    table["profit"] = frame["profit_per_week"] - config.costs.handling_cost_per_listing
    walk_away = frame["walk_away_cost_per_week"] if "walk_away_cost_per_week" in frame.columns else 0.0
    table["walk_away"] = np.where(frame["listed_now"].astype(bool), walk_away, 0.0)
    table["shelf_space"] = product["shelf_space"].reindex(skus).to_numpy(dtype=float)
    table["inventory_cost"] = frame["inventory_cost"].astype(float)
    table["category"] = frame["category"]
    table["fresh"] = frame["fresh"].astype(bool)
    table["listed_now"] = frame["listed_now"].astype(bool)
    table["units"] = frame["units_per_week"].astype(float)
    table["margin"] = (product["price"] - product["unit_cost"]).reindex(skus).to_numpy(dtype=float)
    weeks = frame["weeks_since_first_sale"]  # 0 = never sold: dead stock, not a new listing
    young = table["listed_now"] & (weeks > 0) & (weeks < config.stability.min_listing_weeks)
    table["forced"] = young.to_numpy(dtype=bool)
    table["forced_by"] = np.where(young, f"the minimum listing period ({config.stability.min_listing_weeks} weeks)", "")
    return table[PAIR_COLUMNS].sort_index()


def force(pairs: pd.DataFrame, where: np.ndarray | pd.Index, reason: str | np.ndarray) -> None:
    """Mark the pairs at `where` (a mask or keys of `pairs`) as forced in, for `reason`."""
    pairs.loc[where, "forced"] = True
    pairs.loc[where, "forced_by"] = reason


def core_products(lines: pd.DataFrame | pd.MultiIndex, fresh: Collection[str], stores: pd.Index) -> list[str]:
    """The core rule: the fresh products among `lines` (store_id, sku) found in every one of `stores`."""
    frame = lines.to_frame(index=False) if isinstance(lines, pd.MultiIndex) else lines
    mine = frame[frame["sku"].isin(list(fresh)) & frame[STORE_ID].isin(stores)]
    per_sku = mine.groupby("sku")[STORE_ID].nunique()
    return sorted(per_sku.index[per_sku == len(stores)])


def build_model_inputs(problem: PlanningProblem) -> ModelInputs:
    """Candidates and limits for the chain plan (see the module docstring)."""
    stores, profiles, products, config, overrides = problem.stores, problem.profiles, problem.products, problem.config, problem.overrides
    rules = config.assortment
    all_pairs = pair_table(profiles, products, config)
    excluded = pd.DataFrame(columns=[*KEY, "source"])
    if overrides is not None and len(overrides):
        keyed = overrides.set_index(KEY)
        must = keyed[keyed["rule"] == "must_carry"]
        required = all_pairs.index.intersection(must.index)
        force(all_pairs, required, must["source"].reindex(required).to_numpy())
        banned = keyed[keyed["rule"] == "must_not_carry"]
        excluded = banned.reset_index()[[*KEY, "source"]]
    frame = all_pairs.reset_index()
    banned_keys = pd.MultiIndex.from_frame(excluded[KEY]) if len(excluded) else None
    allowed = ~all_pairs.index.isin(banned_keys) if banned_keys is not None else np.ones(len(frame), dtype=bool)
    chain_profit = frame[frame["fresh"]].groupby("sku")["profit"].sum()
    core_possible = set(chain_profit.index[chain_profit > 0])
    if rules.core_min_items > 0:
        core_possible |= set(chain_profit.sort_values(ascending=False).index[: rules.core_min_items])
    flows = substitution_flows(all_pairs, all_pairs[allowed], problem.substitutes)
    takes_over = all_pairs.index.isin(pd.MultiIndex.from_frame(flows[[STORE_ID, "substitute"]]))
    keep = ((frame["profit"] > 0) | frame["listed_now"] | frame["forced"] | frame["sku"].isin(core_possible)).to_numpy(copy=True)
    keep |= takes_over  # may earn its place with the customers of a dropped substitute
    if rules.min_items_per_category > 0:
        ranked = frame.sort_values("profit", ascending=False).groupby([STORE_ID, "category"]).cumcount()
        top = (ranked < rules.min_items_per_category).reindex(frame.index).to_numpy()
        keep |= top
    pairs = all_pairs[keep & allowed]
    store_index = pd.Index(stores[STORE_ID], name=STORE_ID)
    core = pd.Index(core_products(pairs.index, set(frame.loc[frame["fresh"], "sku"]), store_index), name="sku")
    in_category = all_pairs[allowed].groupby([STORE_ID, "category"]).size()
    minimum = in_category.clip(upper=rules.min_items_per_category) if rules.min_items_per_category else in_category.iloc[:0]
    return ModelInputs(
        mode=Mode.CHAIN,
        stores=store_index,
        shelf_capacity=stores.set_index(STORE_ID)["shelf_capacity"].astype(float),
        inventory_budget=stores.set_index(STORE_ID)["inventory_budget"].astype(float),
        pairs=pairs,
        all_pairs=all_pairs,
        core_skus=core,
        category_minimum=minimum[minimum > 0],
        flows=flows,
        excluded=excluded,
        config=config,
        tokens=name_tokens([*store_index, *frame["sku"].unique(), *frame["category"].unique()]),
    )


def store_inputs(
    chain_inputs: ModelInputs,
    store: str,
    core: list[str],
    listed_elsewhere: set[str],
    *,
    shelf_capacity: float | None = None,
    inventory_budget: float | None = None,
    force_in: Sequence[str] = (),
    force_out: Sequence[str] = (),
    listing_charge: pd.Series | None = None,
) -> ModelInputs:
    """One store's problem with the core fixed (forced in) and the other stores as they are planned.

    A product no other store carries pays the chain listing cost here, in its profit per week;
    `listing_charge` (sku -> EUR / week) replaces that rule with a charge per product.
    """
    all_pairs = chain_inputs.all_pairs.loc[[store]].copy()
    skus = all_pairs.index.get_level_values("sku")
    force(all_pairs, skus.isin(core), "the chain's core")
    force(all_pairs, skus.isin(list(force_in)), "what-if: forced in")
    if listing_charge is None:
        all_pairs.loc[~skus.isin(list(listed_elsewhere)), "profit"] -= chain_inputs.listing_cost
    else:
        all_pairs["profit"] -= listing_charge.reindex(skus).fillna(0.0).to_numpy()
    excluded = chain_inputs.excluded[chain_inputs.excluded[STORE_ID] == store]
    excluded = pd.concat([excluded, pd.DataFrame({STORE_ID: store, "sku": list(force_out), "source": "what-if: forced out"})])
    banned = skus.isin(list(excluded["sku"]))
    keep = all_pairs.index.isin(chain_inputs.pairs.index) | all_pairs["forced"] | (all_pairs["profit"] > 0)
    pairs = all_pairs[keep & ~banned]
    minimum = chain_inputs.category_minimum
    minimum = minimum[minimum.index.get_level_values(STORE_ID) == store]
    flows = chain_inputs.flows.iloc[chain_inputs.flow_rows.get(store, np.array([], dtype=int))]
    shelf = chain_inputs.shelf_capacity.loc[[store]].copy()
    budget = chain_inputs.inventory_budget.loc[[store]].copy()
    if shelf_capacity is not None:
        shelf[store] = float(shelf_capacity)
    if inventory_budget is not None:
        budget[store] = float(inventory_budget)
    return ModelInputs(
        mode=Mode.STORE,
        stores=pd.Index([store], name=STORE_ID),
        shelf_capacity=shelf,
        inventory_budget=budget,
        pairs=pairs,
        all_pairs=all_pairs,
        core_skus=pd.Index([], name="sku"),
        category_minimum=minimum,
        flows=flows,
        excluded=excluded.reset_index(drop=True),
        config=chain_inputs.config,
        tokens=chain_inputs.tokens,
        listed_elsewhere=frozenset(listed_elsewhere),
        fixed_core=frozenset(core),
    )


def substitution_flows(all_pairs: pd.DataFrame, candidates: pd.DataFrame, substitutes: Substitutes | None) -> pd.DataFrame:
    """Where a listed product's customers go when it is dropped (first-choice substitution).

    A listed product p with weekly units d_p sends t x d_p x share_q to each substitute q among its
    `max_substitutes` best sellers in the store (ties to the smaller sku; share_q = q's units over
    theirs); the customers who would pick a substitute that is not carried are lost. A substitute
    takes over at most `max_absorb` x its own units: where the listed products that send to q could
    together send more, every one of their flows to q is scaled down to fit, as if all were dropped
    at once. Only substitutes with a positive margin and a candidate pair in the store get a flow.
    Columns FLOW_COLUMNS: bound = units / week that move when p is dropped and q carried.
    """
    if substitutes is None or substitutes.transfer_rate <= 0 or substitutes.pairs.empty:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    units = all_pairs["units"].unstack("sku").fillna(0.0)  # store x sku matrices, ids sorted
    store_ids, skus = units.index, units.columns
    matrix = units.to_numpy(dtype=float)
    sends = (all_pairs["listed_now"] & (all_pairs["units"] > 0)).unstack("sku").reindex_like(units).fillna(False).to_numpy(dtype=bool)
    links = pd.DataFrame({"p": skus.get_indexer(substitutes.pairs["sku"]), "q": skus.get_indexer(substitutes.pairs["substitute"])})
    links = links[(links["p"] >= 0) & (links["q"] >= 0) & (links["p"] != links["q"])].drop_duplicates().sort_values(["p", "q"])
    p_codes, q_codes = links["p"].to_numpy(), links["q"].to_numpy()
    starts = np.flatnonzero(np.r_[True, p_codes[1:] != p_codes[:-1]]) if len(links) else np.array([], dtype=int)
    chosen = []
    for start, end in zip(starts, [*starts[1:], len(links)], strict=True):
        p, subs = p_codes[start], q_codes[start:end]
        senders = np.flatnonzero(sends[:, p])
        sub_units = matrix[np.ix_(senders, subs)]
        best = np.argsort(-sub_units, axis=1, kind="stable")[:, : substitutes.max_substitutes]  # subs are in sku order
        row, rank = np.nonzero(np.take_along_axis(sub_units, best, axis=1) > 0)
        chosen.append(np.column_stack([senders[row], np.full(len(row), p), subs[best[row, rank]], rank]))
    flows = pd.DataFrame(np.concatenate(chosen) if chosen else np.empty((0, 4), dtype=int), columns=["s", "p", "q", "rank"])
    flows = flows.sort_values(["s", "p", "rank"]).reset_index(drop=True)
    s, p, q = (flows[c].to_numpy() for c in ("s", "p", "q"))
    flows["sub_units"] = matrix[s, q]
    share = flows["sub_units"] / flows.groupby(["s", "p"])["sub_units"].transform("sum")
    flows["bound"] = substitutes.transfer_rate * matrix[s, p] * share
    inflow = flows.groupby(["s", "q"])["bound"].transform("sum")
    flows["bound"] *= np.minimum(1.0, substitutes.max_absorb * flows["sub_units"] / inflow)
    margin = all_pairs["margin"].unstack("sku").reindex_like(units).to_numpy(dtype=float)
    candidate = (pd.Series(True, index=candidates.index).unstack("sku", fill_value=False)
                 .reindex(index=units.index, columns=units.columns, fill_value=False).to_numpy(dtype=bool))
    flows["margin"] = margin[s, q]
    flows = flows[(flows["margin"] > 0) & candidate[s, q] & (flows["bound"] > 1e-9)]
    return pd.DataFrame({
        STORE_ID: store_ids[flows["s"]], "sku": skus[flows["p"]], "substitute": skus[flows["q"]],
        "bound": flows["bound"].to_numpy(), "margin": flows["margin"].to_numpy(),
    })[FLOW_COLUMNS]


def name_tokens(ids: list[str]) -> dict[str, str]:
    """A unique name-safe token per id: letters, digits and `_` only (PuLP rewrites other characters)."""
    tokens: dict[str, str] = {}
    used: set[str] = set()
    for value in dict.fromkeys(ids):
        token = re.sub(r"[^A-Za-z0-9_]", "_", str(value)) or "x"
        candidate, n = token, 1
        while candidate in used:
            n += 1
            candidate = f"{token}_{n}"
        tokens[value] = candidate
        used.add(candidate)
    return tokens
