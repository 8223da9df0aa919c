"""load_chain: the masters, the POS exports and the checks between them, into one validated ChainData."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from planner.config import PlanConfig
from planner.errors import InputError, Problem
from planner.inputs.checks import (
    check_assortment,
    check_long_text,
    check_products,
    check_store_coverage,
)
from planner.inputs.masters import read_assortment, read_products, read_stores
from planner.inputs.overrides import read_overrides
from planner.inputs.pos import PosReport, read_pos
from planner.schemas import PRODUCTS, STORES


@dataclass
class ChainData:
    """Everything the later stages need, validated and typed."""

    stores: pd.DataFrame  # STORES columns + extra attribute columns (text)
    products: pd.DataFrame  # PRODUCTS columns + extra columns (text)
    assortment: pd.DataFrame | None  # store_id, sku listed today; None if assortment.csv is absent
    overrides: pd.DataFrame  # inputs.overrides.OVERRIDE_COLUMNS, one row per store and product (may be empty)
    weekly: pd.DataFrame  # inputs.weekly.WEEKLY_COLUMNS
    store_days: pd.DataFrame  # store_id, date: days with POS data
    pos_report: PosReport
    warnings: list[str]
    cards: pd.DataFrame  # inputs.weekly.CARD_LINE_COLUMNS: lines on a loyalty card, card = pseudonym; empty without cards

    @property
    def has_cards(self) -> bool:
        """Whether any till gives loyalty cards."""
        return not self.cards.empty

    @property
    def store_ids(self) -> list[str]:
        """Store ids in stores.csv order."""
        return list(self.stores[STORES.store_id])


def load_chain(
    data_dir: Path,
    config: PlanConfig,
    *,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
    engine: str | None = None,
) -> ChainData:
    """Read stores.csv, products.csv, assortment.csv and overrides.csv (optional) and every POS file below pos/.

    `engine` ("duckdb" or "pandas") overrides [pos] engine of the config.
    """
    if not data_dir.is_dir():
        raise InputError(Problem(str(data_dir), expected="a data folder with stores.csv, products.csv and pos/"))
    warnings: list[str] = []
    stores = read_stores(data_dir)
    products = read_products(data_dir)
    check_products(products, stores, warnings)
    check_long_text("stores.csv", stores, warnings)
    check_long_text("products.csv", products, warnings)
    assortment = read_assortment(data_dir)
    if assortment is not None:
        assortment = check_assortment(assortment, stores, products, warnings)
    overrides = read_overrides(data_dir, stores, products)
    pos = read_pos(
        data_dir,
        store_ids=set(stores[STORES.store_id]),
        skus=set(products[PRODUCTS.sku]),
        header_map=config.pos.columns,
        today=today or date.today(),
        engine=engine or config.pos.engine,
        progress=progress,
    )
    if pos.weekly.empty:
        expected = "POS lines for products in products.csv; every line names an unknown SKU"
        raise InputError(Problem("pos/", expected=expected, found=f"{pos.report.counts.unknown_sku_lines} lines"))
    check_store_coverage(stores, pos.weekly, warnings)
    warnings.extend(pos_warnings(pos.report))
    return ChainData(stores, products, assortment, overrides, pos.weekly, pos.store_days, pos.report, warnings, pos.cards)


def chain_before(chain: ChainData, cutoff: pd.Timestamp) -> ChainData:
    """The chain as it was before `cutoff`: POS weeks and trading days from then on left out."""
    return dataclasses.replace(
        chain,
        weekly=chain.weekly[chain.weekly["week_start"] < cutoff].reset_index(drop=True),
        store_days=chain.store_days[chain.store_days["date"] < cutoff].reset_index(drop=True),
        cards=chain.cards[chain.cards["date"] < cutoff].reset_index(drop=True),
    )


def pos_warnings(report: PosReport) -> list[str]:
    """What reading the POS exports left out or changed, in words (nothing of it stops the run)."""
    warnings: list[str] = []
    if report.counts.unknown_sku_lines:
        unknown = sorted(report.counts.unknown_skus.items(), key=lambda item: (-item[1], item[0]))  # the most frequent first
        top = ", ".join(f"{sku} ({n} line{'s' if n != 1 else ''})" for sku, n in unknown[:8])
        top += f" and {len(unknown) - 8} more SKUs" if len(unknown) > 8 else ""
        warnings.append(
            f"POS: {report.counts.unknown_sku_lines} lines ({report.counts.unknown_sku_units:g} units) name SKUs missing from "
            f"products.csv and are left out of demand: {top}"
        )
    if report.counts.bulk_lines:
        warnings.append(
            f"POS: {report.counts.bulk_lines} one-off bulk lines counted as a usual line "
            f"({report.counts.bulk_units:g} units left out of demand)"
        )
    warnings.extend(str(replaced) for replaced in report.replaced)
    if report.cache_problem:
        warnings.append(report.cache_problem)
    if report.card_key_problem:
        warnings.append(report.card_key_problem)
    if report.counts.return_lines:
        warnings.append(f"POS: {report.counts.return_lines} return lines ({report.counts.return_units:g} units) netted against sales")
    for info in report.files:
        if info.skipped_reason:
            warnings.append(f"{info.file}: not read again, {info.skipped_reason}")
        if info.blank_lines:
            warnings.append(f"{info.file}: {info.blank_lines} blank lines ignored")
    return warnings
