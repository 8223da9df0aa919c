"""My plan: core and add-ons with reasons, shelf and budget gauges, this week's changes, downloads."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from planner.db.requests import AccessDenied
from planner.outputs.excel import tables_workbook
from planner.outputs.files import csv_safe
from planner.ui.data import StoreView, store_view
from planner.ui.header import CHANGE, ROLE, WRAP_ROW_HEIGHT, money, page_header
from planner.ui.session import AppContext, context
from planner.ui.text import plain

PLAN_VIEW = {  # the downloads: every figure of a plan line
    "role": "Role", "sku": "SKU", "name": "Product", "category": "Category",
    "expected_units_per_week": "Units / week", "expected_profit_per_week": "Profit / week (EUR)",
    "shelf_space": "Shelf units", "inventory_cost": "Inventory (EUR)", "local_index": "Local index", "reason": "Why",
}
CHANGE_VIEW = {"change": "Change", "sku": "SKU", "name": "Product", "category": "Category", "shelf_space": "Shelf units",
               "expected_units_per_week": "Units / week", "case_pack": "Case pack", "first_order_units": "First order (units)",
               "expected_profit_per_week": "Profit / week (EUR)", "profit_impact_per_week": "Impact / week (EUR)", "reason": "Why"}
IMPACT = ("Impact / week: what the change adds to (+) or takes from (-) the store's expected profit a week; a drop counts "
          "what the product made, less the margin its buyers bring to substitutes the store still carries. First order: "
          "units of the first delivery of an add, in whole cases, filling the shelf to its stock level.")
# on screen: what fits 1,400 px next to the sidebar; each reason names the units / week and the
# local index, and the category is a filter (the downloads have every column)
PLAN_SCREEN = {
    "Role": st.column_config.TextColumn(width=62), "SKU": st.column_config.TextColumn(width=60),
    "Product": st.column_config.TextColumn(width=150),
    "Profit / week": money(width=94, help="expected profit per week, after waste and handling"),
    "Shelf": st.column_config.NumberColumn(width=68, format="%g", help="shelf units it takes"),
    "Inventory": money(width=94, help="stock held for it, EUR"),
    "Why": st.column_config.TextColumn(width="large", help="double-click a reason to read it whole"),
}
CHANGE_SCREEN = {
    "Change": st.column_config.TextColumn(width=56), "SKU": st.column_config.TextColumn(width=58),
    "Product": st.column_config.TextColumn(width=140), "Category": st.column_config.TextColumn(width=88),
    "Shelf": st.column_config.NumberColumn(width=48, format="%g", help="shelf units it takes or frees"),
    "Units / wk": st.column_config.NumberColumn(width=72, format="%.1f", help="expected units a week (a drop: what it sold)"),
    "Case": st.column_config.NumberColumn(width=46, format="%d", help="units per delivered case"),
    "First order": st.column_config.TextColumn(width=78, help="units of an add's first delivery, whole cases (a drop orders nothing)"),
    "Impact / week": money(width=92, help="what the change adds to (+) or takes from (-) the store's profit per week"),
    "Why": st.column_config.TextColumn(width=236, help="double-click a reason to read it whole"),  # the table fits 1,400 px
}
ALL_CATEGORIES = "All categories"
LATER_SCREEN = {"Week": st.column_config.NumberColumn(width=56, format="%d")} | {
    label: config for label, config in CHANGE_SCREEN.items() if label != "Category"}
SCREEN_NAMES = {"expected_profit_per_week": "Profit / week", "inventory_cost": "Inventory", "shelf_space": "Shelf",
                "profit_impact_per_week": "Impact / week", "expected_units_per_week": "Units / wk", "case_pack": "Case",
                "first_order_units": "First order"}


def render(ctx: AppContext) -> None:
    """Draw the plan of the chosen store."""
    try:
        view = store_view(ctx.published, ctx.who, ctx.store_id)
    except AccessDenied as exc:
        st.error(plain(exc))
        return
    figures = view.figures
    page_header(f"{plain(figures['name'])} ({plain(view.store_id)}): this week's plan", ctx.published.summary)
    profit, today = figures["expected_profit_per_week"], figures["current_assortment_profit_per_week"]
    cols = st.columns(4)
    cols[0].metric("Expected profit / week", f"EUR {profit:,.0f}", delta=f"{profit - today:+,.0f} vs today")
    cols[1].metric("Core items", figures["core_items"])
    cols[2].metric("Add-ons", figures["addon_items"])
    weeks = int(figures.get("weeks_to_target", 1) or 1)
    cols[3].metric("Changes this week", f"+{figures.get('adds_this_week', figures['adds'])} / -{figures.get('drops_this_week', figures['drops'])}",
                   help=f"+{figures['adds']} / -{figures['drops']} in all, over {weeks} week{'s' if weeks != 1 else ''}")
    shelf_share = figures["shelf_used"] / figures["shelf_capacity"]
    budget_share = figures["budget_used"] / figures["inventory_budget"]
    st.progress(min(shelf_share, 1.0), text=f"Shelf: {figures['shelf_used']:,.0f} of {figures['shelf_capacity']:,.0f} shelf units ({shelf_share:.0%})")
    st.progress(min(budget_share, 1.0), text=f"Inventory: EUR {figures['budget_used']:,.0f} of EUR {figures['inventory_budget']:,.0f} ({budget_share:.0%})")

    changes = view.changes.assign(change=view.changes["change"].map(CHANGE).fillna(view.changes["change"]))
    if "first_order_units" in changes:  # blank for a drop, not "None"
        changes["first_order_units"] = [f"{int(n)}" if pd.notna(n) else "" for n in changes["first_order_units"]]
    paced = "week" in changes  # a plan in steps: week 1 is this week's, the later weeks an outlook
    this_week = changes[changes["week"] == 1] if paced else changes
    st.subheader("Changes to make this week")
    st.caption(IMPACT)
    if this_week.empty:
        st.info("No changes this week: the current assortment stays as it is." if changes.empty else
                "No changes this week; the plan's changes start later (below).")
    else:
        st.dataframe(this_week[_present(this_week, CHANGE_VIEW)].rename(columns=CHANGE_VIEW | SCREEN_NAMES),
                     hide_index=True, width="stretch", row_height=WRAP_ROW_HEIGHT, column_order=list(CHANGE_SCREEN),
                     column_config=CHANGE_SCREEN)
    later = changes[changes["week"] > 1] if paced else changes.iloc[:0]
    if not later.empty:
        with st.expander(f"The following weeks: {len(later)} more changes until week {int(later['week'].max())}"):
            st.caption("An outlook: each week's run plans its step again from the new sales.")
            st.dataframe(later[["week", *_present(later, CHANGE_VIEW)]].rename(columns={"week": "Week"} | CHANGE_VIEW | SCREEN_NAMES),
                         hide_index=True, width="stretch", row_height=WRAP_ROW_HEIGHT, column_order=list(LATER_SCREEN),
                         column_config=LATER_SCREEN)

    st.subheader("The assortment" if weeks <= 1 else f"The assortment the plan reaches in {weeks} weeks")
    left, right = st.columns([2, 1])
    role = left.segmented_control("Show", ["All", "Core", "Add-ons"], default="All", key="plan_role_filter")
    category = right.selectbox("Category", [ALL_CATEGORIES, *sorted(view.plan["category"].unique())], key="plan_category_filter")
    shown = view.plan if role in (None, "All") else view.plan[view.plan["role"] == ("core" if role == "Core" else "addon")]
    if category != ALL_CATEGORIES:
        shown = shown[shown["category"] == category]
    shown = shown.assign(role=shown["role"].map(ROLE).fillna(shown["role"]))
    st.dataframe(shown[list(PLAN_VIEW)].rename(columns=PLAN_VIEW | SCREEN_NAMES), hide_index=True, width="stretch", height=600,
                 row_height=WRAP_ROW_HEIGHT, column_order=list(PLAN_SCREEN), column_config=PLAN_SCREEN)
    st.caption("Double-click a reason to read it whole. Units / week and the local index are in the downloads and on the Why page.")
    _downloads(view, figures, ctx)


def _downloads(view: StoreView, figures: dict, ctx: AppContext) -> None:
    """The plan and the change list, each as Excel and CSV; head office's buttons name the store."""
    changes = view.changes[_present(view.changes, {"week": "Week"} | CHANGE_VIEW)]
    workbook = tables_workbook({
        "Plan": (f"{figures['name']} ({view.store_id}): every carried product", _labelled(view.plan)[list(PLAN_VIEW)]),
        "Changes": (f"{figures['name']} ({view.store_id}): adds and drops, week 1 = this week", _labelled(changes)),
    })
    changes_book = tables_workbook({"Changes": (f"{figures['name']} ({view.store_id}): adds and drops, week 1 = this week",
                                                _labelled(changes))})
    whose = "my" if not ctx.who.is_head_office else f"{plain(view.store_id)}'s"
    excel = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    left, right = st.columns(2)
    left.download_button(f"Download {whose} plan (Excel)", workbook, file_name=f"plan_{view.store_id}.xlsx", mime=excel)
    right.download_button(f"Download {whose} plan (CSV)", csv_safe(view.plan).to_csv(index=False).encode("utf-8"),
                          file_name=f"plan_{view.store_id}.csv", mime="text/csv")
    left.download_button(f"Download {whose} changes (Excel)", changes_book, file_name=f"changes_{view.store_id}.xlsx", mime=excel)
    right.download_button(f"Download {whose} changes (CSV)", csv_safe(changes).to_csv(index=False).encode("utf-8"),
                          file_name=f"changes_{view.store_id}.csv", mime="text/csv")


def _present(frame: pd.DataFrame, columns: dict[str, str]) -> list[str]:
    """The columns a published plan has (one published by an earlier version may lack the newer ones)."""
    return [column for column in columns if column in frame]


def _labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """The plan or changes with the role and change codes as words (the workbook is read by people)."""
    labels = {column: mapping for column, mapping in (("role", ROLE), ("change", CHANGE)) if column in frame}
    return frame.assign(**{column: frame[column].map(mapping).fillna(frame[column]) for column, mapping in labels.items()})


if __name__ == "__main__":  # run as a page by st.navigation in app.py
    render(context())
