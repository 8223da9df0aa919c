"""Local profile page: where the store's customers buy more or less than the chain's."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from planner.ui.data import PublishedPlan, store_rows


def render(published: PublishedPlan, store_id: str) -> None:
    """Bar charts of the store's indices per category and per product attribute."""
    name = published.summary["stores"][store_id]["name"]
    st.header(f"{name} ({store_id}): customers against the chain")
    st.caption(
        "Index 1.0 = sells like the chain average, scaled to this store's size. "
        "Indices are shrunk toward 1.0 where the store has sold little, so one lucky week does not count."
    )
    indices = store_rows(published.local_index, store_id)
    indices = indices[indices["expected_units"] > 0]
    for dimension, rows in indices.groupby("dimension", sort=False):
        st.subheader(f"By {dimension.replace('_', ' ')}")
        st.altair_chart(index_chart(rows), width="stretch")
    plan = store_rows(published.plan, store_id)
    st.subheader("Planned products that sell most above the chain rate here")
    top = plan.sort_values("local_index", ascending=False).head(15)
    st.dataframe(top[["sku", "name", "category", "role", "local_index", "expected_units_per_week"]], hide_index=True, width="stretch")


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
    render(st.session_state["published"], st.session_state["store_id"])
