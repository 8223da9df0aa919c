"""run_week: load, check, profile, optimize and publish one weekly plan, as a recorded run.

Every run writes its complete outputs into OUT_DIR/runs/.staging-<week>-<id>, renames that to
OUT_DIR/runs/<week>-<id> and only then publishes it by replacing one link, OUT_DIR/current; the
files in OUT_DIR (plan.csv, summary.json, plan.xlsx, ...) are links through `current`. A run that
fails or is killed at any moment leaves the previous plan published and the database as it was
(its own row says failed, or is closed as interrupted by the next run).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import pandas as pd

from planner.config import PlanConfig
from planner.customers import Customers, chain_customers
from planner.customers.segments import MIN_GROUP
from planner.db import Database, open_database
from planner.db.requests import approved_rules
from planner.errors import InputError, Problem, storage_error
from planner.inputs import ChainData, chain_before, load_chain
from planner.inputs.overrides import expand_overrides
from planner.inputs.planning import REQUEST_SOURCE, apply_planning, read_planning
from planner.inputs.pos import CACHE_DIR
from planner.optimize import PlanningProblem, PlanResult, plan_assortment
from planner.optimize.inputs import Substitutes
from planner.outputs.customers import customers_summary
from planner.outputs.explain import plan_reasons
from planner.outputs.report import change_table, step_report
from planner.outputs.runfolder import (
    CURRENT_LINK,
    OUTPUT_FILES,
    RUNS_DIR,
    last_segments,
    published_run,
    write_run_folder,
)
from planner.outputs.summary import build_summary
from planner.profiles import Profiles, build_profiles
from planner.runs.history import (
    FAILED,
    PUBLISHED,
    close_stale_runs,
    finish_run,
    forget_folder,
    iso_week,
    previous_plan,
    prunable_runs,
    record_plan,
    recorded_folders,
    running_run,
    start_run,
    week_monday,
)
from planner.runs.lock import folder_lock, run_lock
from planner.schemas import KEY, STORE_ID

LOGS_DIR = "logs"  # OUT_DIR/logs/<week>-<run id>.log
STAGING_PREFIX = ".staging-"
OUT_LOCK = ".planner.lock"  # OUT_DIR/.planner.lock: one run writes an output folder at a time


class RunStage(StrEnum):
    """The points a run passes, in order; `run_week(on_stage=...)` is told each one as it is reached."""

    READ = "read"  # inputs read and checked; nothing recorded yet
    STARTED = "started"  # the run has its row in the history
    PROFILED = "profiled"  # demand profiles built
    PLANNED = "planned"  # plan solved and valued
    WRITTEN = "written"  # the staging folder is complete, not yet renamed
    PUBLISHED = "published"  # OUT_DIR/current switched; the run's row not yet closed


@dataclass
class RunOutcome:
    """What a run produced."""

    out_dir: Path
    summary: dict[str, Any]
    result: PlanResult
    chain: ChainData
    profiles: Profiles


def run_week(
    data_dir: Path,
    out_dir: Path,
    config: PlanConfig,
    *,
    today: date | None = None,
    week: str | None = None,
    planning: Path | None = None,
    progress: Callable[[str], None] | None = None,
    wait_seconds: float = 0.0,
    on_stage: Callable[[RunStage], None] | None = None,
) -> RunOutcome:
    """Plan one week of the chain in `data_dir` and publish it in `out_dir`.

    `week` (ISO, e.g. 2026-W48) is the week planned, from the POS weeks before it; default: the week
    of `today`. `planning` is a planning workbook whose limits, rules and settings replace the data
    folder's. Only one run per chain at a time: a second one waits `wait_seconds`, then raises
    RunLocked. The latest published plan of an earlier week is the current assortment. `progress`
    gets the lines a person reads, `on_stage` each RunStage reached.
    """
    say = progress or (lambda _text: None)
    reached = on_stage or (lambda _stage: None)
    today = today or date.today()
    week = iso_week(week_monday(week)) if week else iso_week(today)
    db = open_database(data_dir, config)
    try:
        with run_lock(db, wait_seconds, lambda: running_run(db)):
            return _locked_run(db, data_dir, out_dir, config, today, week, planning, say, reached, wait_seconds)
    finally:
        db.dispose()


def _locked_run(db: Database, data_dir: Path, out_dir: Path, config: PlanConfig, today: date, week: str,
                planning: Path | None, say: Callable[[str], None], reached: Callable[[RunStage], None],
                wait_seconds: float) -> RunOutcome:
    """Read and check everything first (bad input records nothing), then plan as a recorded run."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    say(f"reading {data_dir} for {week}")
    chain = load_chain(data_dir, config, today=today, progress=say)
    if planning is not None:
        edits = read_planning(planning, chain, config)
        chain, config = apply_planning(chain, edits), edits.config
        say(f"planning workbook {planning.name}: {len(edits.limits)} store limits, {len(edits.overrides)} store rules")
    close_stale_runs(db, published_run)  # before as_of_week: a killed run may be last week's plan
    chain = with_store_requests(chain, db, say)
    chain = as_of_week(chain, db, week, say)
    timings["read"] = time.perf_counter() - started
    say(f"read {len(chain.stores)} stores, {len(chain.products)} products, {chain.pos_report.counts.lines} POS lines")
    reached(RunStage.READ)
    with folder_lock(out_dir / OUT_LOCK, wait_seconds, lambda: f"another run writes {out_dir}"):  # inputs are valid: now OUT_DIR
        return _recorded_run(db, data_dir, out_dir, config, week, chain, timings, started, say, reached)


def _recorded_run(db: Database, data_dir: Path, out_dir: Path, config: PlanConfig, week: str, chain: ChainData,
                  timings: dict[str, float], started: float, say: Callable[[str], None],
                  reached: Callable[[RunStage], None]) -> RunOutcome:
    runs_dir = out_dir / RUNS_DIR
    runs_dir.mkdir(parents=True, exist_ok=True)
    for leftover in runs_dir.glob(f"{STAGING_PREFIX}*"):  # from a run that was killed; we hold the lock
        shutil.rmtree(leftover, ignore_errors=True)
    run_id = start_run(db, week, data_dir, out_dir, config.to_dict())
    reached(RunStage.STARTED)
    log = RunLog(out_dir / LOGS_DIR / f"{week}-{run_id:05d}.log", say)
    try:
        log(f"run #{run_id}: planning {week} from {data_dir.resolve()}")
        outcome = _plan_and_publish(db, run_id, week, chain, config, out_dir, timings, started, log, reached)
    except BaseException as exc:
        for staging in runs_dir.glob(f"{STAGING_PREFIX}*"):  # half written: its space back at once
            shutil.rmtree(staging, ignore_errors=True)
        finish_run(db, run_id, FAILED, str(exc) or type(exc).__name__)
        with contextlib.suppress(OSError):  # the disk may be full
            log(f"failed: {exc}")
        if isinstance(exc, OSError) and (storage := storage_error(exc, f"the run's outputs in {out_dir}")):
            raise storage from exc
        raise
    reached(RunStage.PUBLISHED)
    finish_run(db, run_id, PUBLISHED)
    log(f"published run #{run_id} in {outcome.out_dir}")
    return outcome


def _plan_and_publish(db: Database, run_id: int, week: str, chain: ChainData, config: PlanConfig, out_dir: Path,
                      timings: dict[str, float], started: float, say: Callable[[str], None],
                      reached: Callable[[RunStage], None]) -> RunOutcome:
    mark = time.perf_counter()
    customers = _customers(chain, out_dir, say)
    timings["customers"] = time.perf_counter() - mark
    mark = time.perf_counter()
    profiles = build_profiles(chain, config, customers)
    timings["profiles"] = time.perf_counter() - mark
    say(f"built demand profiles for {len(profiles.pairs)} store-product pairs")
    if profiles.walk_away:
        say(profiles.walk_away)
    reached(RunStage.PROFILED)
    mark = time.perf_counter()
    substitutes = Substitutes.configured(profiles.substitution.pairs, profiles.substitution.transfer_rate, config.substitution)
    result = plan_assortment(PlanningProblem(profiles.pairs, chain.stores, chain.products, config, substitutes=substitutes,
                             overrides=chain.overrides), progress=say)
    timings["optimize"] = time.perf_counter() - mark
    timings.update({f"optimize: {step}": seconds for step, seconds in result.timings.items()})
    say(f"solver {result.solve.solver}: {result.solve.status}, gap {100 * (result.solve.mip_gap or 0):.3f} %, {result.solve.seconds:.1f} s")
    reached(RunStage.PLANNED)
    result.plan["reason"] = plan_reasons(result.plan, profiles.pairs.set_index(KEY))
    changes = change_table(result, profiles, chain)
    timings["total"] = time.perf_counter() - started
    folder = _free_name(out_dir / RUNS_DIR, f"{week}-{run_id:05d}")
    summary = build_summary(result, chain, profiles, config, timings, week, week_monday(week))
    summary |= {"run": {"id": run_id, "week": week, "folder": f"{RUNS_DIR}/{folder}"}}
    if customers is not None:
        summary |= {"customers": customers_summary(customers)}
    for line in [summary["data"]["stale_warning"]] if summary["data"]["stale_warning"] else []:
        say(f"warning: {line}")
    say(step_report(summary))
    say(f"writing run folder {out_dir / RUNS_DIR / folder}")
    staging = out_dir / RUNS_DIR / f"{STAGING_PREFIX}{folder}"
    write_run_folder(staging, result, changes, profiles, summary, chain, customers)
    reached(RunStage.WRITTEN)
    run_dir = out_dir / RUNS_DIR / folder
    os.rename(staging, run_dir)  # complete, and never changed again
    inputs = [{"file": f.file, "sha256": f.sha256, "lines": f.lines} for f in chain.pos_report.files]
    record_plan(db, run_id, run_dir, result.this_week, inputs, _figures(summary))  # next week starts from this week's step
    publish(out_dir, run_dir)
    return RunOutcome(out_dir, summary, result, chain, profiles)


def _customers(chain: ChainData, out_dir: Path, say: Callable[[str], None]) -> Customers | None:
    """The customer segments and store figures, when the tills give loyalty cards (ids kept from the last run)."""
    if not chain.has_cards:
        return None
    customers = chain_customers(chain, previous=last_segments(out_dir))
    if customers is None:
        say(f"loyalty cards: {chain.cards['card'].nunique()} cardholders, too few for segments of at least {MIN_GROUP}")
        return None
    say(f"customer segments: {len(customers.segments)} from {customers.cards_segmented} of {customers.cards_seen} cardholders")
    for note in customers.notes:
        say(f"  {note}")
    return customers


@dataclass(frozen=True)
class PruneResult:
    """What `runs prune` deleted."""

    run_folders: list[Path]  # folders of old runs (the runs stay in the history)
    leftovers: list[Path]  # what killed runs left: unnamed run folders, staging folders, temporary files


def prune_runs(data_dir: Path, config: PlanConfig, keep: int, *, wait_seconds: float = 0.0) -> PruneResult:
    """Delete the run folders of all but the newest `keep` published runs (never a published one
    some OUT_DIR/current points to); the runs stay in the history. Also delete what killed runs
    left behind more than a day ago: run folders no run names, staging folders and temporary files.
    Holds the run lock."""
    db = open_database(data_dir, config)
    try:
        with run_lock(db, wait_seconds, lambda: running_run(db)):
            close_stale_runs(db, published_run)
            deleted = []
            for run_id, folder in prunable_runs(db, keep):
                if published_run(folder.parent.parent) == folder.resolve():
                    continue
                shutil.rmtree(folder, ignore_errors=True)
                forget_folder(db, run_id)
                deleted.append(folder)
            return PruneResult(deleted, _leftovers(data_dir, recorded_folders(db)))
    finally:
        db.dispose()


LEFTOVER_AGE_SECONDS = 86_400  # a leftover younger than a day may belong to a process still writing it


def _leftovers(data_dir: Path, recorded: dict[Path, set[Path]]) -> list[Path]:
    """Delete (and list) the run folders no run names in each OUT_DIR, staging folders, temporary
    files of interrupted writes in OUT_DIR and the POS cache, when older than LEFTOVER_AGE_SECONDS."""
    cutoff = time.time() - LEFTOVER_AGE_SECONDS
    found: list[Path] = []
    for out_dir, named in recorded.items():
        published = published_run(out_dir)
        runs_dir = out_dir / RUNS_DIR
        if runs_dir.is_dir():
            found += [f for f in runs_dir.iterdir() if f.is_dir() and not f.is_symlink() and f.resolve() not in named and f.resolve() != published]
        found += [f for f in out_dir.glob(".*.link") if f.is_symlink()] + list(out_dir.glob(".*.tmp"))
        if runs_dir.is_dir():
            found += list(runs_dir.glob("*/.*.tmp"))
    found += list((data_dir / CACHE_DIR).parent.glob("*/.*.tmp"))  # this cache and older versions of it
    old = [f for f in found if f.lstat().st_mtime < cutoff]
    for leftover in old:
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
    return sorted(old)


def as_of_week(chain: ChainData, db: Database, week: str, say: Callable[[str], None]) -> ChainData:
    """The chain as the planned week sees it: POS data from the week on left out, and the latest
    published plan of an earlier week as the current assortment (instead of assortment.csv)."""
    monday = pd.Timestamp(week_monday(week))
    if not chain.weekly.empty and chain.weekly["week_start"].max() >= monday:
        say(f"POS weeks from {week} on are left out: this run plans {week} from the weeks before it")
        chain = chain_before(chain, monday)
        if chain.weekly.empty:
            raise InputError(Problem("pos/", expected=f"POS data before {week}", found="none"))
    previous = previous_plan(db, week)
    if previous is None:
        return chain
    run_id, previous_week, lines = previous
    known = lines[lines[STORE_ID].isin(chain.stores[STORE_ID]) & lines["sku"].isin(chain.products["sku"])]
    say(f"current assortment: the published plan of {previous_week} (run #{run_id}), {len(known)} listings")
    return dataclasses.replace(chain, assortment=known.reset_index(drop=True))


def with_store_requests(chain: ChainData, db: Database, say: Callable[[str], None]) -> ChainData:
    """The chain with the store requests head office approved in the app as rules (they replace a
    head-office rule on the same store and product). A request for a product or store that is gone
    is left out, with a warning."""
    rules = approved_rules(db)
    if not rules:
        return chain
    store_ids, skus = list(chain.stores[STORE_ID]), set(chain.products["sku"])
    usable = [(store, sku, rule, note, REQUEST_SOURCE) for store, sku, rule, note in rules if store in store_ids and sku in skus]
    warnings = [f"approved store request for {store} / {sku} left out: the store or product is no longer in the masters"
                for store, sku, _rule, _note in rules if store not in store_ids or sku not in skus]
    say(f"{len(usable)} approved store requests from the database")
    overrides = pd.concat([chain.overrides, expand_overrides(usable, store_ids)], ignore_index=True)
    overrides = overrides.drop_duplicates(KEY, keep="last").reset_index(drop=True)
    return dataclasses.replace(chain, overrides=overrides, warnings=[*chain.warnings, *warnings])


def publish(out_dir: Path, run_dir: Path) -> None:
    """Make `run_dir` the published plan in one atomic step: the link `out_dir/current` is replaced
    (os.replace), and each output in `out_dir` is a link through `current`, so a reader sees the
    previous plan or the new one, never a mix."""
    _replace_with_link(out_dir / CURRENT_LINK, Path(RUNS_DIR) / run_dir.name)
    for name in OUTPUT_FILES:
        target = Path(CURRENT_LINK) / name
        link = out_dir / name
        if not (link.is_symlink() and Path(os.readlink(link)) == target):
            _replace_with_link(link, target)


def _replace_with_link(path: Path, target: Path) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.link")
    temporary.unlink(missing_ok=True)
    os.symlink(target, temporary)
    os.replace(temporary, path)


def _free_name(parent: Path, name: str) -> str:
    """`name`, or `name-2`, `name-3` ... if a folder of that name exists (an output folder shared by
    two databases, or a database started afresh)."""
    candidate, number = name, 1
    while (parent / candidate).exists():
        number += 1
        candidate = f"{name}-{number}"
    return candidate


def _figures(summary: dict[str, Any]) -> dict[str, Any]:
    quality = summary["quality"]
    return {"status": summary["status"], "objective": summary["objective"], "mip_gap": summary["mip_gap"],
            "expected_profit_per_week": quality["expected_profit_per_week"], "adds": quality["adds"], "drops": quality["drops"],
            "core_items": summary["core_items"], "uplift_per_week": quality["uplift_per_week"]}


class RunLog:
    """The run's log file (one per run, in OUT_DIR/logs), each line also passed to `say`."""

    def __init__(self, path: Path, say: Callable[[str], None]) -> None:
        self.path, self.say = path, say

    def __call__(self, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(f"{datetime.now().astimezone().isoformat(timespec='seconds')} {text}\n")
        self.say(text)


