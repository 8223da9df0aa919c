"""My customers: who shops here (customer segments from loyalty cards, when the tills give them), and
where the store's customers buy more or less than the chain's."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from planner.customers.segments import MIN_GROUP
from planner.db.requests import AccessDenied
from planner.profiles import MIN_OWN_WEEKS
from planner.ui.data import StoreCustomers, store_view
from planner.ui.header import YES_NO, page_header
from planner.ui.session import AppContext, context
from planner.ui.text import plain

TOP_PRODUCTS = 15
BAR_HEIGHT = 28  # px per bar, however few bars a chart has
AXIS_HEIGHT = 80  # px: Streamlit fits the whole chart, x axis and its title included, into the height
TRUE_WORDS, FALSE_WORDS = {"1", "true", "yes"}, {"0", "false", "no"}


def render(ctx: AppContext) -> None:
    """Bar charts of the store's indices per category and per product attribute, and the products
    that sell most above and below the chain rate here."""
    try:
        view = store_view(ctx.published, ctx.who, ctx.store_id)
    except AccessDenied as exc:
        st.error(plain(exc))
        return
    page_header(f"{plain(view.figures['name'])} ({plain(view.store_id)}): customers against the chain", ctx.published.summary)
    if view.customers is not None:
        segments_section(view.customers)
        st.subheader("What sells more or less here than in the chain")
    st.caption(
        "Index 1.0 = sells like the chain average, scaled to this store's size. "
        "Indices are shrunk toward 1.0 where the store has sold little, so one lucky week does not count."
    )
    indices = view.local_index[view.local_index["expected_units"] > 0]
    for dimension, rows in indices.groupby("dimension", sort=False):
        title, values = dimension_labels(dimension, rows["value"])
        st.subheader(plain(title))
        st.altair_chart(index_chart(rows.assign(value=values)), width="stretch")
    carried = set(view.plan["sku"])
    sold = view.profiles[view.profiles["weeks_observed"] >= MIN_OWN_WEEKS]
    sold = sold.assign(in_plan=sold["sku"].isin(carried).map(YES_NO))
    columns = {"sku": "SKU", "name": "Product", "category": "Category", "local_index": "Index", "units_per_week": "Units / week",
               "in_plan": "In the plan"}
    config = {"SKU": st.column_config.TextColumn(width=70), "Product": st.column_config.TextColumn(width="large"),
              "Category": st.column_config.TextColumn(width=150),
              "Index": st.column_config.NumberColumn(format="%.2f", help="1.0 = sells like the chain average here"),
              "Units / week": st.column_config.NumberColumn(format="%.1f"), "In the plan": st.column_config.TextColumn(width=90)}
    for title, ascending in (("Products that sell most above the chain rate here", False), ("... and most below it", True)):
        st.subheader(title)
        rows = sold.sort_values("local_index", ascending=ascending).head(TOP_PRODUCTS)
        st.dataframe(rows[list(columns)].rename(columns=columns), hide_index=True, width="stretch", column_config=config)


def segments_section(customers: StoreCustomers) -> None:
    """The store's segments against the chain (chart and table), its loyal customers and the mix by month."""
    st.subheader("Who shops here: customer segments")
    loyalty = customers.loyalty
    st.caption(f"From loyalty cards ({_share(loyalty.get('card_spend_share'))} of this store's revenue is on a card). "
               f"Every figure covers at least {MIN_GROUP} cardholders; smaller groups are left empty. "
               "No card number is kept: cards are pseudonymised when the till exports are read.")
    first, second = st.columns(2)
    first.metric("Cardholders", _count(loyalty.get("cardholders")))
    second.metric("Loyal cardholders", _count(loyalty.get("loyal_cardholders")),
                  help="spend at least half of their card spend in this store; "
                       f"{_share(loyalty.get('loyal_spend_share'))} of the store's card spend is theirs")
    shown = customers.segments[customers.segments["cardholders"].notna()]
    if shown.empty:
        st.info(f"No segment has {MIN_GROUP} or more cardholders in this store yet.")
        return
    st.altair_chart(segment_chart(shown), width="stretch")
    table = shown.assign(over_buys=shown["segment"].map(customers.over_buys))
    columns = {"segment": "Segment", "cardholders": "Cardholders", "spend_share": "Share here", "chain_spend_share": "Chain share",
               "index": "Index", "visits_per_week": "Visits / week", "over_buys": "Buys more of (x the average cardholder)"}
    config = {"Segment": st.column_config.TextColumn(width=240), "Cardholders": st.column_config.NumberColumn(width=85),
              "Share here": st.column_config.NumberColumn(format="percent", width=80),
              "Chain share": st.column_config.NumberColumn(format="percent", width=80),
              "Index": st.column_config.NumberColumn(format="%.2f", help="share here / share in the chain", width=60),
              "Visits / week": st.column_config.NumberColumn(format="%.0f", width=75),
              "Buys more of (x the average cardholder)": st.column_config.TextColumn(width=290)}
    st.dataframe(table[list(columns)].rename(columns=columns), hide_index=True, width="stretch", column_config=config)
    monthly = customers.monthly.dropna(subset=["spend_share"])
    if monthly["month"].nunique() > 1:
        st.markdown("**The mix through the year** (share of the store's card spend by month)")
        chart = alt.Chart(monthly).mark_area().encode(
            x=alt.X("month:O", title=None), y=alt.Y("spend_share:Q", stack="normalize", title="share of card spend", axis=alt.Axis(format="%")),
            color=alt.Color("segment:N", title=None, legend=alt.Legend(orient="bottom", columns=2, labelLimit=400)),
            tooltip=["month", "segment", alt.Tooltip("spend_share:Q", format=".0%")])
        st.altair_chart(chart.properties(height=260), width="stretch")


def segment_chart(segments: pd.DataFrame) -> alt.Chart:
    """Each segment's share of the store's card spend next to its share in the chain."""
    data = pd.concat([segments.assign(where="this store", share=segments["spend_share"]),
                      segments.assign(where="chain", share=segments["chain_spend_share"])])
    return alt.Chart(data).mark_bar().encode(
        y=alt.Y("segment:N", title=None, sort="-x", axis=alt.Axis(labelLimit=320)),
        yOffset="where:N",
        x=alt.X("share:Q", title="share of card spend", axis=alt.Axis(format="%")),
        color=alt.Color("where:N", scale=alt.Scale(domain=["this store", "chain"], range=["#1565c0", "#b0bec5"]), title=None),
        tooltip=["segment", "where", alt.Tooltip("share:Q", format=".1%")],
    ).properties(height=2 * BAR_HEIGHT * len(segments) + AXIS_HEIGHT)


def _share(value: object) -> str:
    return f"{float(value):.0%}" if isinstance(value, int | float) and not pd.isna(value) else f"(under {MIN_GROUP} cardholders)"


def _count(value: object) -> str:
    return f"{int(value):,}" if isinstance(value, int | float) and not pd.isna(value) else f"under {MIN_GROUP}"


def dimension_labels(dimension: str, values: pd.Series) -> tuple[str, pd.Series]:
    """The heading of a dimension's chart and its values as words: a yes/no attribute such as
    organic (stored 1 / 0) becomes 'organic' / 'not organic', headed 'Organic or not'."""
    words = dimension.replace("_", " ")
    flags = values.astype(str).str.strip().str.lower()
    if flags.isin(list(TRUE_WORDS | FALSE_WORDS)).all():
        return f"{words.capitalize()} or not", flags.isin(list(TRUE_WORDS)).map({True: words, False: f"not {words}"})
    return f"By {words}", values


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
    return (bars + rule).properties(height=BAR_HEIGHT * len(rows) + AXIS_HEIGHT)


if __name__ == "__main__":  # run as a page by st.navigation in app.py
    render(context())
