"""What-if: change the store's shelf capacity or budget, force products in or out, and re-plan the
store with the core and the other stores fixed; the result stands next to the current plan."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from planner.db.requests import AccessDenied
from planner.errors import PlannerError
from planner.optimize import StoreWhatIf, WhatIfBasis
from planner.ui.data import StoreView, load_basis, store_view, store_what_if
from planner.ui.header import ROLE, money, page_header
from planner.ui.session import AppContext, context
from planner.ui.text import plain


def render(ctx: AppContext) -> None:
    """The what-if form and, once run, the comparison."""
    try:
        view = store_view(ctx.published, ctx.who, ctx.store_id)
    except AccessDenied as exc:
        st.error(plain(exc))
        return
    figures = view.figures
    page_header(f"{plain(figures['name'])} ({plain(view.store_id)}): what if ...?", ctx.published.summary)
    st.caption("The store is re-planned with the chain's core and the other stores as planned.")
    names = view.profiles.set_index("sku")["name"]
    carried = set(view.plan.loc[view.plan["role"] == "addon", "sku"])

    def label(sku: str) -> str:
        return f"{names.get(sku, sku)} ({sku})"

    with st.form("what_if"):
        left, right = st.columns(2)
        shelf = left.number_input("Shelf capacity (shelf units)", min_value=1.0, value=float(figures["shelf_capacity"]), step=10.0)
        budget = right.number_input("Inventory budget (EUR)", min_value=1.0, value=float(figures["inventory_budget"]), step=500.0)
        force_in = left.multiselect("Force in", sorted(set(view.profiles["sku"]) - set(view.plan["sku"])), format_func=label)
        force_out = right.multiselect("Force out (add-ons)", sorted(carried), format_func=label)
        submitted = st.form_submit_button("Re-plan this store", type="primary")
    if not submitted:
        return
    try:
        basis = load_basis(ctx.plan_dir, ctx.version)
    except PlannerError as exc:  # a plan published by another version: one line, re-run the weekly plan
        st.error(plain(exc))
        return
    with st.spinner("Re-planning the store ..."):
        try:
            outcome = store_what_if(basis, ctx.who, view.store_id, shelf_capacity=shelf, inventory_budget=budget,
                                    force_in=force_in, force_out=force_out)
        except PlannerError as exc:
            st.error(plain(exc))
            return
    _show_comparison(view, basis, outcome, shelf, budget)
    _show_moved(outcome, names)


def _show_comparison(view: StoreView, basis: WhatIfBasis, outcome: StoreWhatIf, shelf: float, budget: float) -> None:
    """The current plan, the what-if and their difference: profit, products, shelf and inventory against the limits."""
    figures = view.figures
    after = outcome.plan[outcome.plan["change"] != "drop"]
    profit_now = float(figures["expected_profit_per_week"])  # the figure My plan shows; the re-plan moves it by profit_change
    pairs = basis.inputs.all_pairs.loc[view.store_id]
    comparison = pd.DataFrame({
        "Profit / week": [profit_now, profit_now + outcome.profit_change],
        "Products": [len(view.plan), len(after)],
        "Shelf units used": [view.plan["shelf_space"].sum(), pairs["shelf_space"].reindex(after["sku"]).sum()],
        "Shelf capacity": [figures["shelf_capacity"], shelf],
        "Inventory used": [view.plan["inventory_cost"].sum(), pairs["inventory_cost"].reindex(after["sku"]).sum()],
        "Inventory budget": [figures["inventory_budget"], budget],
    }, index=["Current plan", "What-if"])
    comparison.loc["Difference"] = comparison.loc["What-if"] - comparison.loc["Current plan"]
    st.metric("Profit / week", f"EUR {profit_now + outcome.profit_change:,.2f}", delta=f"{outcome.profit_change:+,.2f} EUR against the current plan")
    units = st.column_config.NumberColumn(format="%,.1f")
    st.dataframe(comparison, width="stretch", column_config={
        "_index": st.column_config.TextColumn("", width=110), "Profit / week": money(), "Products": st.column_config.NumberColumn(format="%,d"),
        "Shelf units used": units, "Shelf capacity": units, "Inventory used": money(), "Inventory budget": money()})


def _show_moved(outcome: StoreWhatIf, names: pd.Series) -> None:
    """The products the what-if adds and drops, side by side."""
    moved = outcome.plan[outcome.plan["change"] != "keep"].assign(name=lambda f: f["sku"].map(names))
    if moved.empty:
        st.info("The same products: the plan does not change.")
        return
    left, right = st.columns(2)
    for column, change, title in ((left, "add", "Added"), (right, "drop", "Dropped")):
        rows = moved.loc[moved["change"] == change, ["sku", "name", "role"]]
        rows = rows.assign(role=rows["role"].map(ROLE).fillna(rows["role"])).rename(columns={"sku": "SKU", "name": "Product", "role": "Role"})
        column.subheader(f"{title} ({len(rows)})")
        column.dataframe(rows, hide_index=True, width="stretch", column_config={
            "SKU": st.column_config.TextColumn(width=70), "Product": st.column_config.TextColumn(width=240),
            "Role": st.column_config.TextColumn(width=70)})

if __name__ == "__main__":  # run as a page by st.navigation in app.py
    render(context())
