"""Optional `overrides.csv`: what head office forces in or out, chain-wide or per store.

Columns: `store_id` (empty or `*` = every store), `sku`, `rule` (`must_carry` or `must_not_carry`),
and an optional `note` shown as the reason. The result has one row per (store, sku) with the
rule and its source (CHAIN_LIST or STORE_LIST), ready for the optimizer. A store's own line
replaces the chain's line for that store (a chain must-carry can be excluded where it cannot be sold).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from planner.errors import InputError, Problem
from planner.inputs.csvfile import LINE, read_text_table
from planner.schemas import KEY, PRODUCTS, STORE_ID, STORES

RULES = ("must_carry", "must_not_carry")
OVERRIDE_COLUMNS = [*KEY, "rule", "source", "note"]
ALL_STORES = ("", "*")
CHAIN_LIST = "the head-office chain list"
STORE_LIST = "the head-office store list"


def read_overrides(data_dir: Path, stores: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """The overrides expanded to (store, sku) rows; an empty table when the file is absent."""
    path = data_dir / "overrides.csv"
    if not path.exists():
        return pd.DataFrame(columns=OVERRIDE_COLUMNS)
    label = "overrides.csv"
    table = read_text_table(path, label)
    frame = table.frame
    missing = [c for c in (STORE_ID, "sku", "rule") if c not in frame.columns]
    if missing:
        raise InputError(Problem(label, line=1, expected=f"column(s) {', '.join(missing)} in the header", found=", ".join(table.raw_headers)))
    store_ids = list(stores[STORES.store_id])
    skus = set(products[PRODUCTS.sku])
    problems, rows = [], []
    for record in frame.to_dict("records"):
        line, store, sku = int(record[LINE]), record[STORE_ID].strip(), record["sku"].strip()
        rule = record["rule"].strip().lower().replace("-", "_").replace(" ", "_")
        if store not in ALL_STORES and store not in store_ids:
            problems.append(Problem(label, line=line, column=STORE_ID, found=store, expected="a store_id from stores.csv, or empty / * for every store"))
        if sku not in skus:
            problems.append(Problem(label, line=line, column="sku", found=sku, expected="a sku from products.csv"))
        if rule not in RULES:
            problems.append(Problem(label, line=line, column="rule", found=record["rule"], expected="must_carry or must_not_carry"))
        rows.append((store, sku, rule, str(record.get("note", "")).strip(), None))
    if problems:
        raise InputError(problems)
    return expand_overrides(rows, store_ids)


def expand_overrides(lines: Sequence[tuple[str, str, str, str, str | None]], store_ids: list[str]) -> pd.DataFrame:
    """Validated (store or ""/"*", sku, rule, note, source or None) lines as one row per store and sku.

    Without a source, a line for every store comes from CHAIN_LIST and a store's line from STORE_LIST.
    """
    rows = []
    for store, sku, rule, note, source in lines:
        targets = store_ids if store in ALL_STORES else [store]
        origin = source or (CHAIN_LIST if store in ALL_STORES else STORE_LIST)
        rows += [(target, sku, rule, origin, note) for target in targets]
    overrides = pd.DataFrame(rows, columns=OVERRIDE_COLUMNS).drop_duplicates([*KEY, "rule", "source"])
    # a store's own line replaces the chain line for that store; two rules left for one pair are a conflict
    has_store_line = overrides.groupby(KEY)["source"].transform(lambda s: (s != CHAIN_LIST).any())
    overrides = overrides[~has_store_line | (overrides["source"] != CHAIN_LIST)]
    return overrides.sort_values([*KEY, "rule"]).reset_index(drop=True)
