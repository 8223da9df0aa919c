"""Streamlit entrypoint: finds the published plan, picks the store, and routes to the pages.

Run with `streamlit run app.py` (reads ./out, plans ./sample_stores if there is no plan yet), or
`streamlit run app.py -- --out OUT_DIR --data DATA_DIR`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import streamlit as st

from planner import PlannerError, load_config, run_week
from planner.ui.data import load_plan, plan_exists, plan_version

HERE = Path(__file__).parent
UI = HERE / "planner" / "ui"  # page scripts: each renders from st.session_state["published"] and ["store_id"]


def settings() -> tuple[Path, Path]:
    """OUT and DATA folders from the command line, else PLANNER_OUT / PLANNER_DATA, else ./out and ./sample_stores."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.environ.get("PLANNER_OUT", "out"))
    parser.add_argument("--data", default=os.environ.get("PLANNER_DATA", str(HERE / "sample_stores")))
    args, _unknown = parser.parse_known_args(sys.argv[1:])
    return Path(args.out), Path(args.data)


def offer_first_run(out_dir: Path, data_dir: Path) -> None:
    """No plan yet: say how to make one, and offer to run it here."""
    st.info(f"No plan in {out_dir.resolve()} yet. Run `planner run {data_dir} --out {out_dir}`, or plan here:")
    if st.button(f"Plan {data_dir.name} now", type="primary"):
        with st.spinner("Reading POS data, building profiles and solving ..."):
            try:
                run_week(data_dir, out_dir, load_config(data_dir / "planning.toml"))
            except PlannerError as exc:
                st.error(str(exc))
                return
        st.rerun()


st.set_page_config(page_title="Assortment planner", layout="wide")
out_dir, data_dir = settings()
if not plan_exists(out_dir):
    offer_first_run(out_dir, data_dir)
    st.stop()
published = load_plan(str(out_dir), plan_version(out_dir))
store_ids = list(published.summary["stores"])
store_id = st.sidebar.selectbox(
    "Store", store_ids, format_func=lambda s: f"{s} - {published.summary['stores'][s]['name']}", key="store_id"
)
st.sidebar.caption(f"Plan: {published.summary['status']}, demand up to week of {published.summary['data']['history_weeks'][1]}")
st.sidebar.download_button("Download the workbook (Excel)", published.workbook, file_name="plan.xlsx")
st.session_state["published"] = published
pages = [
    st.Page(str(UI / "store_plan.py"), title="Store plan", url_path="plan", default=True),
    st.Page(str(UI / "local_profile.py"), title="Local profile", url_path="profile"),
]
st.navigation(pages).run()
