"""The planning workbook (`planner template`): what head office may change, in Excel, for the next run.

Sheets: Stores (shelf capacity and budget per store), Rules (must-carry / must-not-carry, one store
or `*` for all), Requests (store requests; approved ones count), Settings (the config values head
office may change) and a hidden Lists sheet that feeds the drop-downs. `inputs.planning` reads it
back; the two share the sheet layout in planner.schemas.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from planner.config import PlanConfig
from planner.inputs.overrides import CHAIN_LIST
from planner.outputs.excel import (
    BOLD_FONT,
    HEADER_FILL,
    HEADER_FONT,
    TITLE_FONT,
    print_setup,
    safe_text,
)
from planner.outputs.files import atomic_write
from planner.schemas import (
    CHANGE_CHOICES,
    EDITABLE_SETTINGS,
    HEADER_ROW,
    KEY,
    RULE_CHOICES,
    SHEET_COLUMNS,
    STORE_ID,
    YES_NO,
)

TITLES = {
    "Stores": "Store limits: change shelf capacity and inventory budget (positive numbers)",
    "Rules": "Products head office forces in or out: Store = one store, or * for every store",
    "Requests": "Store requests: only rows with Approved = yes enter the next run",
    "Settings": "Planning settings head office may change (others stay as in planning.toml)",
}


def write_planning_template(path: Path, stores: pd.DataFrame, products: pd.DataFrame, overrides: pd.DataFrame,
                            config: PlanConfig) -> None:
    """Write the editable planning workbook, prefilled with today's limits, rules (`overrides`, as
    inputs.overrides reads them) and settings."""
    overrides_lines = rule_lines(overrides)
    names = dict(zip(products["sku"], products["name"], strict=True))
    workbook = Workbook()
    workbook.remove(workbook.active)
    lists = _lists_sheet(workbook, list(stores[STORE_ID]), list(products["sku"]))
    store_rows = [[s, n, float(c), float(b)] for s, n, c, b in
                  stores[[STORE_ID, "name", "shelf_capacity", "inventory_budget"]].itertuples(index=False)]
    sheet = _sheet(workbook, "Stores", store_rows)
    _validate(sheet, "C", DataValidation(type="decimal", operator="greaterThan", formula1="0", showErrorMessage=True,
                                         error="a positive number of shelf units"), len(store_rows))
    _validate(sheet, "D", DataValidation(type="decimal", operator="greaterThan", formula1="0", showErrorMessage=True,
                                         error="a positive amount in EUR"), len(store_rows))
    rule_rows = [[store, sku, names.get(sku, ""), rule, note] for store, sku, rule, note in
                 overrides_lines[[*KEY, "rule", "note"]].itertuples(index=False)]
    sheet = _sheet(workbook, "Rules", rule_rows, spare_rows=50)
    _list_validation(sheet, "A", lists["stores_or_all"], len(rule_rows) + 50)
    _list_validation(sheet, "B", lists["skus"], len(rule_rows) + 50)
    _list_validation(sheet, "D", lists["rules"], len(rule_rows) + 50)
    sheet = _sheet(workbook, "Requests", [], spare_rows=50)
    _list_validation(sheet, "A", lists["stores"], 50)
    _list_validation(sheet, "B", lists["skus"], 50)
    _list_validation(sheet, "D", lists["changes"], 50)
    _list_validation(sheet, "E", lists["yes_no"], 50)
    current = config.to_dict()
    setting_rows = [[section, key, current[section][key], meaning] for (section, key), meaning in EDITABLE_SETTINGS.items()]
    _sheet(workbook, "Settings", setting_rows)
    workbook.move_sheet("Lists", offset=len(workbook.sheetnames) - 1)  # last, hidden
    atomic_write(path, lambda tmp: workbook.save(tmp))


def rule_lines(overrides: pd.DataFrame) -> pd.DataFrame:
    """Overrides (one row per store) back as the lines head office wrote: store_id "*" for a chain line."""
    chain = overrides["source"] == CHAIN_LIST
    lines = pd.concat([overrides[chain].assign(store_id="*").drop_duplicates(["sku", "rule", "note"]), overrides[~chain]])
    return lines[[*KEY, "rule", "note"]].sort_values(KEY).reset_index(drop=True)


def _sheet(workbook: Workbook, name: str, rows: list[list[Any]], *, spare_rows: int = 0) -> Worksheet:
    """Title, header and rows as an Excel table (with `spare_rows` empty rows to fill in), frozen header."""
    sheet = workbook.create_sheet(name)
    safe_text(sheet.cell(row=1, column=1), TITLES[name])
    sheet.cell(row=1, column=1).font = TITLE_FONT
    headers = SHEET_COLUMNS[name]
    for col, header in enumerate(headers, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=col)
        safe_text(cell, header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        sheet.column_dimensions[get_column_letter(col)].width = 48 if header in ("Meaning", "Note", "Product") else 22
    for r, values in enumerate(rows, start=HEADER_ROW + 1):
        for col, value in enumerate(values, start=1):
            if isinstance(value, str):
                safe_text(sheet.cell(row=r, column=col), value)
            elif value is not None:
                sheet.cell(row=r, column=col, value=value)
    last = HEADER_ROW + max(len(rows) + spare_rows, 1)
    table = Table(displayName=f"Planning_{name}", ref=f"A{HEADER_ROW}:{get_column_letter(len(headers))}{last}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    sheet.add_table(table)
    print_setup(sheet, HEADER_ROW)
    return sheet


def _lists_sheet(workbook: Workbook, store_ids: list[str], skus: list[str]) -> dict[str, str]:
    """A hidden sheet with the drop-down choices; returns list name -> absolute range."""
    sheet = workbook.create_sheet("Lists")
    sheet.sheet_state = "hidden"
    columns = {"stores": store_ids, "stores_or_all": ["*", *store_ids], "skus": skus, "rules": list(RULE_CHOICES),
               "changes": list(CHANGE_CHOICES), "yes_no": list(YES_NO)}
    ranges = {}
    for col, (name, values) in enumerate(columns.items(), start=1):
        sheet.cell(row=1, column=col, value=name).font = BOLD_FONT
        for r, value in enumerate(values, start=2):
            safe_text(sheet.cell(row=r, column=col), str(value))
        letter = get_column_letter(col)
        ranges[name] = f"Lists!${letter}$2:${letter}${len(values) + 1}"
    return ranges


def _list_validation(sheet: Worksheet, column: str, source: str, rows: int) -> None:
    _validate(sheet, column, DataValidation(type="list", formula1=f"={source}", allow_blank=True, showErrorMessage=True,
                                            error="choose a value from the list"), rows)


def _validate(sheet: Worksheet, column: str, validation: DataValidation, rows: int) -> None:
    sheet.add_data_validation(validation)
    validation.add(f"{column}{HEADER_ROW + 1}:{column}{HEADER_ROW + max(rows, 1)}")
