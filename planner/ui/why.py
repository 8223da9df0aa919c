"""Why / why not: any product in this store: its local demand, profit per shelf unit, waste risk,
the substitutes carried, and what adding or dropping it would cost (a real re-plan of the store)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from planner.db.requests import AccessDenied
from planner.errors import PlannerError
from planner.ui.data import load_basis, store_view, store_what_if, substitutes_of
from planner.ui.session import AppContext, context
from planner.ui.text import plain


def render(ctx: AppContext) -> None:
    """Pick a product, see the case for and against it."""
    try:
        view = store_view(ctx.published, ctx.who, ctx.store_id)
    except AccessDenied as exc:
        st.error(plain(exc))
        return
    st.header(f"{plain(view.figures['name'])} ({plain(view.store_id)}): why, or why not?")
    profiles = view.profiles.sort_values(["category", "name"])
    carried = dict(zip(view.plan["sku"], view.plan["role"], strict=True))
    labels = {row.sku: f"{row.name} ({row.sku}, {row.category}) - {_status(carried.get(row.sku))}" for row in profiles.itertuples()}
    sku = st.selectbox("Product", list(labels), format_func=labels.get, index=None, placeholder="Type to search a product",
                       key="why_sku")
    if sku is None:
        st.info("Pick any product of the chain: carried here or not.")
        return
    product = profiles.set_index("sku").loc[sku]
    role = carried.get(sku)
    st.subheader(f"{plain(product['name'])}: {_status(role)}")
    reason = view.plan.set_index("sku")["reason"].get(sku) if role else None
    dropped = view.changes[(view.changes["sku"] == sku) & (view.changes["change"] == "drop")]
    if reason:
        st.success(plain(reason))
    elif not dropped.empty:
        st.warning(f"Dropped this week: {plain(dropped['reason'].iloc[0])}")
    basis = load_basis(ctx.plan_dir, ctx.version)
    space = float(basis.inputs.all_pairs.at[(view.store_id, sku), "shelf_space"])
    units, profit = float(product["units_per_week"]), float(product["profit_per_week"])
    moved_in = ""
    if role:  # the plan line: with what it takes over from dropped substitutes, as in the reason
        line = view.plan.set_index("sku").loc[sku]
        units, profit = float(line["expected_units_per_week"]), float(line["expected_profit_per_week"])
        if line["transfer_units_per_week"] > 0.05:
            moved_in = f"; includes {line['transfer_units_per_week']:.1f} units from buyers of dropped substitutes"
    cols = st.columns(4)
    cols[0].metric("Demand here / week", f"{units:.1f} units", help=f"estimated from {product['source']}{moved_in}")
    cols[1].metric("Index against the chain", f"{product['local_index']:.2f}")
    cols[2].metric("Profit / week", f"EUR {profit:,.2f}", help="after waste and handling")
    cols[3].metric("Waste / week", f"{product['waste_units_per_week']:.1f} units", help=f"EUR {product['waste_cost_per_week']:,.2f} per week")
    st.write(f"Profit per shelf unit: **EUR {profit / space:,.2f}** per week ({space:g} shelf unit{'s' if space != 1 else ''}); "
             f"trend {product['trend_pct_per_week']:+.1f} % per week; sold in {int(product['weeks_observed'])} of the last weeks here.")
    st.write(f"Demand pattern: **{product['demand_class']}**, forecast by {product['forecast_method']}. "
             f"The shelf is filled up to {product['order_up_to']:.0f} units every {product['cycle_days']:g} days; "
             f"about {product['lost_units_per_week']:.1f} units a week of demand find it sold out.")
    substitutes = substitutes_of(basis, ctx.who, view.store_id, sku)
    if substitutes.empty:
        st.write("No close substitutes: its buyers would not find a stand-in on this shelf.")
    else:
        names = profiles.set_index("sku")["name"]
        table = pd.DataFrame({
            "Substitute": substitutes["substitute"].map(names).fillna(substitutes["substitute"]),
            "Carried here": substitutes["substitute"].map(lambda s: "yes" if s in carried else "no"),
            "Units / week that would move": substitutes["units_per_week"].round(1),
        })
        st.write("If it leaves the shelf, part of its buyers switch to:")
        st.dataframe(table, hide_index=True)
        transfer = view.substitution
        if "transfer_rate_interval_90" in transfer:
            low, high = transfer["transfer_rate_interval_90"]
            st.caption(f"Share of a dropped product's buyers who switch: {transfer['transfer_rate']:.0%} "
                       f"(90 % interval {low:.0%} to {high:.0%}; {transfer['source'].split(';')[0]}).")
    action = "dropping" if role else "adding"
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


def _status(role: str | None) -> str:
    return {"core": "core (every store)", "addon": "add-on here", None: "not carried here"}[role]


if __name__ == "__main__":  # run as a page by st.navigation in app.py
    render(context())
