"""Every table that crosses a stage boundary, declared once, with units.

Inputs (read and checked by planner.inputs): STORES, PRODUCTS, ASSORTMENT, POS. Between the stages:
PROFILES (profiles -> optimize), PLAN, CHANGES and STORE_PLAN (optimize -> outputs), FLOWS (the
substitution flows inside optimize). The kinds of values a column may hold are enums (Role, Change,
Mode). Code refers to columns through these declarations (`PRODUCTS.price` is the string "price"),
so a column is named in one place and its unit and meaning are documented next to it;
`frame_problems` checks a frame against its declaration (the boundary tests call it).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

import pandas as pd

Kind = Literal["label", "id", "text", "int", "number", "flag", "date"]
STORE_ID = "store_id"  # the store column of every table below
KEY = [STORE_ID, "sku"]  # the key of every store x product table


class Role(StrEnum):
    """What a carried product is in a store's plan."""

    CORE = "core"  # a fresh product carried in every store (optimize.baselines.with_roles decides it)
    ADDON = "addon"  # carried in this store only


class Change(StrEnum):
    """What happens to a store-product pair between today's range and the plan."""

    KEEP = "keep"
    ADD = "add"
    DROP = "drop"


class Mode(StrEnum):
    """What a set of model inputs plans."""

    CHAIN = "chain"  # every store and the core together (the weekly plan)
    STORE = "store"  # one store, the core and the other stores fixed (the what-if)
EARLIEST_DATE = "1990-01-01"  # an older sale date is a typo or a placeholder (0001-01-01), refused


@dataclass(frozen=True)
class Column:
    """One column of an input table: its type, lower bound and unit."""

    name: str
    kind: Kind
    unit: str = ""
    description: str = ""
    minimum: float | None = None  # smallest allowed value
    strictly_positive: bool = False  # minimum excluded (value must be > minimum)
    maximum: float | None = None  # largest plausible value: above it is a typo or a hostile file, refused
    values: type[StrEnum] | None = None  # the only values allowed, for a column of labels

    def expectation(self) -> str:
        """What a valid value looks like, in words, for error messages."""
        words = {
            "id": "a non-empty identifier",
            "text": "a non-empty text",
            "label": "a text (may be empty)",
            "int": "a whole number",
            "number": "a number",
            "flag": "0 or 1",
            "date": f"a date from {EARLIEST_DATE} (YYYY-MM-DD, DD.MM.YYYY, DD/MM/YYYY or MM/DD/YYYY)",
        }[self.kind]
        if self.kind in ("int", "number"):
            low, high = self.minimum, self.maximum
            if low is not None and high is not None and not self.strictly_positive and low < 0:
                return f"{words} from {_amount(low)} to {_amount(high)}"
            if low is not None and self.strictly_positive and low == 0:
                words = f"a positive {words.removeprefix('a ')}"
            elif low is not None and self.strictly_positive:
                words += f" above {_amount(low)}"
            elif low == 0:
                words += " of 0 or more"
            elif low is not None:
                words += f" of at least {_amount(low)}"
            if high is not None:
                words += f" up to {_amount(high)}"
        return words


def _amount(value: float) -> str:
    """1,000,000 for whole numbers, 0.5 otherwise."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:g}"


@dataclass(frozen=True)
class Table:
    """An input table: required columns in contract order; more columns are allowed and kept."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    max_rows: int | None = None  # more rows than this is not a small chain's file (or a runaway export), refused
    row_noun: str = "rows"

    def __getattr__(self, item: str) -> str:
        for column in self.columns:
            if column.name == item:
                return column.name
        raise AttributeError(item)

    @property
    def names(self) -> list[str]:
        """The contract's column names, in contract order."""
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        """The column names a file must have (a descriptive "label" column may be left out)."""
        return [c.name for c in self.columns if c.kind != "label"]


STORES = Table(
    "stores.csv",
    (
        Column("store_id", "id", description="store identifier, read as text"),
        Column("name", "label", description="optional: shown with the store id (the id when empty)"),
        Column("town", "label", description="optional"),
        Column("shelf_capacity", "number", "shelf units", "shelf space available for the planned range", 0, True, 10_000_000),
        Column("inventory_budget", "number", "EUR", "inventory the store may tie up (see README)", 0, True, 10_000_000_000),
    ),
    key=("store_id",),
    max_rows=5_000,  # store similarity is a stores x stores matrix; a bigger chain is planned region by region
    row_noun="stores",
)

PRODUCTS = Table(
    "products.csv",
    (
        Column("sku", "id", description="product identifier, read as text (leading zeros kept)"),
        Column("name", "text"),
        Column("category", "text"),
        Column("fresh", "flag", description="1 = fresh (perishable, eligible for the core)"),
        Column("price", "number", "EUR per unit", "regular shelf price incl. VAT", 0, True, 100_000),
        Column("unit_cost", "number", "EUR per unit", "purchase cost", 0, maximum=100_000),
        Column("shelf_space", "number", "shelf units", "space one listing takes on the shelf", 0, True, 10_000),
        Column("case_pack", "int", "units", "units per delivered case", 1, maximum=10_000),
        Column("shelf_life_days", "number", "days", "days a unit can be sold after delivery (half a day or more)", 0.5, False, 3_650),
    ),
    key=("sku",),
    max_rows=100_000,
    row_noun="products",
)

ASSORTMENT = Table(
    "assortment.csv",
    (Column("store_id", "id"), Column("sku", "id")),
    key=("store_id", "sku"),
)

POS = Table(
    "POS export",
    (
        Column("date", "date", "day", "sale day; for a weekly total the first day of the week"),
        Column("store_id", "id"),
        Column("sku", "id"),
        Column("units", "number", "units", "units sold; negative = return", -1_000_000, maximum=1_000_000),
        Column("revenue", "number", "EUR", "till revenue of the line; negative for a return", -100_000_000, maximum=100_000_000),
    ),
)

POS_PROMO = Column("promo", "flag", description="optional: 1 = the line was sold on promotion")
POS_CARD = Column("card", "label", description="optional: the loyalty card the line was rung up on; empty = no card")
POS_RECEIPT = Column("receipt", "label", description="optional: the receipt (basket) the line belongs to")
CARD_ID_MAX_LENGTH = 64  # characters: a longer card or receipt id is a shifted column or garbage, refused

# Output: one row per store and carried product; these columns come first, in this order.
PLAN_COLUMNS = [
    "store_id",
    "sku",
    "name",
    "category",
    "role",  # "core" (carried in every store) or "addon" (this store only)
    "expected_units_per_week",  # units / week
    "expected_profit_per_week",  # EUR / week, gross margin minus expected fresh waste cost
    "shelf_space",  # shelf units
    "inventory_cost",  # EUR tied up (see README: inventory definition)
    "reason",
]



def _ids() -> tuple[Column, Column]:
    return Column("store_id", "id"), Column("sku", "id")


_WEEKLY_UNITS, _WEEKLY_EUR = "units / week", "EUR / week"

# profiles -> optimize: one row per store and product of the chain (profiles.build_profiles)
PROFILES = Table("profiles", (
    *_ids(),
    Column("category", "text"),
    Column("fresh", "flag"),
    Column("listed_now", "flag", description="carried today (assortment.csv, else sold in the last weeks)"),
    Column("source", "text", description="own history, or other stores (a product the store does not sell yet)"),
    Column("demand_class", "text", description="smooth, intermittent, lumpy, erratic, ... (profiles.demand)"),
    Column("forecast_method", "text", description="the method that gave units_per_week"),
    Column("weeks_observed", "int", "weeks", minimum=0),
    Column("evidence_stores", "int", "stores", "stores whose sales the estimate rests on", 0),
    Column("units_per_week", "number", _WEEKLY_UNITS, "expected regular (non-promotion) demand", 0),
    Column("sd_units_per_week", "number", _WEEKLY_UNITS, "week-to-week spread of demand", 0),
    Column("uncertainty_units_per_week", "number", _WEEKLY_UNITS, "standard error of units_per_week", 0),
    Column("trend_pct_per_week", "number", "% / week"),
    Column("gap_weeks", "int", "weeks", "listed weeks without a sale, left out of the rate", 0),
    Column("promo_weeks", "int", "weeks", "deal weeks, left out of the regular rate", 0),
    Column("weeks_since_first_sale", "int", "weeks", minimum=0),
    Column("new_listing_haircut", "number", "share", "part of the similar stores' rate trusted for a new listing", 0, maximum=1),
    Column("chain_units_per_week", "number", _WEEKLY_UNITS, "mean over the stores that carry it", 0),
    Column("local_index", "number", "ratio", "this store's rate against the chain's, 1 = as the chain", 0),
    Column("category_index", "number", "ratio", "this store's category share against the chain's", 0),
    Column("similar_stores_units_per_week", "number", _WEEKLY_UNITS, "what units_per_week would be from similar stores alone (no customer segments)", 0),
    Column("cycle_days", "number", "days", "days between deliveries", 0),
    Column("order_up_to", "number", "units", "the level a delivery fills the shelf to", 0),
    Column("order_units", "number", "units", "units per delivery", 0),
    Column("lost_units_per_week", "number", _WEEKLY_UNITS, "demand the shelf cannot serve", 0),
    Column("waste_units_per_week", "number", _WEEKLY_UNITS, "units that expire on the shelf", 0),
    Column("waste_cost_per_week", "number", _WEEKLY_EUR, "their purchase cost", 0),
    Column("inventory_cost", "number", "EUR", "inventory tied up on average", 0),
    Column("margin_per_unit", "number", "EUR / unit", "price minus unit cost"),
    Column("promo_profit_per_week", "number", _WEEKLY_EUR, "what deal weeks add"),
    Column("profit_per_week", "number", _WEEKLY_EUR, "margin on expected sales minus waste cost"),
    Column("walk_away_cost_per_week", "number", _WEEKLY_EUR, "loyal cardholders' basket margin at risk if a listed product goes (customers.risk)", 0),
), key=tuple(KEY))

# optimize -> outputs: one row per store and carried product (optimize.PlanResult.plan; plan.csv adds reason)
PLAN = Table("plan", (
    *_ids(),
    Column("name", "text"),
    Column("category", "text"),
    Column("role", "text", values=Role),
    Column("expected_units_per_week", "number", _WEEKLY_UNITS, "own demand plus what it takes over from dropped substitutes", 0),
    Column("expected_profit_per_week", "number", _WEEKLY_EUR, "gross margin minus expected fresh waste cost, net of handling"),
    Column("shelf_space", "number", "shelf units", minimum=0),
    Column("inventory_cost", "number", "EUR", "tied up on average", 0),
    Column("fresh", "flag"),
    Column("listed_now", "flag"),
    Column("change", "text", values=Change, description="keep or add (a drop is not carried: CHANGES)"),
    Column("source", "text"),
    Column("weeks_observed", "int", "weeks", minimum=0),
    Column("local_index", "number", "ratio", minimum=0),
    Column("category_index", "number", "ratio", minimum=0),
    Column("expected_sales_per_week", "number", _WEEKLY_EUR, "expected units x price", 0),
    Column("waste_units_per_week", "number", _WEEKLY_UNITS, minimum=0),
    Column("waste_cost_per_week", "number", _WEEKLY_EUR, minimum=0),
    Column("profit_per_shelf_unit", "number", "EUR / week / shelf unit"),
    Column("transfer_units_per_week", "number", _WEEKLY_UNITS, "taken over from dropped substitutes", 0),
    Column("forced", "label", description="what requires the line (a rule, the minimum listing period), empty if nothing"),
), key=tuple(KEY))

# optimize -> outputs: the adds and drops, week by week (outputs.report.change_table; changes.csv)
CHANGES = Table("changes", (
    Column("store_id", "id"),
    Column("week", "int", "week", "1 = this week; later weeks when changes are paced", 1),
    Column("category", "text"),
    Column("sku", "id"),
    Column("name", "text"),
    Column("change", "text", values=Change),
    Column("shelf_space", "number", "shelf units", minimum=0),
    Column("expected_units_per_week", "number", _WEEKLY_UNITS, minimum=0),
    Column("case_pack", "int", "units", minimum=1),
    Column("first_order_units", "int", "units", "an add's first order (empty for a drop)", 0),
    Column("expected_profit_per_week", "number", _WEEKLY_EUR, "an add: what it earns; a drop: what it earned"),
    Column("profit_impact_per_week", "number", _WEEKLY_EUR, "the plan's profit with the change against without it"),
    Column("forced", "label"),
    Column("reason", "text"),
), key=tuple(KEY))

# inside optimize: units a week that move from a dropped listed product to a carried substitute
FLOWS = Table("flows", (
    *_ids(),
    Column("substitute", "id", description="the sku its buyers switch to"),
    Column("bound", "number", _WEEKLY_UNITS, "units a week that can move", 0),
    Column("margin", "number", "EUR / unit", "the substitute's margin net of waste"),
), key=("store_id", "sku", "substitute"))

# optimize -> outputs: one row per store (optimize.PlanResult.stores)
STORE_PLAN = Table("stores", (
    Column("store_id", "id"),
    Column("name", "label"),
    Column("shelf_used", "number", "shelf units", minimum=0),
    Column("shelf_capacity", "number", "shelf units", minimum=0),
    Column("budget_used", "number", "EUR", minimum=0),
    Column("inventory_budget", "number", "EUR", minimum=0),
    Column("core_items", "int", "items", minimum=0),
    Column("addon_items", "int", "items", minimum=0),
    Column("expected_units_per_week", "number", _WEEKLY_UNITS, minimum=0),
    Column("expected_sales_per_week", "number", _WEEKLY_EUR, minimum=0),
    Column("expected_profit_per_week", "number", _WEEKLY_EUR),
    Column("waste_cost_per_week", "number", _WEEKLY_EUR, minimum=0),
    Column("adds", "int", "items", minimum=0),
    Column("drops", "int", "items", minimum=0),
    Column("shelf_use_pct", "number", "%", minimum=0),
    Column("budget_use_pct", "number", "%", minimum=0),
    Column("shelf_value", "number", "EUR / week / shelf unit", "what one more shelf unit would earn (LP dual)", 0),
    Column("budget_value", "number", "EUR / week / EUR", "what one more euro of budget would earn (LP dual)", 0),
), key=("store_id",))

def _textual(dtype: object) -> bool:
    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)


_DTYPE_CHECKS = {
    "id": _textual, "text": _textual, "label": _textual, "int": pd.api.types.is_integer_dtype, "number": pd.api.types.is_numeric_dtype, "flag": pd.api.types.is_bool_dtype,
    "date": pd.api.types.is_datetime64_any_dtype,
}


def frame_problems(table: Table, frame: pd.DataFrame, *, exact: bool = False) -> list[str]:
    """What is wrong with `frame` as a `table`: missing columns (or, `exact`, extra ones), a dtype
    that does not fit a column's kind, a value outside its enum or below its minimum, a missing or
    repeated key. Empty when it fits."""
    problems = [f"{table.name}: no column {name}" for name in table.names if name not in frame.columns]
    if exact:
        problems += [f"{table.name}: column {name} is not declared" for name in frame.columns if name not in table.names]
    for column in (c for c in table.columns if c.name in frame.columns):
        values = frame[column.name]
        if len(values) and not _DTYPE_CHECKS[column.kind](values.dtype):
            problems.append(f"{table.name}.{column.name}: dtype {values.dtype} is not {column.kind}")
        elif column.values is not None and not values.isin(list(column.values)).all():
            problems.append(f"{table.name}.{column.name}: {sorted(set(values) - set(column.values))} not in {column.values.__name__}")
        elif column.kind in ("int", "number") and column.minimum is not None and (values.dropna() < column.minimum - 1e-9).any():
            problems.append(f"{table.name}.{column.name}: values below {column.minimum} ({column.unit})")
    key = [name for name in table.key if name in frame.columns]
    if key and (frame[key].isna().any().any() or frame.duplicated(key).any()):
        problems.append(f"{table.name}: key {', '.join(key)} missing or repeated")
    return problems

# The planning workbook (outputs.template writes it, inputs.planning reads it): sheet -> headers in row 3.
HEADER_ROW = 3  # planning workbook: titles in row 1, headers in row 3, data from row 4
SHEET_COLUMNS = {
    "Stores": ["Store", "Name", "Shelf capacity", "Inventory budget (EUR)"],
    "Rules": ["Store", "SKU", "Product", "Rule", "Note"],
    "Requests": ["Store", "SKU", "Product", "Change", "Approved", "Note"],
    "Settings": ["Section", "Key", "Value", "Meaning"],
}
RULE_CHOICES = ("must_carry", "must_not_carry")
CHANGE_CHOICES = ("add", "drop")
YES_NO = ("yes", "no")
EDITABLE_SETTINGS = {  # (section, key) -> meaning shown next to the value; empty value = no limit
    ("assortment", "core_min_items"): "fresh products every store must carry, at least",
    ("assortment", "core_max_items"): "fresh core products, at most (empty = no limit)",
    ("assortment", "min_items_per_category"): "products per store and category, at least",
    ("assortment", "max_addons_per_store"): "store add-ons, at most (empty = no limit)",
    ("costs", "listing_cost_per_product"): "EUR / week per product carried anywhere in the chain",
    ("costs", "handling_cost_per_listing"): "EUR / week per store and listed product",
    ("stability", "change_penalty"): "EUR / week charged per add or drop (a brake on churn)",
    ("stability", "max_adds_per_store"): "new listings per store and run, at most (empty = no limit)",
    ("stability", "max_drops_per_store"): "delistings per store and run, at most (empty = no limit)",
    ("stability", "min_listing_weeks"): "a product first sold fewer weeks ago stays listed",
    ("stability", "max_changes_per_store_per_week"): "adds + drops a store carries out per week on the way to the target (empty = all at once)",
    ("solver", "time_limit_seconds"): "seconds the solver may take",
    ("solver", "mip_gap"): "relative gap to the bound at which the solver may stop (0.001 = 0.1 %)",
}
