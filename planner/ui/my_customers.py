"""My customers: where the store's customers buy more or less than the chain's."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from planner.db.requests import AccessDenied
from planner.profiles import MIN_OWN_WEEKS
from planner.ui.data import store_view
from planner.ui.session import AppContext, context
from planner.ui.text import plain

TOP_PRODUCTS = 15


def render(ctx: AppContext) -> None:
    """Bar charts of the store's indices per category and per product attribute, and the products
    that sell most above and below the chain rate here."""
    try:
        view = store_view(ctx.published, ctx.who, ctx.store_id)
    except AccessDenied as exc:
        st.error(plain(exc))
        return
    st.header(f"{plain(view.figures['name'])} ({plain(view.store_id)}): customers against the chain")
    st.caption(
        "Index 1.0 = sells like the chain average, scaled to this store's size. "
        "Indices are shrunk toward 1.0 where the store has sold little, so one lucky week does not count."
    )
    indices = view.local_index[view.local_index["expected_units"] > 0]
    for dimension, rows in indices.groupby("dimension", sort=False):
        st.subheader(f"By {dimension.replace('_', ' ')}")
        st.altair_chart(index_chart(rows), width="stretch")
    sold = view.profiles[view.profiles["weeks_observed"] >= MIN_OWN_WEEKS]
    columns = {"sku": "SKU", "name": "Product", "category": "Category", "local_index": "Index", "units_per_week": "Units / week"}
    for title, ascending in (("Products that sell most above the chain rate here", False), ("... and most below it", True)):
        st.subheader(title)
        rows = sold.sort_values("local_index", ascending=ascending).head(TOP_PRODUCTS)
        st.dataframe(rows[list(columns)].rename(columns=columns), hide_index=True, width="stretch",
                     column_config={"Index": st.column_config.NumberColumn(format="%.2f"), "Units / week": st.column_config.NumberColumn(format="%.1f")})


def index_chart(rows: pd.DataFrame) -> alt.Chart:
    """Horizontal bars of index - 1 (over- vs under-indexing), sorted, with the 1.0 line."""
    data = rows.assign(direction=rows["index"].ge(1.0).map({True: "sells more here", False: "sells less here"}))
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("value:N", sort="-x", title=None, axis=alt.Axis(labelOverlap=False, labelLimit=220)),
            x=alt.X("index:Q", title="index against the chain", scale=alt.Scale(zero=True)),
            color=alt.Color("direction:N", scale=alt.Scale(domain=["sells more here", "sells less here"], range=["#2e7d32", "#c62828"]), title=None),
            tooltip=["value", alt.Tooltip("index:Q", format=".2f"), alt.Tooltip("observed_units:Q", format=",.0f", title="units sold")],
        )
    )
    rule = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(strokeDash=[4, 4]).encode(x="x:Q")
    return (bars + rule).properties(height=max(120, 28 * len(rows)))


if __name__ == "__main__":  # run as a page by st.navigation in app.py
    render(context())
