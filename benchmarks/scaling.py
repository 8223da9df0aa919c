"""The scaling table of benchmarks/optimizer.py --scaling: each stores x products size planned serially,
in local worker processes (one per core) and on a Dask LocalCluster (one single-thread worker process per
core), in the same run.

Chains are generated once per product count (planner.examples, through the real profiles, in a child
process) at the largest store count that is a generated one's divisor: 30 x 5,000 is the first 30 stores of
100 x 5,000, and 300 x 10,000 is 100 x 10,000's stores three times over (store ids renamed; each store
keeps its own limits), so the table measures the optimizer, not the generator. Each plan runs in a fresh
child process (planning.plan: the candidates, the store models, the core repair and the bound; no
baselines). Peak memory is the largest sum of resident memory over every process the run starts (the
planner's, its store workers', the LocalCluster's), sampled every 0.2 s, and the planner's own peak.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import sys
import tempfile
import threading
import time
import types
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
from optimizer import generate, peak_mib, reset_peak_memory, say

from planner import PlanConfig, PlanningProblem
from planner.config import SolverConfig
from planner.optimize import plan

MODES = ("serial", "processes", "cluster")


def scaling_table(sizes_text: str, weeks: int, seed: int, time_limit: float, serial_up_to: int, json_path: Path | None) -> None:
    """Plan every size in every mode, print the table, and write it to `json_path`."""
    sizes = [tuple(int(n) for n in size.split("x")) for size in sizes_text.split(",")]
    cores = os.cpu_count() or 1
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        chains = {products: _generated(tmp, products, max(s for s, p in sizes if p == products), weeks, seed)
                  for products in sorted({p for _s, p in sizes})}
        for stores, products in sizes:
            modes = [mode for mode in MODES if mode != "serial" or stores <= serial_up_to]
            for mode in modes:
                say(f"--- {stores} stores x {products} products, {mode}")
                rows.append({"stores": stores, "products": products, "mode": mode,
                             **_measured(chains[products], stores, mode, cores, time_limit)})
    _print(rows, cores)
    if json_path:
        json_path.write_text(json.dumps(rows, indent=2))


def _generated(tmp: str, products: int, stores: int, weeks: int, seed: int) -> Path:
    """The pickled planning inputs of a generated chain of `stores` x `products` (a divisor of every size asked,
    up to replication: 300 stores come from 100)."""
    base = stores if stores <= 100 else 100
    folder = Path(tmp) / f"chain-{products}"
    folder.mkdir()
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
        return child.submit(generate, folder, base, products, weeks, seed).result()


def _measured(path: Path, stores: int, mode: str, cores: int, time_limit: float) -> dict[str, Any]:
    """One plan of `stores` stores of the pickled chain in a child process, with the peak memory of all its processes."""
    peak = _PeakSampler()
    peak.start()
    try:
        if mode == "cluster":
            from distributed import LocalCluster

            with _command_line_main(), LocalCluster(n_workers=cores, threads_per_worker=1, processes=True,
                                                    host="127.0.0.1", dashboard_address=":0") as cluster:
                row = _in_child(path, stores, SolverConfig(time_limit_seconds=time_limit, cluster=cluster.scheduler_address))
        else:
            row = _in_child(path, stores, SolverConfig(time_limit_seconds=time_limit, workers=1 if mode == "serial" else 0))
    finally:
        peak.stop()
    return {**row, "peak_total_mib": peak.peak_mib}


def _in_child(path: Path, stores: int, solver: SolverConfig) -> dict[str, Any]:
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:  # not a daemon: it starts workers
        return child.submit(plan_stores, path, stores, solver).result()


def plan_stores(path: Path, stores: int, solver: SolverConfig) -> dict[str, Any]:
    """Plan the first `stores` stores of the pickled chain (its stores repeated, renamed, up to that many); in a child process."""
    reset_peak_memory()
    profiles, store_table, products, substitutes, overrides = pickle.loads(path.read_bytes())
    profiles, store_table, overrides = _stores([profiles, store_table, overrides], list(store_table["store_id"]), stores)
    assert profiles is not None and store_table is not None
    problem = PlanningProblem(profiles, store_table, products, PlanConfig(solver=solver), substitutes=substitutes, overrides=overrides)
    mark = time.perf_counter()
    chosen = plan(problem, progress=lambda text: say(f"  {text}"))
    return {"build_s": chosen.timings["inputs"], "solve_s": chosen.timings["plan"], "wall_s": time.perf_counter() - mark,
            "status": str(chosen.solve.status), "gap": chosen.solve.mip_gap, "objective": chosen.solve.objective,
            "fallback_stores": len(chosen.solve.fallback_stores), "planner_peak_mib": peak_mib()}


def _stores(tables: list[pd.DataFrame | None], ids: list[str], count: int) -> list[pd.DataFrame | None]:
    """Each table's lines of the chain's first `count` stores; past its own, its stores again under new ids (S101, ...)."""
    copies = [{sid: sid if start == 0 else f"S{start + n + 1:03d}" for n, sid in enumerate(ids[: count - start])}
              for start in range(0, count, len(ids))]

    def take(table: pd.DataFrame | None) -> pd.DataFrame | None:
        if table is None:
            return None
        return pd.concat([table[table["store_id"].isin(list(renamed))].assign(store_id=lambda t, r=renamed: t["store_id"].map(r))
                          for renamed in copies], ignore_index=True)

    return [take(table) for table in tables]


class _PeakSampler:
    """The largest sum of resident memory over this process's descendants (not itself), sampled in a thread."""

    def __init__(self) -> None:
        self.peak_mib = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.peak_mib = max(self.peak_mib, sum(_rss_mib(pid) for pid in _descendants(os.getpid())))


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _rss_mib(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    return next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmRSS")), 0.0)


class _command_line_main:  # noqa: N801 (a context manager named for what it gives)
    """A plain __main__ while the LocalCluster spawns its workers (they import the parent's __main__)."""

    def __enter__(self) -> None:
        self._saved = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")

    def __exit__(self, *_exc: object) -> None:
        sys.modules["__main__"] = self._saved


def _print(rows: list[dict[str, Any]], cores: int) -> None:
    print(f"scaling on {cores} cores: build and solve of the plan (no baselines), peak resident memory of all processes")
    print(f"{'size':>14s} {'mode':>10s} {'build':>8s} {'solve':>8s} {'gap':>9s} {'status':>9s} {'fallback':>8s} "
          f"{'planner':>9s} {'all procs':>10s} {'speed-up':>9s}")
    for row in rows:
        same = [r for r in rows if (r["stores"], r["products"]) == (row["stores"], row["products"])]
        first = same[0]
        speed = f"{first['solve_s'] / row['solve_s']:.2f}x" if row is not first else "-"
        print(f"{row['stores']:>5d} x {row['products']:>6,d} {row['mode']:>10s} {row['build_s']:7.1f}s {row['solve_s']:7.1f}s "
              f"{100 * (row['gap'] or 0):8.3f}% {row['status']:>9s} {row['fallback_stores']:>8d} "
              f"{row['planner_peak_mib']:7,.0f}MB {row['peak_total_mib']:8,.0f}MB {speed:>9s}")
    print(f"speed-up: solve time of the size's first mode over this mode's; {cores} cores")
