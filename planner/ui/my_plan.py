"""My plan: core and add-ons with reasons, shelf and budget gauges, this week's changes, downloads."""

from __future__ import annotations

import streamlit as st

from planner.db.requests import AccessDenied
from planner.outputs.excel import tables_workbook
from planner.outputs.files import csv_safe
from planner.ui.data import store_view
from planner.ui.session import AppContext, context
from planner.ui.text import plain

PLAN_VIEW = {
    "role": "Role", "sku": "SKU", "name": "Product", "category": "Category",
    "expected_units_per_week": "Units / week", "expected_profit_per_week": "Profit / week (EUR)",
    "shelf_space": "Shelf units", "inventory_cost": "Inventory (EUR)", "local_index": "Local index", "reason": "Why",
}
CHANGE_VIEW = {"change": "Change", "sku": "SKU", "name": "Product", "category": "Category",
               "expected_profit_per_week": "Profit / week (EUR)", "profit_impact_per_week": "Impact / week (EUR)", "reason": "Why"}
MONEY = st.column_config.NumberColumn(format="%.2f")


def render(ctx: AppContext) -> None:
    """Draw the plan of the chosen store."""
    try:
        view = store_view(ctx.published, ctx.who, ctx.store_id)
    except AccessDenied as exc:
        st.error(plain(exc))
        return
    figures = view.figures
    st.header(f"{plain(figures['name'])} ({plain(view.store_id)}): this week's plan")
    profit, today = figures["expected_profit_per_week"], figures["current_assortment_profit_per_week"]
    cols = st.columns(4)
    cols[0].metric("Expected profit / week", f"EUR {profit:,.0f}", delta=f"{profit - today:+,.0f} vs today")
    cols[1].metric("Core items", figures["core_items"])
    cols[2].metric("Add-ons", figures["addon_items"])
    cols[3].metric("Changes", f"+{figures['adds']} / -{figures['drops']}")
    shelf_share = figures["shelf_used"] / figures["shelf_capacity"]
    budget_share = figures["budget_used"] / figures["inventory_budget"]
    st.progress(min(shelf_share, 1.0), text=f"Shelf: {figures['shelf_used']:,.0f} of {figures['shelf_capacity']:,.0f} shelf units ({shelf_share:.0%})")
    st.progress(min(budget_share, 1.0), text=f"Inventory: EUR {figures['budget_used']:,.0f} of EUR {figures['inventory_budget']:,.0f} ({budget_share:.0%})")

    st.subheader("Changes to make this week")
    if view.changes.empty:
        st.info("No changes: the current assortment stays as it is.")
    else:
        st.dataframe(view.changes[list(CHANGE_VIEW)].rename(columns=CHANGE_VIEW), hide_index=True, width="stretch",
                     column_config={"Profit / week (EUR)": MONEY, "Impact / week (EUR)": MONEY, "Why": st.column_config.TextColumn(width="large")})

    st.subheader("The assortment")
    role = st.segmented_control("Show", ["All", "Core", "Add-ons"], default="All", key="plan_role_filter")
    shown = view.plan if role in (None, "All") else view.plan[view.plan["role"] == ("core" if role == "Core" else "addon")]
    st.dataframe(
        shown[list(PLAN_VIEW)].rename(columns=PLAN_VIEW), hide_index=True, width="stretch",
        column_config={"Profit / week (EUR)": MONEY, "Units / week": st.column_config.NumberColumn(format="%.1f"),
                       "Inventory (EUR)": MONEY, "Local index": st.column_config.NumberColumn(format="%.2f"),
                       "Why": st.column_config.TextColumn(width="large")},
    )
    left, right = st.columns(2)
    workbook = tables_workbook({
        "Plan": (f"{figures['name']} ({view.store_id}): every carried product", view.plan[list(PLAN_VIEW)]),
        "Changes": (f"{figures['name']} ({view.store_id}): adds and drops this week", view.changes[list(CHANGE_VIEW)]),
    })
    left.download_button("Download my plan (Excel)", workbook, file_name=f"plan_{view.store_id}.xlsx",
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    right.download_button("Download my plan (CSV)", csv_safe(view.plan).to_csv(index=False).encode("utf-8"),
                          file_name=f"plan_{view.store_id}.csv", mime="text/csv")


if __name__ == "__main__":  # run as a page by st.navigation in app.py
    render(context())
