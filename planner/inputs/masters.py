"""Read the store master, the product master and the current assortment into validated tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from planner.errors import InputError, Problem
from planner.inputs.csvfile import LINE, read_text_table, refuse_link_outside
from planner.inputs.parse import parse_columns
from planner.schemas import ASSORTMENT, PRODUCTS, STORES, Table


def read_master(path: Path, table: Table, label: str) -> pd.DataFrame:
    """Read one master file: required columns present, every value valid, the key unique.

    The result keeps extra columns as text and a `_line` column with each row's line number.
    """
    if not path.exists():
        raise InputError(Problem(label, expected=f"the file {table.name} (columns: {', '.join(table.required)})"))
    refuse_link_outside(path, path.parent, label)
    text_table = read_text_table(path, label)
    frame = text_table.frame
    if table.max_rows is not None and len(frame) > table.max_rows:
        raise InputError(Problem(label, line=int(frame[LINE].iloc[table.max_rows]),
                                 expected=f"at most {table.max_rows:,} {table.row_noun} (the planner is built for a small chain; "
                                          "plan a bigger one region by region)", found=f"{len(frame):,} {table.row_noun}"))
    missing = [name for name in table.required if name not in frame.columns]
    frame = frame.assign(**{name: "" for name in table.names if name not in frame.columns})
    if missing:
        found = ", ".join(text_table.raw_headers)
        raise InputError(
            Problem(label, line=1, expected=f"column(s) {', '.join(missing)} in the header", found=found)
        )
    typed, problems = parse_columns(frame, table, label, decimal_comma=text_table.separator == ";")
    if table.key:
        duplicated = typed.duplicated(list(table.key), keep="first")
        for _, row in typed[duplicated].head(20).iterrows():
            key = ", ".join(f"{k}={row[k]}" for k in table.key)
            problems.append(Problem(label, line=int(row[LINE]), column=table.key[-1], found=key, expected="a unique key, first seen earlier in the file"))
    if problems:
        raise InputError(problems)
    return typed.reset_index(drop=True)


def read_stores(data_dir: Path) -> pd.DataFrame:
    """`stores.csv`: one row per store with shelf capacity (shelf units) and inventory budget (EUR);
    a store without a name is called by its id."""
    stores = read_master(data_dir / "stores.csv", STORES, "stores.csv")
    stores["name"] = stores["name"].where(stores["name"] != "", stores[STORES.store_id])
    return stores


def read_products(data_dir: Path) -> pd.DataFrame:
    """`products.csv`: one row per product; `fresh` is 0/1, prices in EUR, shelf space in shelf units."""
    products = read_master(data_dir / "products.csv", PRODUCTS, "products.csv")
    products[PRODUCTS.case_pack] = products[PRODUCTS.case_pack].astype("int64")
    products[PRODUCTS.fresh] = products[PRODUCTS.fresh].astype(bool)
    return products


def read_assortment(data_dir: Path) -> pd.DataFrame | None:
    """Optional `assortment.csv`: which store lists which product today. None when the file is absent."""
    path = data_dir / "assortment.csv"
    if not path.exists():
        return None
    return read_master(path, ASSORTMENT, "assortment.csv")
