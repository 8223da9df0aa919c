"""Every table that crosses a stage boundary, declared once, with units.

Code refers to columns through these declarations (`PRODUCTS.price` is the string "price"), so a
column is named in one place and its unit and meaning are documented next to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["label", "id", "text", "int", "number", "flag", "date"]
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
