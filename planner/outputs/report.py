"""Report shaping: the change list for the shelf, the workbook's tables and lines, the run's step
report. Tables and summary in, tables and text out; no files."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from planner.inputs import ChainData
from planner.optimize import PlanResult
from planner.optimize.plan import moved_demand
from planner.outputs.explain import change_reasons
from planner.profiles import MIN_OWN_WEEKS, Profiles
from planner.schemas import KEY, STORE_ID, Change, Role

PROFILE_PRODUCTS = 10  # per store and direction: the products the workbook's Local profile lists


def step_report(summary: dict[str, Any]) -> str:
    """One line on this week's step toward the target, per store."""
    transition = summary["transition"]
    stores = "; ".join(f"{sid} +{s['adds_this_week']}/-{s['drops_this_week']}" + (f" (week 1 of {s['weeks_to_target']})" if s["weeks_to_target"] > 1 else "")
                       for sid, s in summary["stores"].items())
    limit = transition["max_changes_per_store_per_week"]
    return (f"this week's step, {summary['planned_week']['week']} (at most {limit} changes per store): " if limit else "this week: all changes: ") + stores



def change_table(result: PlanResult, profiles: Profiles, chain: ChainData) -> pd.DataFrame:
    """The change list for the shelf, week by week (1 = this week): per store in aisle order (the
    optional products.csv columns `location` or `aisle`), then category and subcategory; each line
    with what a person needs to act on it (shelf units, units a week, case pack, first order) and why."""
    product = chain.products.set_index("sku")
    names = product["name"]
    table = result.changes.merge(profiles.pairs, on=KEY, how="left", validate="one_to_one")
    keys = pd.MultiIndex.from_frame(table[KEY])
    added = (table["change"] == Change.ADD).to_numpy()
    planned = result.plan.set_index(KEY)
    moved = moved_demand(result.plan, result.inputs).set_index(KEY)
    table["name"] = table["sku"].map(names)
    table["role"] = planned["role"].reindex(keys).fillna("").to_numpy()
    table["moved_units"] = moved["units"].astype(float).reindex(keys).fillna(0.0).to_numpy()
    table["substitute_names"] = [", ".join(names.get(s, s) for s in subs[:3]) if isinstance(subs, list) else ""
                                 for subs in moved["substitutes"].reindex(keys)]
    table["reason"] = change_reasons(table)
    table["shelf_space"] = table["sku"].map(product["shelf_space"]).astype(float)
    table["case_pack"] = table["sku"].map(product["case_pack"]).astype(int)
    cases = np.maximum(1.0, np.ceil(table["order_up_to"].to_numpy(dtype=float) / table["case_pack"] - 1e-9))
    first_order = pd.Series(cases * table["case_pack"], index=table.index).astype("Int64")  # fills the shelf to its order-up-to level
    table["first_order_units"] = first_order.where(added, pd.NA)  # a drop orders nothing
    table["expected_units_per_week"] = np.where(added, planned["expected_units_per_week"].reindex(keys), table["units_per_week"])
    own = result.inputs.all_pairs["profit"].reindex(keys).to_numpy()
    table["expected_profit_per_week"] = np.where(added, planned["expected_profit_per_week"].reindex(keys), own)  # a drop: what it earned
    aisle = [c for c in ("location", "aisle") if c in product.columns]
    shelf_order = [*aisle, "category", *(["subcategory"] if "subcategory" in product.columns else [])]
    for column in shelf_order:
        table[column] = table["sku"].map(product[column]).fillna("").astype(str)
    order = {sid: i for i, sid in enumerate(chain.stores[STORE_ID])}
    table = table.assign(_store=table[STORE_ID].map(order)).sort_values(["_store", "week", *shelf_order, "change", "sku"], kind="stable")
    return table[[STORE_ID, "week", *shelf_order, "sku", "name", "change", "shelf_space", "expected_units_per_week", "case_pack",
                  "first_order_units", "expected_profit_per_week", "profit_impact_per_week", "forced", "reason"]].reset_index(drop=True)



def workbook_sheets(result: PlanResult, changes: pd.DataFrame, profiles: Profiles, summary: dict[str, Any], chain: ChainData,
                    customers: pd.DataFrame | None = None) -> dict[str, Any]:
    """The tables of plan.xlsx, in the column vocabulary of outputs.excel.COLUMNS; `customers`: the
    store segments table (outputs.customers.store_segments), when the chain has card data."""
    stores = result.stores.assign(shelf_use=result.stores["shelf_use_pct"] / 100, budget_use=result.stores["budget_use_pct"] / 100)
    for name in BASELINE_NAMES:
        stores[f"uplift_{name}"] = stores[STORE_ID].map(result.store_uplift(name)).to_numpy()
    for column in ("adds_this_week", "drops_this_week", "weeks_to_target", "binding_limit"):
        stores[column] = stores[STORE_ID].map({sid: figures[column] for sid, figures in summary["stores"].items()}).to_numpy()
    stores = stores[[STORE_ID, "name", "expected_sales_per_week", "expected_profit_per_week", "waste_cost_per_week",
                     "shelf_use", "budget_use", "core_items", "addon_items", "adds_this_week", "drops_this_week", "weeks_to_target",
                     *[f"uplift_{name}" for name in BASELINE_NAMES], "binding_limit", "shelf_value", "budget_value"]]
    plan = result.plan
    core = (
        plan[plan["role"] == Role.CORE]
        .groupby(["sku", "name", "category"], as_index=False)
        .agg(stores=(STORE_ID, "nunique"), chain_units_per_week=("expected_units_per_week", "sum"),
             chain_profit_per_week=("expected_profit_per_week", "sum"), waste_cost_per_week=("waste_cost_per_week", "sum"))
        .sort_values("chain_profit_per_week", ascending=False)
    )
    plan_columns = [*KEY, "name", "category", "role", "change", "expected_units_per_week", "expected_profit_per_week",
                    "shelf_space", "inventory_cost", "local_index", "waste_cost_per_week", "reason"]
    solve = result.solve
    run = [
        ("Planned week", planned_week_label(summary)),
        ("Data period (weeks starting)", " to ".join(summary["data"]["history_weeks"])),
        ("Last POS day", summary["data"]["last_pos_day"]),
        ("Stores / products", f"{len(chain.stores)} / {len(chain.products)}"),
        ("POS files read", len(chain.pos_report.files)),
        ("POS lines", chain.pos_report.counts.lines),
        ("Solver", solve.solver), ("Solved", str(result.model_size["method"])), ("Status", str(solve.status)),
        ("Objective (EUR / week)", round(solve.objective or 0.0, 2)),
        ("Recomputed from plan (EUR / week)", round(result.recomputed_objective, 2)),
        ("MIP gap", f"{100 * (solve.mip_gap or 0):.4f} %"), ("Solve seconds", round(solve.seconds, 2)),
        *quality_rows(summary["quality"]),
        *[(f"Time: {k} (s)", v) for k, v in summary["timings_seconds"].items()],
        *[("note", n) for n in result.notes],
        *[("warning", w) for w in [summary["data"]["stale_warning"], *chain.warnings] if w],
        *[(f"file: {info.file}", f"{info.lines} lines, {info.first_date} to {info.last_date} {info.skipped_reason}".strip())
          for info in chain.pos_report.files],
        *[(f"[{section}] {key}", str(value)) for section, values in summary["config"].items() for key, value in values.items()],
    ]
    stale = [f"Warning: {summary['data']['stale_warning']}."] if summary["data"]["stale_warning"] else []
    return {
        "title": f"Assortment plan for {planned_week_label(summary)}, from POS data up to {summary['data']['last_pos_day']}",
        "stores": stores, "chain": chain_figures(summary["quality"]),
        "notes": [*stale, *headline(summary["quality"]), *transition_notes(summary), *result.notes], "core": core,
        "plan": plan[plan_columns].assign(role=plan["role"].map(ROLE_WORDS).fillna(plan["role"])),  # words for people; plan.csv keeps the codes
        "changes": changes, "profile": profile_table(profiles, chain), "run": run,
        **({"customers": customers} if customers is not None else {}),
    }



def chain_figures(quality: dict[str, Any]) -> dict[str, float]:
    """The Summary's Chain row where it is not the sum of the stores: the chain's expected profit and
    uplifts after the chain listing cost, the figures of summary.json and the command line."""
    return {"expected_profit_per_week": quality["expected_profit_per_week"],
            **{f"uplift_{name}": quality["uplift_per_week"][name] for name in BASELINE_NAMES}}



def planned_week_label(summary: dict[str, Any]) -> str:
    """'2026-W49 (30 Nov - 6 Dec 2026)'."""
    week = summary["planned_week"]
    first, last = (date.fromisoformat(week[k]) for k in ("first_day", "last_day"))
    return f"{week['week']} ({first:%-d %b} - {last:%-d %b %Y})"



def transition_notes(summary: dict[str, Any]) -> list[str]:
    """The Summary sheet's lines on the paced transition and on the value of the limits."""
    limit = summary["transition"]["max_changes_per_store_per_week"]
    lines = [f"This week's step: at most {limit} adds plus drops per store (the Changes sheet lists them by week; "
             "week 1 is this week); 'Weeks to target' is how many such weeks remain." if limit else
             "Every change is planned for this week (no weekly limit is set)."]
    lines += [f"{sid} needs {s['adds_this_week'] + s['drops_this_week'] - limit} changes more than {limit} this week to come within its limits."
              for sid, s in summary["stores"].items() if limit and s["adds_this_week"] + s["drops_this_week"] > limit]
    lines.append("EUR / week per extra shelf unit (or EUR of budget): what the store's plan would earn a week with one more; "
                 "0 where that limit is not the binding one ('Binding limit' names it).")
    return lines



def profile_table(profiles: Profiles, chain: ChainData) -> pd.DataFrame:
    """Per store: every category and attribute index, and the products sold there (at least
    MIN_OWN_WEEKS weeks) that most over- and under-index against the chain."""
    indices = profiles.indices[profiles.indices["expected_units"] > 0][[STORE_ID, "dimension", "value", "index"]]
    sold = profiles.pairs[profiles.pairs["weeks_observed"] >= MIN_OWN_WEEKS].sort_values([STORE_ID, "local_index", "sku"])
    by_store = sold.groupby(STORE_ID, sort=False)
    extremes = pd.concat([by_store.head(PROFILE_PRODUCTS), by_store.tail(PROFILE_PRODUCTS)]).drop_duplicates(KEY)
    names = chain.products.set_index("sku")["name"]
    products = pd.DataFrame({
        STORE_ID: extremes[STORE_ID], "dimension": "product",
        "value": extremes["sku"] + " " + extremes["sku"].map(names).fillna(""), "index": extremes["local_index"],
    })
    table = pd.concat([indices.assign(value=indices["value"].astype(str)), products], ignore_index=True)
    return table.sort_values([STORE_ID, "dimension", "index"], ascending=[True, True, False], kind="stable").reset_index(drop=True)



ROLE_WORDS = {"core": "core", "addon": "add-on"}


BASELINE_NAMES = {"current": "today's assortment (trimmed to fit where it breaks a store's limits)",
                  "uniform": "one chain-wide ranking, each store down to what fits",
                  "greedy": "a greedy ranking per store by profit per shelf unit"}



def headline(quality: dict[str, Any]) -> list[str]:
    """The plan against each baseline, one sentence each, for the Summary sheet."""
    lines = []
    for name, label in BASELINE_NAMES.items():
        uplift, pct = quality["uplift_per_week"][name], quality["uplift_pct"][name]
        share = f" ({pct:+.1f} %)" if pct is not None else ""
        lines.append(f"Against {label}: EUR {uplift:+,.2f} per week{share}")
    if quality["listing_cost_per_week"]:
        lines.append(f"The Chain row's profit and uplifts are the chain's: after the chain listing cost (EUR "
                     f"{quality['listing_cost_per_week']:,.2f} a week for this plan), which the store rows leave out.")
    return lines



def quality_rows(quality: dict[str, Any]) -> list[tuple[str, Any]]:
    """Run-sheet rows: the plan's profit split and every baseline, EUR / week."""
    rows = [
        ("Expected profit (EUR / week)", quality["expected_profit_per_week"]),
        ("  of which from substitutes of dropped products", quality["substitution_profit_per_week"]),
        ("  chain listing cost", quality["listing_cost_per_week"]),
        ("Change penalty in the objective (EUR / week)", quality["change_penalty_per_week"]),
        ("Adds / drops", f"{quality['adds']} / {quality['drops']}"),
    ]
    for name, label in BASELINE_NAMES.items():
        rows.append((f"Baseline: {label} (EUR / week)", quality["baseline_profit_per_week"][name]))
        rows.append((f"Uplift against {label} (EUR / week)", quality["uplift_per_week"][name]))
    for store, over in quality["current_over_limits"].items():
        rows.append((f"Today's assortment of {store} breaks its limits",
                     (f"shelf {over['shelf_used']:,.0f} of {over['shelf_capacity']:,.0f}, budget EUR {over['budget_used']:,.0f} of "
                      f"{over['inventory_budget']:,.0f}; valued as its best trim, {over['kept_in_trim']} of {over['products']} products")))
    return rows
