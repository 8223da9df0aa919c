"""Read the planning workbook (`planner run DATA_DIR --planning planning.xlsx`).

The workbook replaces, for this run, the stores' shelf capacity and budget, the whole list of
must-carry / must-not-carry rules (overrides.csv), and the settings on its Settings sheet; approved
store requests are added as rules (add = must carry, drop = must not carry). Every mistake is
reported with sheet, cell and what was expected, e.g. `planning.xlsx Stores!C4: expected a positive
number, found 'viel'`; nothing is applied unless the whole workbook is valid.
"""

from __future__ import annotations

import dataclasses
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_type_hints

import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from planner.config import PlanConfig, config_from_dict
from planner.errors import ConfigError, InputError, Problem
from planner.inputs import ChainData
from planner.inputs.overrides import ALL_STORES, expand_overrides
from planner.schemas import (
    CHANGE_CHOICES,
    EDITABLE_SETTINGS,
    HEADER_ROW,
    RULE_CHOICES,
    SHEET_COLUMNS,
    STORE_ID,
    YES_NO,
)

REQUEST_SOURCE = "an approved store request"


@dataclass(frozen=True)
class PlanningEdits:
    """What the workbook changes for the run."""

    limits: pd.DataFrame  # store_id, shelf_capacity, inventory_budget
    overrides: pd.DataFrame  # inputs.overrides.OVERRIDE_COLUMNS, rules and approved requests
    config: PlanConfig


def read_planning(path: Path, chain: ChainData, config: PlanConfig) -> PlanningEdits:
    """Read and check the whole workbook; raise InputError listing every mistake by cell."""
    label = path.name
    try:
        workbook = load_workbook(path, data_only=True, read_only=True)
    except (OSError, InvalidFileException, zipfile.BadZipFile, KeyError) as exc:
        raise InputError(Problem(label, expected="an .xlsx planning workbook (planner template writes one)", found=str(exc))) from exc
    problems: list[Problem] = []
    sheets = {}
    for name, headers in SHEET_COLUMNS.items():
        if name not in workbook.sheetnames:
            problems.append(Problem(label, expected=f"a sheet named {name}", found=", ".join(workbook.sheetnames)))
            continue
        sheets[name] = _rows(workbook[name], headers, label, problems)
    workbook.close()
    if problems:
        raise InputError(problems)
    cell = _Cells(label, problems)
    store_ids, skus = list(chain.stores[STORE_ID]), set(chain.products["sku"])
    limits = []
    for row, values in sheets["Stores"]:
        store = cell.choice("Stores", "A", row, values[0], store_ids, "a store_id from stores.csv")
        shelf = cell.positive("Stores", "C", row, values[2], "a positive number of shelf units")
        budget = cell.positive("Stores", "D", row, values[3], "a positive amount in EUR")
        limits.append((store, shelf, budget))
    lines: list[tuple[str, str, str, str, str | None]] = []
    for row, values in sheets["Rules"]:
        store = _text(values[0])
        if store not in ALL_STORES:
            cell.choice("Rules", "A", row, values[0], store_ids, "a store_id from stores.csv, or * for every store")
        sku = cell.choice("Rules", "B", row, values[1], skus, "a sku from products.csv")
        rule = cell.choice("Rules", "D", row, values[3], RULE_CHOICES, " or ".join(RULE_CHOICES))
        lines.append((store, sku, rule, _text(values[4]), None))
    for row, values in sheets["Requests"]:
        store = cell.choice("Requests", "A", row, values[0], store_ids, "a store_id from stores.csv")
        sku = cell.choice("Requests", "B", row, values[1], skus, "a sku from products.csv")
        change = cell.choice("Requests", "D", row, values[3], CHANGE_CHOICES, " or ".join(CHANGE_CHOICES))
        approved = cell.choice("Requests", "E", row, values[4], YES_NO, "yes or no")
        if approved == "yes":
            rule = "must_carry" if change == "add" else "must_not_carry"
            lines.append((store, sku, rule, _text(values[5]), REQUEST_SOURCE))
    settings = _settings(sheets["Settings"], cell, config)
    if problems:
        raise InputError(problems)
    try:
        present = {section: {k: v for k, v in values.items() if v is not None} for section, values in settings.items()}
        planned = config_from_dict(present, source=f"{label} Settings")  # an absent optional key means no limit
        planned = dataclasses.replace(planned, database=config.database)  # not a setting of the sheet
    except ConfigError as exc:
        raise InputError(Problem(f"{label} Settings", expected="settings that fit together", found=str(exc))) from exc
    frame = pd.DataFrame(limits, columns=[STORE_ID, "shelf_capacity", "inventory_budget"])
    return PlanningEdits(frame, expand_overrides(lines, store_ids), planned)


def apply_planning(chain: ChainData, edits: PlanningEdits) -> ChainData:
    """The chain with the workbook's store limits and rules in place of stores.csv's and overrides.csv's."""
    stores = chain.stores.copy()
    limits = edits.limits.set_index(STORE_ID)
    changed = stores[STORE_ID].isin(limits.index)
    for column in ("shelf_capacity", "inventory_budget"):
        stores.loc[changed, column] = stores.loc[changed, STORE_ID].map(limits[column]).to_numpy()
    return dataclasses.replace(chain, stores=stores, overrides=edits.overrides)


class _Cells:
    """Checks one cell at a time and collects a Problem per mistake."""

    def __init__(self, label: str, problems: list[Problem]) -> None:
        self.label, self.problems = label, problems

    def choice(self, sheet: str, column: str, row: int, value: Any, allowed: Any, expected: str) -> str:
        """The cell's text if it is one of `allowed` (fixed choices in any letter case)."""
        text = _text(value)
        key = text.lower() if isinstance(allowed, tuple) else text
        if key not in allowed:
            self.problems.append(Problem(f"{self.label} {sheet}!{column}{row}", expected=expected, found=text))
        return key

    def positive(self, sheet: str, column: str, row: int, value: Any, expected: str) -> float:
        number = _number(value)
        if number is None or number <= 0:
            self.problems.append(Problem(f"{self.label} {sheet}!{column}{row}", expected=expected, found=_text(value)))
            return float("nan")
        return number


def _settings(rows: list[tuple[int, list[Any]]], cell: _Cells, config: PlanConfig) -> dict[str, dict[str, Any]]:
    """The config as nested dicts with the Settings sheet's values in place."""
    merged = dataclasses.asdict(config)
    del merged["database"]  # where the database is stays the run's (planning.toml or the environment)
    sections = get_type_hints(PlanConfig)
    for row, values in rows:
        section, key = _text(values[0]), _text(values[1])
        if (section, key) not in EDITABLE_SETTINGS:
            known = ", ".join(f"{s} {k}" for s, k in EDITABLE_SETTINGS)
            cell.problems.append(Problem(f"{cell.label} Settings!A{row}", expected=f"one of the settings: {known}", found=f"{section} {key}"))
            continue
        hint = str(get_type_hints(sections[section])[key])
        text, number = _text(values[2]), _number(values[2])
        optional = "None" in hint
        if text == "" and optional:
            merged[section][key] = None
        elif "int" in hint and number is not None and number >= 0 and number.is_integer():
            merged[section][key] = int(number)
        elif "float" in hint and number is not None and number >= 0:
            merged[section][key] = number
        else:
            kind = "a whole number" if "int" in hint else "a number"
            expected = f"{kind}, 0 or more" + (", or empty for no limit" if optional else "")
            cell.problems.append(Problem(f"{cell.label} Settings!C{row}", expected=expected, found=text))
    return merged


def _rows(sheet: Any, headers: list[str], label: str, problems: list[Problem]) -> list[tuple[int, list[Any]]]:
    """(Excel row number, values) for every non-empty row under the header; the header must match."""
    found = [_text(v) for v in next(sheet.iter_rows(min_row=HEADER_ROW, max_row=HEADER_ROW, values_only=True), ())]
    if found[: len(headers)] != headers:
        problems.append(Problem(f"{label} {sheet.title}!A{HEADER_ROW}", expected="the headers " + ", ".join(headers),
                                found=", ".join(found)))
        return []
    rows = []
    for number, values in enumerate(sheet.iter_rows(min_row=HEADER_ROW + 1, max_col=len(headers), values_only=True),
                                    start=HEADER_ROW + 1):
        values = list(values) + [None] * (len(headers) - len(values))
        if any(_text(v) for v in values):
            rows.append((number, values))
    return rows


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None
