"""Chain overview (head office): every store's figures, the published run, the workbook."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from planner.db.requests import AccessDenied
from planner.schemas import STORE_ID
from planner.ui.data import chain_segments, chain_view, workbook_for
from planner.ui.header import page_header
from planner.ui.session import AppContext, context
from planner.ui.text import plain

WHOLE_EUROS = "EUR %,.0f"
STORE_COLUMNS = {  # the core is the same in every store (a metric above), so each store shows its add-ons
    STORE_ID: st.column_config.TextColumn("ID", width=44),
    "name": st.column_config.TextColumn("Store", width=172),
    "expected_sales_per_week": st.column_config.NumberColumn("Sales / week", format=WHOLE_EUROS, width=90),
    "expected_profit_per_week": st.column_config.NumberColumn("Profit / week", format=WHOLE_EUROS, width=90),
    "current_assortment_profit_per_week": st.column_config.NumberColumn(
        "Today / week", format=WHOLE_EUROS, width=90,
        help="profit of today's assortment, trimmed to the store's shelf and budget where it does not fit them"),
    "waste_cost_per_week": st.column_config.NumberColumn("Waste / week", format=WHOLE_EUROS, width=84),
    "addon_items": st.column_config.NumberColumn("Add-ons", format="%d", width=58),
    "this_week": st.column_config.TextColumn("This week", width=74, help="adds / drops this week"),
    "weeks_to_target": st.column_config.NumberColumn("Weeks", format="%d", width=54,
                                                     help="weeks of changes until the store carries the plan"),
    "shelf_use": st.column_config.ProgressColumn("Shelf use", format="%.0f%%", min_value=0, max_value=100, width=82),
    "budget_use": st.column_config.ProgressColumn("Budget use", format="%.0f%%", min_value=0, max_value=100, width=86,
                                                  help="inventory held against the store's budget"),
}


def render(ctx: AppContext) -> None:
    """KPIs, a chart of profit per store against today, the run report and the download."""
    try:
        summary = chain_view(ctx.published, ctx.who)
    except AccessDenied as exc:
        st.error(plain(exc))
        return
    quality = summary["quality"]
    page_header("Chain overview", summary)
    cols = st.columns(4)
    cols[0].metric("Expected profit / week", f"EUR {quality['expected_profit_per_week']:,.0f}",
                   delta=f"{quality['uplift_per_week']['current']:+,.0f} vs today")
    cols[1].metric("Against one chain-wide ranking", f"EUR {quality['uplift_per_week']['uniform']:+,.0f}")
    cols[2].metric("Core items", summary["core_items"])
    transition = summary.get("transition", {})
    cols[3].metric("Adds / drops", f"{quality['adds']} / {quality['drops']}",
                   help=f"to the plan in all; {transition['changes_this_week']} of them this week, the plan reached in "
                        f"{transition['weeks_to_target']} weeks" if "changes_this_week" in transition else None)
    stores = pd.DataFrame.from_dict(summary["stores"], orient="index")
    table = stores.reset_index(names=STORE_ID).assign(
        this_week=[f"+{s.get('adds_this_week', s['adds'])} / -{s.get('drops_this_week', s['drops'])}" for s in summary["stores"].values()],
        weeks_to_target=[s.get("weeks_to_target", 1) for s in summary["stores"].values()],
        shelf_use=100 * stores["shelf_used"].to_numpy() / stores["shelf_capacity"].to_numpy(),
        budget_use=100 * stores["budget_used"].to_numpy() / stores["inventory_budget"].to_numpy(),
    )
    labels = {column: str(config["label"]) for column, config in STORE_COLUMNS.items()}
    st.dataframe(table[list(STORE_COLUMNS)].rename(columns=labels), hide_index=True, width="stretch",
                 column_config={labels[column]: config for column, config in STORE_COLUMNS.items()})
    long = stores.reset_index(names=STORE_ID).melt(
        id_vars=STORE_ID, value_vars=["current_assortment_profit_per_week", "expected_profit_per_week"], var_name="assortment", value_name="EUR / week")
    long["assortment"] = long["assortment"].map({"current_assortment_profit_per_week": "Today", "expected_profit_per_week": "Plan"})
    st.altair_chart(alt.Chart(long).mark_bar().encode(
        x=alt.X("store_id:N", title=None, axis=alt.Axis(labelAngle=0)), xOffset="assortment:N", y="EUR / week:Q", color=alt.Color("assortment:N", title=None),
        tooltip=[STORE_ID, "assortment", alt.Tooltip("EUR / week:Q", format=",.2f")]), width="stretch")
    segments = chain_segments(ctx.published, ctx.who)
    if segments is not None:
        st.subheader("Customer segments across the stores")
        st.caption("From loyalty cards; each segment has at least 20 cardholders. Home stores: where its share of card spend "
                   "is at least 1.2 x its chain share.")
        columns = {"name": "Segment", "cardholders": "Cardholders", "chain_spend_share": "Share of card spend",
                   "spend_per_week": "Card spend / week", "home_stores": "Home stores", "over_buys": "Buys more of"}
        st.dataframe(segments[list(columns)].rename(columns=columns), hide_index=True, width="stretch",
                     column_config={"Segment": st.column_config.TextColumn(width=250), "Cardholders": st.column_config.NumberColumn(width=85),
                                    "Share of card spend": st.column_config.NumberColumn(format="percent", width=90),
                                    "Card spend / week": st.column_config.NumberColumn(format="EUR %.0f", width=110),
                                    "Home stores": st.column_config.TextColumn(width=90), "Buys more of": st.column_config.TextColumn(width=280)})
    st.subheader("The published run")
    data = summary["data"]
    st.write(f"Demand from {data['history_weeks'][0]} to {data['history_weeks'][1]}; {data['pos_files']} POS files, "
             f"{data['pos_lines']:,} lines. Solver {summary['solver']}: {summary['status']}, gap {100 * (summary['mip_gap'] or 0):.3f} %, "
             f"{summary['solve_seconds']:.1f} s.")
    for note in summary["notes"]:  # e.g. a store whose range today breaks its limits: compared with its best trim
        st.info(plain(note))
    for warning in summary["warnings"]:
        st.warning(plain(warning))
    st.download_button("Download the chain workbook (Excel)", workbook_for(ctx.published, ctx.who), file_name="plan.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", type="primary")


if __name__ == "__main__":  # run as a page by st.navigation in app.py
    render(context())
