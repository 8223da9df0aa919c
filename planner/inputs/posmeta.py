"""What a POS file looks like to the planner: header names tills use, and what was read from it."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from planner.errors import InputError, Problem
from planner.inputs.csvfile import normalise_header
from planner.schemas import POS, STORE_ID

# Header names tills use for the five contract columns (compared after normalise_header).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "date": ("date", "datum", "day", "tag", "sales_date", "sale_date", "business_date", "transaction_date",
             "verkaufsdatum", "buchungsdatum", "belegdatum", "week_start", "week"),
    STORE_ID: (STORE_ID, "store", "shop", "shop_id", "branch", "branch_id", "filiale", "filial_id",
                 "filialnummer", "filiale_nr", "markt", "markt_id", "store_no", "location", "outlet"),
    "sku": ("sku", "sku_id", "item", "item_id", "item_no", "article", "article_no", "artikel", "artikelnummer",
            "artikel_nr", "artikelnr", "product", "product_id", "plu"),
    "units": ("units", "qty", "quantity", "menge", "anzahl", "stueck", "stk", "pieces", "units_sold", "sold_units"),
    "revenue": ("revenue", "sales", "sales_eur", "sales_value", "umsatz", "umsatz_eur", "betrag", "amount",
                "net_sales", "turnover", "value", "erloes", "brutto_umsatz"),
}

OPTIONAL_ALIASES: dict[str, tuple[str, ...]] = {
    "promo": ("promo", "promotion", "on_promo", "promo_flag", "is_promo", "aktion", "angebot", "werbung"),
    "card": ("card", "card_id", "card_no", "card_number", "loyalty_card", "loyalty_id", "customer", "customer_id", "customer_no",
             "member", "member_id", "kundenkarte", "kundenkarten_nr", "kartennummer", "karten_nr", "kunde", "kunden_nr",
             "kundennummer", "tessera", "tessera_fedelta", "carta_fedelta"),
    "receipt": ("receipt", "receipt_id", "receipt_no", "basket", "basket_id", "transaction", "transaction_id", "transaction_no",
                "ticket", "ticket_id", "bon", "bon_nr", "bonnummer", "beleg", "beleg_nr", "belegnummer", "kassenbon", "scontrino"),
}

@dataclass(frozen=True)
class PendingFile:
    """A POS file found, fingerprinted and not a duplicate, waiting to be read."""

    path: Path
    label: str  # path relative to the data folder, as reports show it
    sha256: str
    newlines: int


@dataclass
class PosFileInfo:
    """What was read from one POS file, for the run report."""

    file: str
    sha256: str
    lines: int
    first_date: date | None
    last_date: date | None
    separator: str
    encoding: str
    stores: list[str]
    skipped_reason: str = ""  # set when the file was not used (e.g. same content as another file)
    blank_lines: int = 0
    from_cache: bool = field(default=False, compare=False)  # lines taken from the parse cache, not the file


@dataclass(frozen=True)
class Replaced:
    """Store-days a later export replaced: the earlier file's lines for the products it lists again were left out."""

    earlier: str  # label of the file whose lines were dropped
    later: str  # label of the re-export that replaced them
    store_id: str
    days: int
    first: date
    last: date
    lines: int

    def __str__(self) -> str:
        span = f"{self.first}" if self.days == 1 else f"{self.first} to {self.last}"
        return (f"POS: {self.later} replaces {self.days} day(s) of store {self.store_id} ({span}) from {self.earlier}: "
                f"its {self.lines} earlier lines for the same products are left out")


@dataclass
class LineCounts:
    """What the aggregation counted over all lines read."""

    lines: int = 0
    return_lines: int = 0
    return_units: float = 0.0
    unknown_sku_lines: int = 0
    unknown_sku_units: float = 0.0
    unknown_skus: dict[str, int] = field(default_factory=dict)  # sku -> lines
    bulk_lines: int = 0  # one-off bulk lines counted as a usual line (weekly.py)
    bulk_units: float = 0.0  # units taken out by that rule
    promo_lines: int = 0  # lines the till flagged as promotion
    card_lines: int = 0  # lines rung up on a loyalty card (known SKUs)
    cards: int = 0  # distinct cards on them


def map_headers(headers: list[str], extra: dict[str, str], label: str, raw_headers: list[str]) -> dict[str, str]:
    """Find the file's column for each contract column; `extra` maps till headers to contract names."""
    lookup = {normalise_header(k): v for k, v in extra.items()}
    mapped = {lookup[h] for h in headers if h in lookup}  # a field the config maps, in a file that has that header, comes from it only
    candidates: dict[str, list[int]] = {}
    for position, header in enumerate(headers):
        target = lookup.get(header) or next((t for t, names in {**HEADER_ALIASES, **OPTIONAL_ALIASES}.items()
                                             if header in names and t not in mapped), None)
        if target:
            candidates.setdefault(target, []).append(position)
    for target, positions in candidates.items():
        if len(positions) > 1:  # never guess which one the till meant (qty next to units: 100x the units)
            found = " and ".join(f"'{raw_headers[p]}' (column {p + 1})" for p in positions)
            expected = (f"one column for {target}; map the right one in planning.toml [pos.columns], "
                        f"e.g. \"{raw_headers[positions[0]]}\" = \"{target}\"")
            raise InputError(Problem(label, line=1, expected=expected, found=found))
    mapping = {target: headers[positions[0]] for target, positions in candidates.items()}
    missing = [name for name in POS.names if name not in mapping]
    if missing:
        msg = (
            f"column(s) {', '.join(missing)} (recognised headers for them: "
            + "; ".join(f"{m}: {', '.join(HEADER_ALIASES[m][:4])} ..." for m in missing)
            + "; or map your header in planning.toml [pos.columns])"
        )
        raise InputError(Problem(label, line=1, expected=msg, found=", ".join(raw_headers)))
    return mapping


def write_lines(lines: pd.DataFrame, path: Path, info: PosFileInfo) -> None:
    """One file's checked lines as Parquet, with how the file was written (separator, encoding, blank
    lines) in the metadata; atomic, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    table = pa.Table.from_pandas(lines, preserve_index=False)
    source = {"separator": info.separator, "encoding": info.encoding, "blank_lines": str(info.blank_lines)}
    pq.write_table(table.replace_schema_metadata({**(table.schema.metadata or {}), **{k.encode(): v.encode() for k, v in source.items()}}), temporary)
    os.replace(temporary, path)


def cache_usable(path: Path) -> bool:
    """A cached lines file this version wrote completely (it carries the source metadata)."""
    try:
        metadata = pq.read_schema(path).metadata or {}
    except (OSError, pa.ArrowException):
        return False
    return {b"separator", b"encoding", b"blank_lines"} <= set(metadata)


def from_cache(info: PosFileInfo, path: Path) -> PosFileInfo:
    """The info of a file read from its cached lines: separator, encoding and blank lines as first read."""
    metadata = pq.read_schema(path).metadata or {}
    return dataclasses.replace(info, separator=metadata[b"separator"].decode(), encoding=metadata[b"encoding"].decode(),
                               blank_lines=int(metadata[b"blank_lines"]), from_cache=True)
