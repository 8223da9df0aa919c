"""Store plan page: core and add-ons with reasons, shelf and budget use, this week's changes, download."""

from __future__ import annotations

import streamlit as st

from planner.ui.data import PublishedPlan, store_rows

PLAN_VIEW = {
    "role": "Role", "sku": "SKU", "name": "Product", "category": "Category",
    "expected_units_per_week": "Units / week", "expected_profit_per_week": "Profit / week (EUR)",
    "shelf_space": "Shelf units", "inventory_cost": "Inventory (EUR)", "local_index": "Local index", "reason": "Why",
}


def render(published: PublishedPlan, store_id: str) -> None:
    """Draw the plan of one store."""
    figures = published.summary["stores"][store_id]
    st.header(f"{figures['name']} ({store_id}): this week's plan")
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

    plan = store_rows(published.plan, store_id)
    role = st.segmented_control("Show", ["All", "Core", "Add-ons"], default="All", key="plan_role_filter")
    shown = plan if role in (None, "All") else plan[plan["role"] == ("core" if role == "Core" else "addon")]
    st.dataframe(
        shown[list(PLAN_VIEW)].rename(columns=PLAN_VIEW),
        hide_index=True,
        width="stretch",
        column_config={
            "Profit / week (EUR)": st.column_config.NumberColumn(format="%.2f"),
            "Units / week": st.column_config.NumberColumn(format="%.1f"),
            "Inventory (EUR)": st.column_config.NumberColumn(format="%.2f"),
            "Local index": st.column_config.NumberColumn(format="%.2f"),
            "Why": st.column_config.TextColumn(width="large"),
        },
    )
    st.subheader("Changes to make this week")
    changes = store_rows(published.changes, store_id)
    if changes.empty:
        st.info("No changes: the current assortment stays as it is.")
    else:
        st.dataframe(
            changes[["change", "sku", "name", "category", "expected_profit_per_week", "reason"]].rename(
                columns={"change": "Change", "sku": "SKU", "name": "Product", "category": "Category",
                         "expected_profit_per_week": "Profit / week (EUR)", "reason": "Why"}
            ),
            hide_index=True,
            width="stretch",
            column_config={"Profit / week (EUR)": st.column_config.NumberColumn(format="%.2f"), "Why": st.column_config.TextColumn(width="large")},
        )
    st.download_button(
        "Download this store's plan (CSV)",
        plan.to_csv(index=False).encode("utf-8"),
        file_name=f"plan_{store_id}.csv",
        mime="text/csv",
    )


if __name__ == "__main__":  # run as a page by st.navigation in app.py
    render(st.session_state["published"], st.session_state["store_id"])
