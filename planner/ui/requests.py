"""Requests: a store manager proposes adding or dropping a product, with a comment; head office
approves or rejects. Approved requests are rules of the following weekly runs until retired."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from planner.db.requests import (
    APPROVED,
    PENDING,
    AccessDenied,
    decide,
    history,
    propose,
    requests_for,
    retire,
)
from planner.errors import PlannerError
from planner.ui.data import store_view
from planner.ui.header import CHANGE, WRAP_ROW_HEIGHT, page_header
from planner.ui.session import AppContext, context
from planner.ui.text import plain

SHOWN = {"id": "#", "sku": "SKU", "name": "Product", "change": "Change", "status": "Status",
         "comment": "Comment", "created_by": "By", "created_at": "Made (UTC)"}  # the page is one store's: no store column
SHOWN_CONFIG = {
    "#": st.column_config.NumberColumn(width=44, format="%d"), "SKU": st.column_config.TextColumn(width=66),
    "Product": st.column_config.TextColumn(width=170), "Change": st.column_config.TextColumn(width=64),
    "Status": st.column_config.TextColumn(width=80),
    "Comment": st.column_config.TextColumn(width=300, help="double-click a comment to read it whole"),
    "By": st.column_config.TextColumn(width=80), "Made (UTC)": st.column_config.DatetimeColumn(width=124, format="YYYY-MM-DD HH:mm"),
}
HISTORY = {"at": "When (UTC)", "actor": "By", "action": "Step", "comment": "Comment"}
HISTORY_CONFIG = {"When (UTC)": st.column_config.DatetimeColumn(width=150, format="YYYY-MM-DD HH:mm:ss"),
                  "By": st.column_config.TextColumn(width=100), "Step": st.column_config.TextColumn(width=100),
                  "Comment": st.column_config.TextColumn(width="large")}


def render(ctx: AppContext) -> None:
    """The request form for the chosen store, the decisions (head office), and every request's history."""
    try:
        view = store_view(ctx.published, ctx.who, ctx.store_id)
    except AccessDenied as exc:
        st.error(plain(exc))
        return
    page_header(f"{plain(view.figures['name'])} ({plain(view.store_id)}): requests", ctx.published.summary)
    names = view.profiles.set_index("sku")["name"]
    if ctx.who.is_head_office:
        _decisions(ctx, names)
        with st.expander(f"Make a request for {plain(view.store_id)}"):
            _request_form(ctx, view.store_id, names, set(view.plan["sku"]))
    else:
        _request_form(ctx, view.store_id, names, set(view.plan["sku"]))
    requests = requests_for(ctx.db, ctx.who, view.store_id)
    st.subheader(f"Requests of {plain(view.store_id)}")
    if requests.empty:
        st.info("No requests yet.")
        return
    requests["name"] = requests["sku"].map(names)
    requests["change"] = requests["change"].map(CHANGE).fillna(requests["change"])
    requests["status"] = requests["status"].str.capitalize()
    st.dataframe(requests[list(SHOWN)].rename(columns=SHOWN), hide_index=True, width="stretch", row_height=WRAP_ROW_HEIGHT,
                 column_config=SHOWN_CONFIG)
    chosen = st.selectbox("History of request", list(requests["id"]), format_func=lambda i: f"#{i}", key="request_history")
    steps = history(ctx.db, ctx.who, int(chosen))
    steps["action"] = steps["action"].str.capitalize()
    st.dataframe(steps[list(HISTORY)].rename(columns=HISTORY), hide_index=True, width="stretch", row_height=WRAP_ROW_HEIGHT,
                 column_config=HISTORY_CONFIG)


def _request_form(ctx: AppContext, store_id: str, names: pd.Series, carried: set[str]) -> None:
    """Propose adding or dropping a product, with a comment for head office."""
    with st.form("propose", clear_on_submit=True):
        sku = st.selectbox("Product", sorted(names.index, key=lambda s: names[s]), index=None, placeholder="Type to search a product",
                           format_func=lambda s: f"{names[s]} ({s}){' - carried' if s in carried else ''}")
        change = st.radio("Request", ["add", "drop"], horizontal=True, format_func={"add": "Add it", "drop": "Drop it"}.get)
        comment = st.text_area("Why (for head office)", max_chars=500)
        if st.form_submit_button("Send the request", type="primary"):
            if sku is None:
                st.error("Pick a product first.")
            else:
                number = propose(ctx.db, ctx.who, store_id, sku, change, comment)
                st.success(f"Request #{number} sent: {change} {plain(names[sku])}.")


def _decisions(ctx: AppContext, names: pd.Series) -> None:
    """Head office: approve or reject pending requests of every store; retire approved ones."""
    everything = requests_for(ctx.db, ctx.who)
    for status, title in ((PENDING, "Waiting for a decision (all stores)"), (APPROVED, "Approved: rules of the next runs")):
        rows = everything[everything["status"] == status]
        st.subheader(f"{title}: {len(rows)}")
        for row in rows.itertuples(index=False):
            text, note, *buttons = st.columns([4, 3, 1, 1])
            text.text(f"#{row.id} {row.store_id}: {CHANGE.get(row.change, row.change)} {names.get(row.sku, row.sku)} ({row.sku}) - {row.comment or 'no comment'}")
            comment = note.text_input("Comment", key=f"note_{row.id}", label_visibility="collapsed", placeholder="comment")
            try:
                if status == PENDING and buttons[0].button("Approve", key=f"approve_{row.id}"):
                    decide(ctx.db, ctx.who, int(row.id), approve=True, comment=comment)
                    st.rerun()
                if status == PENDING and buttons[1].button("Reject", key=f"reject_{row.id}"):
                    decide(ctx.db, ctx.who, int(row.id), approve=False, comment=comment)
                    st.rerun()
                if status == APPROVED and buttons[0].button("Retire", key=f"retire_{row.id}"):
                    retire(ctx.db, ctx.who, int(row.id), comment=comment)
                    st.rerun()
            except PlannerError as exc:
                st.error(plain(exc))


if __name__ == "__main__":  # run as a page by st.navigation in app.py
    render(context())
