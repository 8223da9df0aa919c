"""The what-if basis of a published plan as Parquet and JSON files: versioned, and nothing in them runs code.

A run writes its optimize.WhatIfBasis into a folder of the run folder (WHAT_IF_DIR); the app reads
it back for the What-if and Why pages. The folder holds:

    manifest.json         format_version and planner_version; written last, read first
    inputs.json           ModelInputs' scalars (mode, listed_elsewhere, fixed_core) and the layout of each table
    config.json           PlanConfig.to_dict() without [database] (a what-if needs no database)
    tokens.json           ModelInputs.tokens as [id, token] pairs, in order
    <field>.parquet       one per table, Series or Index of ModelInputs (index levels as columns)
    plan.parquet          the plan's lines: store_id, sku, role

Raise FORMAT_VERSION whenever what is written changes (a ModelInputs field added, dropped or
changed in meaning): a planner refuses a basis of any other format with StalePublishedPlan, which
tells the user to re-run the weekly plan, instead of failing inside the app.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from types import NoneType
from typing import Any, TypeVar, get_type_hints

import pandas as pd
import pyarrow as pa

from planner.config import PlanConfig, config_from_dict
from planner.errors import ConfigError, StalePublishedPlan, shown
from planner.optimize import WhatIfBasis
from planner.optimize.inputs import ModelInputs
from planner.schemas import Mode

FORMAT_VERSION = 2  # of the files below; raise it with every change to them
WHAT_IF_DIR = "whatif"  # the folder in a run folder
MANIFEST_FILE = "manifest.json"
INPUTS_FILE = "inputs.json"
CONFIG_FILE = "config.json"
TOKENS_FILE = "tokens.json"
PLAN_TABLE = "plan"  # plan.parquet
TABLE_FIELDS = ("stores", "shelf_capacity", "inventory_budget", "pairs", "all_pairs", "core_skus", "category_minimum", "flows", "excluded")
JSON_FIELDS = ("mode", "config", "tokens", "listed_elsewhere", "fixed_core")  # every other ModelInputs field
VALUE_COLUMN = "__value__"  # the column that holds a Series' values
T = TypeVar("T")
RERUN = "re-run the weekly plan (planner run DATA_DIR --out OUT_DIR)"


def write_basis(folder: Path, basis: WhatIfBasis) -> None:
    """Write `basis` into `folder` (created; it must not exist yet), the manifest last."""
    folder.mkdir(parents=True)
    inputs = basis.inputs
    layouts = {name: _write_table(folder, name, getattr(inputs, name)) for name in TABLE_FIELDS}
    layouts[PLAN_TABLE] = _write_table(folder, PLAN_TABLE, basis.plan)
    scalars = {"mode": inputs.mode, "listed_elsewhere": sorted(inputs.listed_elsewhere), "fixed_core": sorted(inputs.fixed_core),
               "tables": layouts}
    _write_json(folder / INPUTS_FILE, scalars)
    config = inputs.config.to_dict()
    del config["database"]  # to_dict masks a password; the reader restores the defaults
    _write_json(folder / CONFIG_FILE, config)
    _write_json(folder / TOKENS_FILE, [[key, token] for key, token in inputs.tokens.items()])
    _write_json(folder / MANIFEST_FILE, {"format_version": FORMAT_VERSION, "planner_version": planner_version()})


def read_basis(folder: Path) -> WhatIfBasis:
    """Read what write_basis wrote. Raises StalePublishedPlan when the folder is missing, written in
    another format (an older or newer planner), or cannot be read."""
    if not folder.is_dir():
        msg = f"no what-if data in the published plan: {RERUN}"
        raise StalePublishedPlan(msg)
    _check_manifest(folder / MANIFEST_FILE)
    scalars = _load(INPUTS_FILE, lambda: _scalars(_read_json(folder / INPUTS_FILE)))
    tables = {name: _load(f"{name}.parquet", functools.partial(_read_table, folder, name, scalars["tables"][name]))
              for name in (*TABLE_FIELDS, PLAN_TABLE)}
    config = _load(CONFIG_FILE, lambda: _config(_read_json(folder / CONFIG_FILE)))
    tokens = _load(TOKENS_FILE, lambda: {key: token for key, token in _read_json(folder / TOKENS_FILE)})
    plan = tables.pop(PLAN_TABLE)
    inputs = ModelInputs(mode=scalars["mode"], config=config, tokens=tokens, listed_elsewhere=scalars["listed_elsewhere"],
                         fixed_core=scalars["fixed_core"], **tables)
    return WhatIfBasis(inputs, plan)


def planner_version() -> str:
    """The installed planner's version ("unknown" when run from a source tree that is not installed)."""
    try:
        return metadata.version("planner")
    except metadata.PackageNotFoundError:
        return "unknown"


def _check_manifest(path: Path) -> None:
    """Refuse a basis without a manifest, or of another format than FORMAT_VERSION."""
    if not path.exists():
        msg = f"the published plan was written by an unknown planner (no what-if manifest); this version reads format {FORMAT_VERSION}: {RERUN}"
        raise StalePublishedPlan(msg)
    try:
        manifest = _read_json(path)
    except (OSError, ValueError) as exc:
        msg = f"the published plan has an unreadable what-if manifest ({shown(str(exc))}); this version reads format {FORMAT_VERSION}: {RERUN}"
        raise StalePublishedPlan(msg) from exc
    manifest = manifest if isinstance(manifest, dict) else {}
    found = manifest.get("format_version")
    if type(found) is not int or found != FORMAT_VERSION:
        written = shown(str(manifest.get("planner_version", "unknown")))
        msg = (f"the published plan was written by planner {written} (what-if format {shown(str(found))}); "
               f"this version reads format {FORMAT_VERSION}: {RERUN}")
        raise StalePublishedPlan(msg)


def _load(name: str, read: Callable[[], T]) -> T:
    """read(), with a file that is missing or not as this version writes it reported as StalePublishedPlan."""
    try:
        return read()
    except (OSError, ValueError, KeyError, TypeError, AttributeError, pa.ArrowException, ConfigError) as exc:
        msg = f"the published plan's what-if data cannot be read ({name}: {shown(' '.join(str(exc).split()))}): {RERUN}"
        raise StalePublishedPlan(msg) from exc


def _scalars(values: dict[str, Any]) -> dict[str, Any]:
    """inputs.json, checked: mode a Mode (ValueError otherwise), listed_elsewhere and fixed_core frozensets, a layout for every table."""
    if not isinstance(values.get("mode"), str):
        msg = "mode is not a string"
        raise TypeError(msg)
    mode = Mode(values["mode"])
    missing = [name for name in (*TABLE_FIELDS, PLAN_TABLE) if name not in values["tables"]]
    if missing:
        msg = f"no layout for {', '.join(missing)}"
        raise KeyError(msg)
    return {**values, "mode": mode, "listed_elsewhere": frozenset(values["listed_elsewhere"]), "fixed_core": frozenset(values["fixed_core"])}


def _write_table(folder: Path, name: str, value: pd.DataFrame | pd.Series | pd.Index) -> dict[str, Any]:
    """Write a frame, Series or Index as name.parquet with its index levels as columns; returns its layout."""
    if isinstance(value, pd.DataFrame):
        kind, frame = "frame", value
    elif isinstance(value, pd.Series):
        kind, frame = "series", value.to_frame(VALUE_COLUMN)
    else:
        kind, frame = "index", pd.DataFrame(index=value)
    layout: dict[str, Any] = {"kind": kind}
    if kind == "series":
        layout["name"] = value.name
    index = frame.index
    if kind != "index" and isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1 and index.name is None:
        layout["index"], flat = [], frame.reset_index(drop=True)  # read back as the same RangeIndex
    else:
        columns = [level if level is not None else f"__index_{i}__" for i, level in enumerate(index.names)]
        layout["index"], layout["index_names"] = columns, list(index.names)
        flat = frame.set_axis(index.set_names(columns), axis=0).reset_index()
    flat.to_parquet(folder / f"{name}.parquet", engine="pyarrow", index=False)
    return layout


def _read_table(folder: Path, name: str, layout: dict[str, Any]) -> pd.DataFrame | pd.Series | pd.Index:
    """The frame, Series or Index _write_table wrote, with the same dtypes and index names."""
    frame = pd.read_parquet(folder / f"{name}.parquet", engine="pyarrow")
    if layout["index"]:
        frame = frame.set_index(layout["index"])
        frame.index = frame.index.set_names(layout["index_names"])
    if layout["kind"] == "index":
        return frame.index
    if layout["kind"] == "series":
        return frame[VALUE_COLUMN].rename(layout["name"])
    return frame


def _config(values: dict[str, dict[str, Any]]) -> PlanConfig:
    """PlanConfig from config.json: checked by config_from_dict; settings that are None (no limit),
    which a TOML file cannot hold, are put back afterwards; [database] gets its defaults."""
    values = {section: keys for section, keys in values.items() if section != "database"}
    config = config_from_dict({section: {k: v for k, v in keys.items() if v is not None} for section, keys in values.items()},
                              source=CONFIG_FILE)
    for section, keys in values.items():
        unset = [key for key, value in keys.items() if value is None]
        if unset:
            part = getattr(config, section)
            hints = get_type_hints(type(part))
            for key in unset:
                if key not in hints or NoneType not in getattr(hints[key], "__args__", ()):
                    msg = f"{CONFIG_FILE}: [{section}] {key} cannot be empty"
                    raise ConfigError(msg)
            config = dataclasses.replace(config, **{section: dataclasses.replace(part, **dict.fromkeys(unset))})
    return config


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
