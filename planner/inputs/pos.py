"""Read every POS export below `pos/` into one weekly sales table.

A till line may be a receipt line, a daily total or a weekly total (dated on the first day of the
week); all become (store, sku, week) sums. Returns (negative units) are netted and counted. Lines
with a SKU that the product master does not know are counted, reported and left out of demand.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from planner.errors import InputError, Problem
from planner.inputs.csvfile import LINE, normalise_header, read_text_table
from planner.inputs.parse import parse_columns
from planner.schemas import POS

# Header names tills use for the five contract columns (compared after normalise_header).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "date": ("date", "datum", "day", "tag", "sales_date", "sale_date", "business_date", "transaction_date",
             "verkaufsdatum", "buchungsdatum", "belegdatum", "week_start", "week"),
    "store_id": ("store_id", "store", "shop", "shop_id", "branch", "branch_id", "filiale", "filial_id",
                 "filialnummer", "filiale_nr", "markt", "markt_id", "store_no", "location", "outlet"),
    "sku": ("sku", "sku_id", "item", "item_id", "item_no", "article", "article_no", "artikel", "artikelnummer",
            "artikel_nr", "artikelnr", "product", "product_id", "plu"),
    "units": ("units", "qty", "quantity", "menge", "anzahl", "stueck", "stk", "pieces", "units_sold", "sold_units"),
    "revenue": ("revenue", "sales", "sales_eur", "sales_value", "umsatz", "umsatz_eur", "betrag", "amount",
                "net_sales", "turnover", "value", "erloes", "brutto_umsatz"),
}

WEEKLY_COLUMNS = ["store_id", "sku", "week_start", "units", "revenue", "return_units", "lines"]


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


@dataclass
class PosReport:
    """Counts of everything the reader did not take at face value."""

    files: list[PosFileInfo] = field(default_factory=list)
    lines: int = 0
    return_lines: int = 0
    return_units: float = 0.0
    unknown_sku_lines: int = 0
    unknown_sku_units: float = 0.0
    unknown_skus: dict[str, int] = field(default_factory=dict)  # sku -> lines


@dataclass
class PosData:
    """Weekly sales per (store, sku, week) and the days each store traded."""

    weekly: pd.DataFrame  # WEEKLY_COLUMNS; week_start is the Monday of the ISO week
    store_days: pd.DataFrame  # store_id, date: days with at least one POS line
    report: PosReport


def find_pos_files(data_dir: Path) -> list[Path]:
    """Every CSV file below `pos/`, at any depth, in a stable order."""
    pos_dir = data_dir / "pos"
    if not pos_dir.is_dir():
        raise InputError(Problem("pos/", expected="a folder pos/ with the stores' POS exports (CSV files)"))
    files = sorted(p for p in pos_dir.rglob("*") if p.is_file() and p.suffix.lower() in (".csv", ".txt"))
    if not files:
        raise InputError(Problem("pos/", expected="at least one .csv file below pos/, found none"))
    return files


def map_headers(headers: list[str], extra: dict[str, str], label: str, raw_headers: list[str]) -> dict[str, str]:
    """Find the file's column for each contract column; `extra` maps till headers to contract names."""
    lookup = {normalise_header(k): v for k, v in extra.items()}
    mapping: dict[str, str] = {}
    for header in headers:
        target = lookup.get(header) or next((t for t, names in HEADER_ALIASES.items() if header in names), None)
        if target and target not in mapping:
            mapping[target] = header
    missing = [name for name in POS.names if name not in mapping]
    if missing:
        msg = (
            f"column(s) {', '.join(missing)} (recognised headers for them: "
            + "; ".join(f"{m}: {', '.join(HEADER_ALIASES[m][:4])} ..." for m in missing)
            + "; or map your header in planning.toml [pos.columns])"
        )
        raise InputError(Problem(label, line=1, expected=msg, found=", ".join(raw_headers)))
    return mapping


def read_pos(
    data_dir: Path,
    *,
    store_ids: set[str],
    skus: set[str],
    header_map: dict[str, str],
    today: date,
    progress: Callable[[str], None] | None = None,
) -> PosData:
    """Read, check and aggregate every POS file. Raises InputError listing every bad line."""
    report = PosReport()
    weekly_parts, day_parts, problems = [], [], []
    seen_hashes: dict[str, str] = {}
    files = find_pos_files(data_dir)
    for number, path in enumerate(files, start=1):
        label = path.relative_to(data_dir).as_posix()
        if progress:
            progress(f"reading POS file {number}/{len(files)}: {label}")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest in seen_hashes:
            info = PosFileInfo(label, digest, 0, None, None, "", "", [], f"same content as {seen_hashes[digest]}")
            report.files.append(info)
            continue
        seen_hashes[digest] = label
        try:
            lines, info = _read_one(path, label, digest, store_ids=store_ids, today=today, header_map=header_map)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        report.files.append(info)
        report.lines += len(lines)
        known = lines["sku"].isin(skus)
        _count_unknown(lines[~known], report)
        lines = lines[known]
        returns = lines["units"] < 0
        report.return_lines += int(returns.sum())
        report.return_units += float(-lines.loc[returns, "units"].sum())
        weekly_parts.append(_weekly(lines))
        day_parts.append(lines[["store_id", "date"]].drop_duplicates())
    if problems:
        raise InputError(problems)
    weekly = pd.concat(weekly_parts, ignore_index=True)
    weekly = weekly.groupby(["store_id", "sku", "week_start"], as_index=False, sort=True).sum()
    store_days = pd.concat(day_parts, ignore_index=True).drop_duplicates().sort_values(["store_id", "date"])
    return PosData(weekly[WEEKLY_COLUMNS], store_days.reset_index(drop=True), report)


def _read_one(
    path: Path, label: str, digest: str, *, store_ids: set[str], today: date, header_map: dict[str, str]
) -> tuple[pd.DataFrame, PosFileInfo]:
    text_table = read_text_table(path, label)
    mapping = map_headers(list(text_table.frame.columns), header_map, label, text_table.raw_headers)
    frame = text_table.frame[[*mapping.values(), LINE]].rename(columns={v: k for k, v in mapping.items()})
    lines, problems = parse_columns(frame, POS, label, decimal_comma=text_table.separator == ";")
    raw = dict(zip(text_table.frame.columns.drop(LINE), text_table.raw_headers, strict=True))
    names = {target: _column_label(raw[header].strip(), target) for target, header in mapping.items()}
    problems = [dataclasses.replace(p, column=names.get(p.column, p.column)) for p in problems]
    if not problems:
        problems = _check_lines(lines, label, store_ids=store_ids, today=today, raw_names=names)
    if problems:
        raise InputError(problems)
    info = PosFileInfo(
        label, digest, len(lines), lines["date"].min().date(), lines["date"].max().date(),
        text_table.separator, text_table.encoding, sorted(lines["store_id"].unique()),
        blank_lines=text_table.blank_lines,
    )
    return lines, info


def _column_label(raw_header: str, target: str) -> str:
    """The file's own header, with the contract name when it differs: 'Menge (units)'."""
    return raw_header if normalise_header(raw_header) == target else f"{raw_header} ({target})"


def _check_lines(lines: pd.DataFrame, label: str, *, store_ids: set[str], today: date, raw_names: dict[str, str]) -> list[Problem]:
    problems = []
    unknown_store = ~lines["store_id"].isin(store_ids)
    for line, value in zip(lines.loc[unknown_store, LINE].head(20), lines.loc[unknown_store, "store_id"].head(20), strict=True):
        expected = f"a store_id from stores.csv ({', '.join(sorted(store_ids)[:10])})"
        problems.append(Problem(label, line=int(line), column=raw_names["store_id"], found=value, expected=expected))
    future = lines["date"] > pd.Timestamp(today)
    for line, value in zip(lines.loc[future, LINE].head(20), lines.loc[future, "date"].head(20), strict=True):
        problems.append(
            Problem(label, line=int(line), column=raw_names["date"], found=value.date().isoformat(), expected=f"a date not after {today.isoformat()}")
        )
    return problems


def _count_unknown(unknown: pd.DataFrame, report: PosReport) -> None:
    report.unknown_sku_lines += len(unknown)
    report.unknown_sku_units += float(unknown["units"].sum())
    for sku, count in unknown["sku"].value_counts().items():
        report.unknown_skus[str(sku)] = report.unknown_skus.get(str(sku), 0) + int(count)


def _weekly(lines: pd.DataFrame) -> pd.DataFrame:
    week_start = lines["date"] - pd.to_timedelta(lines["date"].dt.day_of_week, unit="D")
    frame = pd.DataFrame(
        {
            "store_id": lines["store_id"],
            "sku": lines["sku"],
            "week_start": week_start,
            "units": lines["units"],
            "revenue": lines["revenue"],
            "return_units": (-lines["units"]).clip(lower=0),
            "lines": 1,
        }
    )
    return frame.groupby(["store_id", "sku", "week_start"], as_index=False, sort=False).sum()
