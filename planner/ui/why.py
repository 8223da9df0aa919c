"""Why / why not: any product in this store: its local demand, profit per shelf unit, waste risk,
the substitutes carried, and what adding or dropping it would cost (a real re-plan of the store)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from planner.db.requests import AccessDenied
from planner.errors import PlannerError
from planner.ui.data import load_basis, store_view, store_what_if, substitutes_of
from planner.ui.session import AppContext, context


def render(ctx: AppContext) -> None:
    """Pick a product, see the case for and against it."""
    try:
        view = store_view(ctx.published, ctx.who, ctx.store_id)
    except AccessDenied as exc:
        st.error(str(exc))
        return
    st.header(f"{view.figures['name']} ({view.store_id}): why, or why not?")
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
    st.subheader(f"{product['name']}: {_status(role)}")
    reason = view.plan.set_index("sku")["reason"].get(sku) if role else None
    dropped = view.changes[(view.changes["sku"] == sku) & (view.changes["change"] == "drop")]
    if reason:
        st.success(reason)
    elif not dropped.empty:
        st.warning(f"Dropped this week: {dropped['reason'].iloc[0]}")
    shelf = view.plan.set_index("sku")["shelf_space"].get(sku)
    cols = st.columns(4)
    cols[0].metric("Demand here / week", f"{product['units_per_week']:.1f} units", help=f"from {product['source']}")
    cols[1].metric("Index against the chain", f"{product['local_index']:.2f}")
    cols[2].metric("Profit / week", f"EUR {product['profit_per_week']:,.2f}")
    cols[3].metric("Waste / week", f"{product['waste_units_per_week']:.1f} units", help=f"EUR {product['waste_cost_per_week']:,.2f} per week")
    basis = load_basis(str(ctx.out_dir), ctx.version)
    space = shelf if shelf is not None else basis.inputs.all_pairs.at[(view.store_id, sku), "shelf_space"]
    st.write(f"Profit per shelf unit: **EUR {product['profit_per_week'] / space:,.2f}** per week ({space:g} shelf units); "
             f"trend {product['trend_pct_per_week']:+.1f} % per week; sold in {int(product['weeks_observed'])} of the last weeks here.")
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
    action = "dropping" if role else "adding"
    if role == "core":
        st.info("A core product: it stays in every store; head office decides on the core.")
    elif st.button(f"What would {action} it cost?", key="why_cost"):
        with st.spinner("Re-planning the store ..."):
            try:
                change = {"force_out": [sku]} if role else {"force_in": [sku]}
                outcome = store_what_if(basis, ctx.who, view.store_id, **change)
            except PlannerError as exc:
                st.error(str(exc))
                return
        st.metric(f"Profit / week after {action} it (store re-planned around it)", f"EUR {outcome.value.profit:,.2f}",
                  delta=f"{outcome.profit_change:+,.2f} EUR / week")
        moved = outcome.plan[outcome.plan["change"] != "keep"]
        if len(moved) > 1:
            st.caption("The re-plan also changes: " + ", ".join(f"{c} {s}" for c, s in zip(moved["change"], moved["sku"], strict=True) if s != sku))


def _status(role: str | None) -> str:
    return {"core": "core (every store)", "addon": "add-on here", None: "not carried here"}[role]


if __name__ == "__main__":  # run as a page by st.navigation in app.py
    render(context())
