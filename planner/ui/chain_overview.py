"""Chain overview (head office): every store's figures, the published run, the workbook."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from planner.db.requests import AccessDenied
from planner.ui.data import chain_view, workbook_for
from planner.ui.session import AppContext, context
from planner.ui.text import plain

STORE_COLUMNS = {
    "name": "Store", "expected_sales_per_week": "Sales / week", "expected_profit_per_week": "Profit / week",
    "current_assortment_profit_per_week": "Today within limits / week", "waste_cost_per_week": "Waste / week",
    "core_items": "Core", "addon_items": "Add-ons", "adds": "Adds", "drops": "Drops",
}


def render(ctx: AppContext) -> None:
    """KPIs, a chart of profit per store against today, the run report and the download."""
    try:
        summary = chain_view(ctx.published, ctx.who)
    except AccessDenied as exc:
        st.error(plain(exc))
        return
    quality = summary["quality"]
    st.header("Chain overview")
    cols = st.columns(4)
    cols[0].metric("Expected profit / week", f"EUR {quality['expected_profit_per_week']:,.0f}",
                   delta=f"{quality['uplift_per_week']['current']:+,.0f} vs today")
    cols[1].metric("Against one chain-wide ranking", f"EUR {quality['uplift_per_week']['uniform']:+,.0f}")
    cols[2].metric("Core items", summary["core_items"])
    cols[3].metric("Adds / drops", f"{quality['adds']} / {quality['drops']}")
    stores = pd.DataFrame.from_dict(summary["stores"], orient="index")
    stores["Shelf use"] = stores["shelf_used"] / stores["shelf_capacity"]
    stores["Budget use"] = stores["budget_used"] / stores["inventory_budget"]
    table = stores[list(STORE_COLUMNS) + ["Shelf use", "Budget use"]].rename(columns=STORE_COLUMNS)
    money = st.column_config.NumberColumn(format="%.2f")
    share = st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1)
    st.dataframe(table, width="stretch", column_config={
        **{label: money for label in ("Sales / week", "Profit / week", "Today within limits / week", "Waste / week")},
        "Shelf use": share, "Budget use": share})
    long = stores.reset_index(names="store_id").melt(
        id_vars="store_id", value_vars=["current_assortment_profit_per_week", "expected_profit_per_week"], var_name="assortment", value_name="EUR / week")
    long["assortment"] = long["assortment"].map({"current_assortment_profit_per_week": "today", "expected_profit_per_week": "plan"})
    st.altair_chart(alt.Chart(long).mark_bar().encode(
        x=alt.X("store_id:N", title=None), xOffset="assortment:N", y="EUR / week:Q", color="assortment:N",
        tooltip=["store_id", "assortment", alt.Tooltip("EUR / week:Q", format=",.2f")]), width="stretch")
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
