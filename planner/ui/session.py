"""Signing in and out, and the per-run context every page renders from.

The session keeps only the username, which account of that name it signed in to (a removed and
re-added name is another account) and with which password. On every page load the account is read
again from the database, so the open session of a removed account, or of one whose password was
changed, ends at once, and its role and store are never taken from the browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from planner.db import Database
from planner.db.accounts import (
    AccountError,
    Principal,
    SignInThrottled,
    principal,
    sign_in,
)
from planner.ui.data import PublishedPlan
from planner.ui.text import plain

USER_KEY = "username"
ACCOUNT_KEY = "account"  # which account of that name the session signed in to
CREDENTIAL_KEY = "credential"  # with which password of the account (Principal.credential)
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
    """The signed-in account as the database has it now; None (and a message) if it was removed or
    its password was changed."""
    username = st.session_state.get(USER_KEY)
    if username is None:
        return None
    account = st.session_state.get(ACCOUNT_KEY, "")
    who = principal(db, username, account, st.session_state.get(CREDENTIAL_KEY, ""))
    if who is None:
        for key in (USER_KEY, ACCOUNT_KEY, CREDENTIAL_KEY):
            st.session_state.pop(key, None)
        if principal(db, username, account) is None:
            st.warning(f"The account '{plain(username)}' you signed in to no longer exists: you have been signed out.")
        else:
            st.warning(f"The password of '{plain(username)}' was changed: you have been signed out. Sign in with the new one.")
    return who


def sign_in_form(db: Database, contact: str) -> None:
    """Username and password; a correct pair signs in and reloads the page. `contact` ([app] contact)
    is whom to ask for an account, an unlock or a new password."""
    st.title("Assortment planner")
    with st.form("sign_in"):
        username = st.text_input("Username")
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            who = sign_in(db, username, password)
        except SignInThrottled as exc:
            st.error(plain(f"{exc}, or ask {contact} to unlock the account"))
        except AccountError as exc:
            st.error(plain(exc))
        else:
            st.session_state[USER_KEY] = who.username
            st.session_state[ACCOUNT_KEY] = who.account
            st.session_state[CREDENTIAL_KEY] = who.credential
            st.rerun()
    st.caption(f"No account, locked out or forgot your password? Ask {plain(contact)}.")


def sign_out() -> None:
    """Forget the user and everything chosen in this session."""
    for key in list(st.session_state):
        del st.session_state[key]


def context() -> AppContext:
    """The context app.py set for this page load."""
    return st.session_state[CONTEXT_KEY]
