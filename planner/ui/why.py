"""Why / why not: any product in this store: its local demand, profit per shelf unit, waste risk,
who buys it (the loyalty cards' segments and customers at risk), the substitutes carried, and what
adding or dropping it would cost (a real re-plan of the store)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from planner.db.requests import AccessDenied
from planner.errors import PlannerError
from planner.optimize import WhatIfBasis
from planner.ui.data import (
    StoreView,
    load_basis,
    store_view,
    store_what_if,
    substitutes_of,
)
from planner.ui.header import YES_NO, data_weeks, page_header
from planner.ui.session import AppContext, context
from planner.ui.text import plain

STAYS, ADDED = "carried, stays", "not carried today, added by the plan"
DROPPED, NOT_CARRIED = "carried today, dropped by the plan", "not carried here"


def render(ctx: AppContext) -> None:
    """Pick a product, see the case for and against it."""
    try:
        view = store_view(ctx.published, ctx.who, ctx.store_id)
    except AccessDenied as exc:
        st.error(plain(exc))
        return
    page_header(f"{plain(view.figures['name'])} ({plain(view.store_id)}): why, or why not?", ctx.published.summary)
    profiles = view.profiles.sort_values(["category", "name"])
    carried = dict(zip(view.plan["sku"], view.plan["role"], strict=True))
    statuses = plan_status(view)
    labels = {row.sku: f"{row.name} ({row.sku}, {row.category}) - {statuses.get(row.sku, NOT_CARRIED)}" for row in profiles.itertuples()}
    sku = st.selectbox("Product", list(labels), format_func=lambda sku: labels[sku], index=None, placeholder="Type to search a product",
                       key="why_sku")
    if sku is None:
        st.info("Pick any product of the chain: carried here or not.")
        return
    product = profiles.set_index("sku").loc[sku]
    role = carried.get(sku)
    status = statuses.get(sku, NOT_CARRIED)
    st.subheader(f"{plain(product['name'])}: {status}")
    _show_reason(view, sku, role)
    try:
        basis = load_basis(ctx.plan_dir, ctx.version)
    except PlannerError as exc:  # a plan published by another version: one line, re-run the weekly plan
        st.error(plain(exc))
        return
    _show_figures(ctx, view, basis, sku, product, role)
    if view.customers is not None:
        st.write(buyers_words(view.customers.product_buyers, sku, float(product.get("walk_away_cost_per_week", 0.0))))
    _show_substitutes(ctx, view, basis, sku, profiles, carried)
    _show_cost(ctx, view, basis, sku, profiles, role, status)


def _show_reason(view: StoreView, sku: str, role: str | None) -> None:
    """The plan's reason for carrying it, or when and why the plan drops it."""
    reason = view.plan.set_index("sku")["reason"].get(sku) if role else None
    dropped = view.changes[(view.changes["sku"] == sku) & (view.changes["change"] == "drop")]
    if reason:
        st.success(plain(reason))
    elif not dropped.empty:
        week = int(dropped["week"].iloc[0]) if "week" in dropped else 1
        when = "this week" if week == 1 else f"in week {week} of the plan's steps"
        st.warning(f"Dropped {when}: {plain(dropped['reason'].iloc[0])}")


def _show_figures(ctx: AppContext, view: StoreView, basis: WhatIfBasis, sku: str, product: pd.Series, role: str | None) -> None:
    """Its demand, index, profit and waste here, its profit per shelf unit and its demand pattern."""
    space = float(basis.inputs.all_pairs.at[(view.store_id, sku), "shelf_space"])
    units, profit = float(product["units_per_week"]), float(product["profit_per_week"])
    moved_in = ""
    if role:  # the plan line: with what it takes over from dropped substitutes, as in the reason
        line = view.plan.set_index("sku").loc[sku]
        units, profit = float(line["expected_units_per_week"]), float(line["expected_profit_per_week"])
        if line["transfer_units_per_week"] > 0.05:
            moved_in = f"; includes {line['transfer_units_per_week']:.1f} units from buyers of dropped substitutes"
    cols = st.columns(4)
    cols[0].metric("Demand here / week", f"{units:.1f} units", help=f"estimated from {plain(product['source'])}{moved_in}")
    cols[1].metric("Index against the chain", f"{product['local_index']:.2f}")
    cols[2].metric("Profit / week", f"EUR {profit:,.2f}", help="after waste and handling")
    cols[3].metric("Waste / week", f"{product['waste_units_per_week']:.1f} units", help=f"EUR {product['waste_cost_per_week']:,.2f} per week")
    st.write(f"Profit per shelf unit: **EUR {profit / space:,.2f}** per week ({space:g} shelf unit{'s' if space != 1 else ''}); "
             f"trend {product['trend_pct_per_week']:+.1f} % per week; {weeks_counted(product, ctx.published.summary, view.store_id)}.")
    st.write(f"Demand pattern: **{product['demand_class']}**, forecast by {product['forecast_method']}. "
             f"The shelf is filled up to {product['order_up_to']:.0f} units every {product['cycle_days']:g} days; "
             f"about {product['lost_units_per_week']:.1f} units a week of demand find it sold out.")


def _show_substitutes(ctx: AppContext, view: StoreView, basis: WhatIfBasis, sku: str, profiles: pd.DataFrame,
                      carried: dict[str, str]) -> None:
    """The products its buyers would switch to if it left the shelf, and the chain's share who switch."""
    substitutes = substitutes_of(basis, ctx.who, view.store_id, sku)
    if substitutes.empty:
        st.write("No close substitutes: its buyers would not find a stand-in on this shelf.")
        return
    names = profiles.set_index("sku")["name"]
    table = pd.DataFrame({
        "Substitute": substitutes["substitute"].map(names).fillna(substitutes["substitute"]),
        "In the plan": substitutes["substitute"].isin(carried).map(YES_NO),
        "Units / week that would move": substitutes["units_per_week"].round(1),
    })
    st.write("If it leaves the shelf, part of its buyers switch to:")
    st.dataframe(table, hide_index=True, column_config={"Substitute": st.column_config.TextColumn(width="large"),
                                                        "Units / week that would move": st.column_config.NumberColumn(format="%.1f")})
    transfer = view.substitution
    if "transfer_rate_interval_90" in transfer:
        low, high = transfer["transfer_rate_interval_90"]
        st.caption(f"Share of a dropped product's buyers who switch: {transfer['transfer_rate']:.0%} "
                   f"(90 % interval {low:.0%} to {high:.0%}; {transfer['source'].split(';')[0]}).")


def _show_cost(ctx: AppContext, view: StoreView, basis: WhatIfBasis, sku: str, profiles: pd.DataFrame, role: str | None,
               status: str) -> None:
    """Behind a button: the store re-planned with it dropped, kept or added, and what that costs."""
    action = "dropping" if role else "keeping" if status == DROPPED else "adding"
    if role == "core":
        st.info("A core product: it stays in every store; head office decides on the core.")
    elif st.button(f"What would {action} it cost?", key="why_cost"):
        with st.spinner("Re-planning the store ..."):
            try:
                change = {"force_out": [sku]} if role else {"force_in": [sku]}
                outcome = store_what_if(basis, ctx.who, view.store_id, **change)
            except PlannerError as exc:
                st.error(plain(exc))
                return
        after = view.figures["expected_profit_per_week"] + outcome.profit_change
        st.metric(f"Store profit / week after {action} it (the store re-planned around it)", f"EUR {after:,.2f}",
                  delta=f"{outcome.profit_change:+,.2f} EUR / week")
        names = profiles.set_index("sku")["name"]
        others = outcome.plan[(outcome.plan["change"] != "keep") & (outcome.plan["sku"] != sku)]
        if not others.empty:
            st.caption("The re-plan also " + "; ".join(f"{'adds' if c == 'add' else 'drops'} {plain(names.get(o, o))} ({plain(o)})"
                                                       for c, o in zip(others["change"], others["sku"], strict=True)))


def buyers_words(buyers: pd.DataFrame, sku: str, walk_away: float) -> str:
    """Who buys it here, from the loyalty cards, in words; figures only about 20 cardholders or more."""
    if sku not in buyers.index or pd.isna(buyers.at[sku, "buyers"]):
        return "Customers: fewer than 20 cardholders bought it here, too few to say who they are."
    row = buyers.loc[sku]
    words = f"Customers: bought here by {int(row['buyers'])} cardholders, {plain(row['segments'])}"
    if pd.isna(row["loyal_regulars"]):
        return words + "; fewer than 20 loyal cardholders buy it in most of their weeks here."
    words += f"; bought in most of their weeks by {int(row['loyal_regulars'])} loyal cardholders"
    if pd.isna(row["at_risk"]):
        return words + ", and fewer than 20 of them buy no alternative we carry."
    words += (f"; **{int(row['at_risk'])} of them buy no alternative we carry** (EUR {row['at_risk_basket_per_week']:,.0f} "
              f"a week of other shopping here; it is {row['product_share_of_basket']:.0%} of their basket).")
    if walk_away > 0:
        words += f" Dropping it risks EUR {walk_away:,.2f} a week of margin if some of them shop elsewhere: the plan counts that."
    return words


def plan_status(view: StoreView) -> dict[str, str]:
    """sku -> what the plan does with it here: carried and stays, added, or carried today and dropped
    (a product not in the result is not carried here, today or in the plan)."""
    where = {"core": "core, in every store", "addon": "add-on here"}
    status = {sku: (ADDED if change == "add" else STAYS) + f" ({where.get(role, role)})"
              for sku, role, change in zip(view.plan["sku"], view.plan["role"], view.plan["change"], strict=True)}
    dropped = view.changes.loc[view.changes["change"] == "drop", "sku"]
    return status | {sku: DROPPED for sku in dropped if sku not in status}


def weeks_counted(product: pd.Series, summary: dict, store_id: str) -> str:
    """How many of the history's weeks its demand here is measured on, and why the others are not:
    'demand counted in 24 of the last 26 weeks here, weeks without a sale included (2 promotion weeks
    left out)'. Counted: listed here (first to last sale, or to the end if carried today), the store
    traded, no listing gap, no promotion (profiles/demand.py)."""
    window = data_weeks(summary)
    counted = int(product["weeks_observed"])
    if counted == 0:
        history = f"the last {_count(window[2], 'week')}" if window else "the history"
        return f"no week of its own sales here in {history}: demand estimated from {plain(product['source'])}"
    promo, gaps = int(product["promo_weeks"]), int(product["gap_weeks"])
    closed = len(summary["data"].get("excluded_weeks", {}).get(store_id, []))
    since = int(product["weeks_since_first_sale"])
    notes = []
    if promo:
        notes.append(f"{_count(promo, 'promotion week')} left out")
    if gaps:
        notes.append(f"{_count(gaps, 'week')} of a listing gap left out")
    if closed:
        notes.append(f"{_count(closed, 'week')} the store did not trade")
    if window and 0 < since < window[2]:
        notes.append(f"first sold here {_count(since, 'week')} ago")
    weeks = f"{counted} of the last {window[2]} weeks" if window else _count(counted, "week")
    return f"demand counted in {weeks} here, weeks without a sale included" + (f" ({'; '.join(notes)})" if notes else "")


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


if __name__ == "__main__":  # run as a page by st.navigation in app.py
    render(context())
