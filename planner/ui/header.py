"""What every page shows the same way: its heading with the planned week and the POS data period
under it (and the stale-data warning when the run set one), the words shown for the planner's codes,
and the number formats of the tables."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any, Literal

import streamlit as st

from planner.ui.text import plain

ROLE = {"core": "Core", "addon": "Add-on"}
CHANGE = {"add": "Add", "drop": "Drop", "keep": "Keep"}
YES_NO = {True: "yes", False: "no"}
MONEY_FORMAT = "EUR %,.2f"  # thousands separator, the currency named
WRAP_ROW_HEIGHT = 80  # px: four lines (Streamlit wraps the text of a cell when rows are taller than 4rem)
_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def page_header(title: str, summary: dict[str, Any]) -> None:
    """The page's heading (`title` already escaped), the plan's week and data period, and the
    warning that the POS data is old when the published run says so."""
    st.header(title)
    st.caption(plan_period(summary))
    stale = summary.get("data", {}).get("stale_warning")
    if stale:  # "" or absent when the data is recent (or the run is older than the warning)
        text = str(stale)
        st.warning(plain(text[:1].upper() + text[1:]))


def plan_period(summary: dict[str, Any]) -> str:
    """'Plan for week 2026-W49 (30 Nov - 6 Dec 2026) from POS data 25 May - 21 Nov 2026 (26 weeks)':
    the data ends on its last POS day, or (a run that does not say) at the end of its last week."""
    week = iso_week_dates(str(summary.get("run", {}).get("week", "")))
    planned = "Plan" if week is None else f"Plan for week {week[0]} ({date_span(week[1], week[1] + timedelta(days=6))})"
    window = data_weeks(summary)
    if window is None:
        return planned
    first, last, weeks = window
    try:
        last_day = date.fromisoformat(str(summary["data"]["last_pos_day"]))
    except (KeyError, ValueError):
        last_day = last + timedelta(days=6)
    return f"{planned} from POS data {date_span(first, last_day)} ({weeks} week{'s' if weeks != 1 else ''})"


def data_weeks(summary: dict[str, Any]) -> tuple[date, date, int] | None:
    """(first Monday, last Monday, weeks) of the POS history the plan is built from; None if the
    summary does not say."""
    try:
        first, last = (date.fromisoformat(str(day)) for day in summary["data"]["history_weeks"])
    except (KeyError, TypeError, ValueError):
        return None
    return first, last, (last - first).days // 7 + 1


def iso_week_dates(week: str) -> tuple[str, date] | None:
    """('2026-W49', its Monday) for an ISO week like '2026-W49'; None if it is not one."""
    match = _ISO_WEEK.match(week)
    if match is None:
        return None
    year, number = int(match[1]), int(match[2])
    try:
        monday = date.fromisocalendar(year, number, 1)
    except ValueError:
        return None
    return f"{year}-W{number:02d}", monday


def date_span(first: date, last: date) -> str:
    """'30 Nov - 6 Dec 2026', '1 - 7 Dec 2026' or '28 Dec 2026 - 3 Jan 2027'."""
    if first.year != last.year:
        start = f"{first.day} {first:%b %Y}"
    elif first.month != last.month:
        start = f"{first.day} {first:%b}"
    else:
        start = str(first.day)
    return f"{start} - {last.day} {last:%b %Y}"


def money(label: str | None = None, *, width: Literal["small", "medium", "large"] | int | None = None, help: str | None = None) -> Any:
    """A column of EUR amounts: 'EUR 17,823.74'."""
    return st.column_config.NumberColumn(label, format=MONEY_FORMAT, width=width, help=help)
