"""Run history in the planner's database: every run with its week, inputs, config, status, figures
and folder; the plan of the latest published run of an earlier week is the current assortment of
the next one."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import delete, insert, select

from planner.db import Database, Run, RunLine, utc_now
from planner.schemas import KEY, STORE_ID

RUNNING, PUBLISHED, FAILED, INTERRUPTED = "running", "published", "failed", "interrupted"
LIST_COLUMNS = ["id", "week", "status", "started_at", "finished_at", "run_dir"]


def iso_week(day: date) -> str:
    """2026-11-23 -> '2026-W48'."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_monday(week: str) -> date:
    """'2026-W48' (or 2026W48, any letter case) -> the Monday that starts it; ValueError otherwise."""
    match = re.fullmatch(r"(\d{4})-?W(\d{2})", week.strip().upper())
    if match is None:
        raise ValueError(f"expected an ISO week like 2026-W48, found {week!r}")
    return date.fromisocalendar(int(match[1]), int(match[2]), 1)


def close_stale_runs(db: Database, published: Callable[[Path], Path | None]) -> None:
    """Close the runs a killed or crashed process left open (the caller holds the run lock): one whose
    folder its own OUT_DIR publishes (`published(out_dir)`, the folder OUT_DIR/current points to) is
    published, the others were interrupted."""
    with db.session.begin() as session:
        for stale in session.scalars(select(Run).where(Run.status.in_([RUNNING, FAILED]))):
            current_dir = published(Path(stale.out_dir))
            is_current = current_dir is not None and stale.run_dir is not None and Path(stale.run_dir).resolve() == current_dir.resolve()
            if is_current:
                stale.status = PUBLISHED
            elif stale.status == RUNNING:
                stale.status = INTERRUPTED
            stale.finished_at = stale.finished_at or utc_now()


def start_run(db: Database, week: str, data_dir: Path, out_dir: Path, config: dict[str, Any]) -> int:
    """Record a new run (the caller holds the run lock and closed the stale ones)."""
    with db.session.begin() as session:
        run = Run(week=week, status=RUNNING, pid=os.getpid(), host=socket.gethostname(), data_dir=str(data_dir.resolve()),
                  out_dir=str(out_dir.resolve()), config=config)
        session.add(run)
        session.flush()
        return run.id


def record_plan(db: Database, run_id: int, run_dir: Path, plan: pd.DataFrame, inputs: list[dict[str, Any]], figures: dict[str, Any]) -> None:
    """Store the run's plan lines, inputs and figures before it is published (status stays 'running')."""
    rows = [{"run_id": run_id, STORE_ID: s, "sku": k, "role": r} for s, k, r in plan[[*KEY, "role"]].itertuples(index=False)]
    with db.session.begin() as session:
        session.execute(delete(RunLine).where(RunLine.run_id == run_id))
        if rows:
            session.execute(insert(RunLine), rows)
        run = session.get_one(Run, run_id)
        run.run_dir, run.inputs, run.figures = str(run_dir.resolve()), inputs, figures


def finish_run(db: Database, run_id: int, status: str, error: str | None = None) -> None:
    """Close a run as published or failed."""
    with db.session.begin() as session:
        run = session.get_one(Run, run_id)
        run.status, run.error, run.finished_at = status, error, utc_now()


def running_run(db: Database) -> str:
    """Who holds the run lock, for the message of a second run."""
    with db.session() as session:
        run = session.scalar(select(Run).where(Run.status == RUNNING).order_by(Run.id.desc()))
    if run is None:
        return "started moments ago"
    return f"run #{run.id} for {run.week}, started {run.started_at:%Y-%m-%d %H:%M:%S} UTC by pid {run.pid} on {run.host}"


def previous_plan(db: Database, week: str) -> tuple[int, str, pd.DataFrame] | None:
    """(run id, week, store_id/sku lines) of the latest published run of a week before `week`."""
    with db.session() as session:
        run = session.scalar(select(Run).where(Run.status == PUBLISHED, Run.week < week).order_by(Run.week.desc(), Run.id.desc()))
        if run is None:
            return None
        lines = session.execute(select(RunLine.store_id, RunLine.sku).where(RunLine.run_id == run.id)).all()
    return run.id, run.week, pd.DataFrame(lines, columns=KEY)


def list_runs(db: Database) -> pd.DataFrame:
    """Every run, newest first."""
    with db.session() as session:
        runs = session.scalars(select(Run).order_by(Run.id.desc())).all()
    return pd.DataFrame([[getattr(r, c) for c in LIST_COLUMNS] for r in runs], columns=LIST_COLUMNS)


def run_details(db: Database, run_id: int) -> dict[str, Any] | None:
    """One run, every field."""
    with db.session() as session:
        run = session.get(Run, run_id)
        if run is None:
            return None
        lines = session.scalar(select(RunLine.run_id).where(RunLine.run_id == run_id).limit(1))
        return {c.name: getattr(run, c.name) for c in Run.__table__.columns} | {"has_plan_lines": lines is not None}


def prunable_runs(db: Database, keep: int) -> list[tuple[int, Path]]:
    """(id, folder) of every run folder except those of the newest `keep` published runs."""
    with db.session() as session:
        runs = session.scalars(select(Run).where(Run.run_dir.is_not(None)).order_by(Run.id.desc())).all()
    kept = [r.id for r in runs if r.status == PUBLISHED][:keep]
    return [(r.id, Path(r.run_dir)) for r in runs if r.id not in kept and r.run_dir is not None]


def recorded_folders(db: Database) -> dict[Path, set[Path]]:
    """Every OUT_DIR the history knows, with the run folders its rows name there."""
    with db.session() as session:
        rows = session.execute(select(Run.out_dir, Run.run_dir)).all()
    folders: dict[Path, set[Path]] = {}
    for out_dir, run_dir in rows:
        named = folders.setdefault(Path(out_dir), set())
        if run_dir is not None:
            named.add(Path(run_dir).resolve())
    return folders


def forget_folder(db: Database, run_id: int) -> None:
    """The run's folder was deleted: its row (figures, inputs, plan lines) stays in the history."""
    with db.session.begin() as session:
        session.get_one(Run, run_id).run_dir = None
