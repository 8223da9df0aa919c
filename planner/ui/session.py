"""Signing in and out, and the per-run context every page renders from.

The session keeps only the username and which account of that name it signed in to (a removed and
re-added name is another account). On every page load the account is read again from the
database, so a removed account's open session ends at once, and its role and store are never
taken from the browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from planner.db import Database
from planner.db.accounts import AccountError, Principal, principal, sign_in
from planner.ui.data import PublishedPlan
from planner.ui.text import plain

USER_KEY = "username"
ACCOUNT_KEY = "account"  # which account of that name the session signed in to
CONTEXT_KEY = "context"


@dataclass(frozen=True)
class AppContext:
    """What a page needs: who is signed in, the published plan, the database, the chosen store."""

    who: Principal
    published: PublishedPlan
    db: Database
    store_id: str
    out_dir: Path
    data_dir: Path
    plan_dir: str  # the published run folder the page reads from
    version: float  # of the published plan: cached loaders reload when it changes


def current_user(db: Database) -> Principal | None:
    """The signed-in account as the database has it now; None (and a message) if it was removed."""
    username = st.session_state.get(USER_KEY)
    if username is None:
        return None
    who = principal(db, username, st.session_state.get(ACCOUNT_KEY, ""))
    if who is None:
        st.session_state.pop(USER_KEY, None)
        st.session_state.pop(ACCOUNT_KEY, None)
        st.warning(f"The account '{plain(username)}' you signed in to no longer exists: you have been signed out.")
    return who


def sign_in_form(db: Database) -> None:
    """Username and password; a correct pair signs in and reloads the page."""
    st.title("Assortment planner")
    with st.form("sign_in"):
        username = st.text_input("Username")
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            who = sign_in(db, username, password)
        except AccountError as exc:
            st.error(plain(exc))
            return
        st.session_state[USER_KEY] = who.username
        st.session_state[ACCOUNT_KEY] = who.account
        st.rerun()


def sign_out() -> None:
    """Forget the user and everything chosen in this session."""
    for key in list(st.session_state):
        del st.session_state[key]


def context() -> AppContext:
    """The context app.py set for this page load."""
    return st.session_state[CONTEXT_KEY]
