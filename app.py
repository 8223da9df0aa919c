"""Streamlit entrypoint: sign-in, the published plan, the store, and the pages for the user's role.

Run with `streamlit run app.py` (reads ./out, plans ./sample_stores if there is no plan yet), or
`streamlit run app.py -- --out OUT_DIR --data DATA_DIR`. Pages live in planner/ui, one module each.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

import streamlit as st

from planner import PlanConfig, PlannerError, load_config, run_week
from planner.db import claim_data_folder, database_url
from planner.outputs.runfolder import plan_exists
from planner.ui.data import (
    chain_database,
    load_plan,
    published_plan,
    visible_stores,
)
from planner.ui.session import (
    CONTEXT_KEY,
    AppContext,
    current_user,
    sign_in_form,
    sign_out,
)
from planner.ui.text import plain

HERE = Path(__file__).parent
UI = HERE / "planner" / "ui"
STORE_PAGES = [("my_plan.py", "My plan", "plan"), ("my_customers.py", "My customers", "customers"),
               ("why.py", "Why / why not", "why"), ("what_if.py", "What-if", "what-if"), ("requests.py", "Requests", "requests")]


def settings() -> tuple[Path, Path]:
    """OUT and DATA folders from the command line, else PLANNER_OUT / PLANNER_DATA, else ./out and ./sample_stores."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.environ.get("PLANNER_OUT", "out"))
    parser.add_argument("--data", default=os.environ.get("PLANNER_DATA", str(HERE / "sample_stores")))
    args, _unknown = parser.parse_known_args(sys.argv[1:])
    return Path(args.out), Path(args.data)


def chain_config(data_dir: Path) -> PlanConfig:
    """DATA/planning.toml, with the database of PLANNER_DATABASE_URL when that is set."""
    return load_config(data_dir / "planning.toml").with_environment(os.environ)


def offer_first_run(out_dir: Path, data_dir: Path, config: PlanConfig) -> None:
    """No plan yet: say how to make one, and offer to run it here."""
    st.info(f"No plan in {plain(out_dir.resolve())} yet. Run this, or plan here:")
    st.code(f'planner run "{data_dir}" --out "{out_dir}"', language="bash")
    if st.button(f"Plan {plain(data_dir.name)} now", type="primary"):
        with st.spinner("Reading POS data, building profiles and solving ..."):
            try:  # one process: Streamlit runs this file as __main__, which worker processes would run again
                run_week(data_dir, out_dir, dataclasses.replace(config, solver=dataclasses.replace(config.solver, workers=1)))
            except PlannerError as exc:
                st.error(plain(exc))
                return
        st.rerun()


st.set_page_config(page_title="Assortment planner", layout="wide")
out_dir, data_dir = settings()
try:
    config = chain_config(data_dir)
    db = chain_database(database_url(data_dir, config), str(data_dir))
    claim_data_folder(db, data_dir)  # on every page load: the database may have been reset for another folder since
except PlannerError as exc:  # a broken planning.toml, a wrong, unreachable or another folder's database: say so, no traceback
    st.error(plain(exc))
    st.stop()
who = current_user(db)
if who is None:
    sign_in_form(db, config.app.contact)
    st.stop()
st.sidebar.write(f"Signed in as **{plain(who.username)}** ({'head office' if who.is_head_office else f'manager of {plain(who.store_id)}'})")
if st.sidebar.button("Sign out"):
    sign_out()
    st.rerun()
if not plan_exists(out_dir):
    if who.is_head_office:
        offer_first_run(out_dir, data_dir, config)
    else:
        st.info("There is no published plan yet; head office runs the weekly plan.")
    st.stop()
plan_dir, version = published_plan(out_dir)
published = load_plan(plan_dir, version)
stores = visible_stores(published, who)
if who.is_head_office:
    store_id = st.sidebar.selectbox("Store", stores, format_func=lambda s: f"{s} - {published.summary['stores'][s]['name']}", key="store_id")
else:  # the data functions refuse any other store, whatever the session asks for
    store_id = st.session_state.get("store_id", who.store_id)
st.sidebar.caption(f"Plan: {published.summary['status']}, run #{published.summary.get('run', {}).get('id', '?')}, week {published.summary.get('run', {}).get('week', '?')}")
st.session_state[CONTEXT_KEY] = AppContext(who, published, db, store_id, out_dir, data_dir, plan_dir, version)
pages = [st.Page(str(UI / file), title=title.replace("My ", "Store ") if who.is_head_office else title, url_path=path)
         for file, title, path in STORE_PAGES]
if who.is_head_office:
    pages.insert(0, st.Page(str(UI / "chain_overview.py"), title="Chain overview", url_path="chain"))
st.navigation(pages).run()
