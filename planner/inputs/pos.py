"""Read every POS export below `pos/` (CSV or Parquet) into one weekly sales table.

A till line may be a receipt line, a daily total or a weekly total (dated on the first day of the
week); all become (store, sku, week) sums by the rules in `weekly.py`. Lines with a SKU that the
product master does not know are counted, reported and left out of demand. A line may carry a
loyalty card and a receipt: the card id is pseudonymised as it is read (inputs.cards), and the lines
on a card come back as their own table for the customers stage.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from planner.errors import InputError, Problem
from planner.inputs.cards import CardKey, pseudonymise
from planner.inputs.csvfile import (
    LINE,
    TextTable,
    normalise_header,
    read_text_table,
    refuse_link_outside,
)
from planner.inputs.parse import parse_columns
from planner.inputs.posduck import DuckLines, typed_cards
from planner.inputs.posmeta import (
    LineCounts,
    PendingFile,
    PosFileInfo,
    Replaced,
    cache_usable,
    from_cache,
    map_headers,
    write_lines,
)
from planner.inputs.weekly import CARD_LINE_COLUMNS, LINE_COLUMNS, weekly_from_lines
from planner.schemas import CARD_ID_MAX_LENGTH, POS, POS_CARD, POS_PROMO, POS_RECEIPT, STORE_ID, Table

POS_ENGINES = ("duckdb", "pandas")
POS_SUFFIXES = (".csv", ".txt", ".parquet")
CACHE_DIR = ".planner/pos-lines-v2"  # in the data folder: each POS file's checked lines, <sha256>-<header map>-<card key>.parquet


@dataclass
class PosReport:
    """Counts of everything the reader did not take at face value."""

    files: list[PosFileInfo] = field(default_factory=list)
    counts: LineCounts = field(default_factory=lambda: LineCounts())
    replaced: list[Replaced] = field(default_factory=list)  # store-days a later export replaced
    cache_problem: str = ""  # why the parsed lines could not be kept, if they could not
    card_key_problem: str = ""  # why the card pseudonym key could not be kept, if it could not (and cards were read)


@dataclass
class PosData:
    """Weekly sales per (store, sku, week) and the days each store traded."""

    weekly: pd.DataFrame  # weekly.WEEKLY_COLUMNS; week_start is the Monday of the ISO week
    store_days: pd.DataFrame  # store_id, date: days with at least one POS line
    report: PosReport
    cards: pd.DataFrame  # CARD_LINE_COLUMNS: the lines on a loyalty card (pseudonyms), empty when no till gives cards


def find_pos_files(data_dir: Path) -> list[Path]:
    """Every CSV or Parquet file below `pos/`, at any depth, in a stable order."""
    pos_dir = data_dir / "pos"
    if not pos_dir.is_dir():
        raise InputError(Problem("pos/", expected="a folder pos/ with the stores' POS exports (CSV files)"))
    files, seen = [], set()
    for root, folders, names in os.walk(pos_dir, followlinks=True):  # a linked folder is read, if it stays inside
        here = Path(root)
        refuse_link_outside(here, data_dir, here.relative_to(data_dir).as_posix())
        if here.resolve() in seen:  # a link back to a folder already read
            folders.clear()
            continue
        seen.add(here.resolve())
        for path in (here / name for name in names):
            if path.suffix.lower() in POS_SUFFIXES and path.is_file():
                refuse_link_outside(path, data_dir, path.relative_to(data_dir).as_posix())
                files.append(path)
    if not files:
        raise InputError(Problem("pos/", expected="at least one .csv or .parquet file below pos/, found none"))
    return sorted(files)


def read_pos(
    data_dir: Path,
    *,
    store_ids: set[str],
    skus: set[str],
    header_map: dict[str, str],
    today: date,
    engine: str = "duckdb",
    progress: Callable[[str], None] | None = None,
) -> PosData:
    """Read, check and aggregate every POS file. Raises InputError listing every bad line.

    engine "duckdb" reads clean files with DuckDB and aggregates in SQL; a file it cannot take
    at face value (other encoding, thousands separators, a bad value) goes through the careful
    pandas reader, which names every bad line. engine "pandas" reads everything with pandas.
    """
    if engine not in POS_ENGINES:
        raise ValueError(f"engine must be one of {POS_ENGINES}, not {engine!r}")
    report = PosReport()
    key = CardKey(data_dir)
    collector: DuckLines | PandasLines = DuckLines(store_ids, today, key.value) if engine == "duckdb" else PandasLines()
    files = find_pos_files(data_dir)
    labels = [path.relative_to(data_dir).as_posix() for path in files]
    if progress:
        progress(f"checking {len(files)} POS files for repeated content")
    pending, infos = _distinct_files(files, labels)
    cache = data_dir / CACHE_DIR
    cache_name = f"{_cache_key(header_map)}-{key.fingerprint}"
    cached = _cached_files(pending, cache, cache_name)
    if progress and cached:
        progress(f"{len(cached)} of {len(pending)} POS files were read before: taking their lines from {CACHE_DIR}/")
    paths = {f.label: f.path for f in cached}
    from_parse_cache = collector.add_files(cached, header_map, progress, pseudonymised=True)
    infos |= {label: from_cache(info, paths[label]) for label, info in from_parse_cache.items()}
    infos |= collector.add_files([f for f in pending if f.label not in infos], header_map, progress)
    careful = [file for file in pending if file.label not in infos]
    careful_infos, problems = _read_carefully(careful, collector, store_ids=store_ids, today=today, header_map=header_map,
                                              card_key=key.value, progress=progress)
    infos |= careful_infos
    report.files = [infos[label] for label in labels if label in infos]
    if problems:
        raise InputError(problems)
    if progress:
        progress(f"aggregating POS lines to weeks ({engine})")
    if engine == "duckdb":  # the only engine that reads the cache
        parsed = {f.label: (f"{f.sha256}-{cache_name}", infos[f.label]) for f in pending if not infos[f.label].from_cache}
        report.cache_problem = _keep_lines(collector, cache, parsed)
    weekly, store_days, counts, report.replaced, cards = collector.finish(skus, export_order(pending))
    report.counts = counts
    report.card_key_problem = key.problem if len(cards) else ""
    return PosData(weekly, store_days, report, cards)


def _distinct_files(files: list[Path], labels: list[str]) -> tuple[list[PendingFile], dict[str, PosFileInfo]]:
    """The files still to read, one per content, and an info for each file that repeats an earlier one."""
    seen: dict[str, str] = {}
    pending: list[PendingFile] = []
    infos: dict[str, PosFileInfo] = {}
    for path, label in zip(files, labels, strict=True):
        digest, newlines = fingerprint(path)
        if digest in seen:
            infos[label] = PosFileInfo(label, digest, 0, None, None, "", "", [], f"same content as {seen[digest]}")
            continue
        seen[digest] = label
        pending.append(PendingFile(path, label, digest, newlines))
    return pending, infos


def _cache_key(header_map: dict[str, str]) -> str:
    """Short hash of the [pos] column names: they change the reading, so the cached lines depend on them."""
    return hashlib.sha256(json.dumps(sorted(header_map.items())).encode()).hexdigest()[:8]


def _cached_files(pending: list[PendingFile], cache: Path, name: str) -> list[PendingFile]:
    """The files whose checked lines are in `cache` and usable, each with `path` set to those lines."""
    return [dataclasses.replace(f, path=cache / f"{f.sha256}-{name}.parquet") for f in pending
            if (cache / f"{f.sha256}-{name}.parquet").exists() and cache_usable(cache / f"{f.sha256}-{name}.parquet")]


def _read_carefully(
    files: list[PendingFile],
    collector: DuckLines | PandasLines,
    *,
    store_ids: set[str],
    today: date,
    header_map: dict[str, str],
    card_key: str,
    progress: Callable[[str], None] | None,
) -> tuple[dict[str, PosFileInfo], list[Problem]]:
    """Read `files` with the careful reader into `collector`: the infos of the good files, and every bad line of the others."""
    infos: dict[str, PosFileInfo] = {}
    problems: list[Problem] = []
    for number, file in enumerate(files, start=1):
        if progress:
            progress(f"reading POS file {number}/{len(files)} carefully: {file.label}")
        try:
            lines, infos[file.label] = read_pos_file(
                file.path, file.label, file.sha256, store_ids=store_ids, today=today, header_map=header_map, card_key=card_key
            )
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        collector.add_lines(lines, file.label)
    return infos, problems


def _keep_lines(collector: DuckLines | PandasLines, cache: Path, files: dict[str, tuple[str, PosFileInfo]]) -> str:
    """Save the freshly parsed lines (label -> cache name, info) in `cache`; why they were not kept, or ""."""
    try:
        collector.save_lines(cache, files)
    except OSError as exc:  # a read-only or full data folder: the run goes on, only slower next time
        return f"POS: parsed lines not kept in {CACHE_DIR}/ ({exc.strerror or exc}); the next run parses the files again"
    return ""


def export_order(files: list[PendingFile]) -> dict[str, int]:
    """label -> rank: where two files hold the same store, day and product, the later one (by
    modification time, then name) is the re-export whose lines count."""
    ordered = sorted(files, key=lambda file: (file.path.stat().st_mtime_ns, file.label))
    return {file.label: rank for rank, file in enumerate(ordered)}


def fingerprint(path: Path) -> tuple[str, int]:
    """sha256 of the file's content and its number of line feeds, read in chunks."""
    digest, newlines = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 23):
            digest.update(chunk)
            newlines += chunk.count(b"\n")
    return digest.hexdigest(), newlines


def read_pos_file(
    path: Path, label: str, digest: str, *, store_ids: set[str], today: date, header_map: dict[str, str], card_key: str
) -> tuple[pd.DataFrame, PosFileInfo]:
    """The careful reader: one file into LINE_COLUMNS (+ LINE), or an InputError naming every bad value.
    Card ids become pseudonyms under `card_key` (inputs.cards)."""
    if path.suffix.lower() == ".parquet":
        text_table = parquet_as_text(path, label)
    else:
        text_table = read_text_table(path, label)
    mapping = map_headers(list(text_table.frame.columns), header_map, label, text_table.raw_headers)
    frame = text_table.frame[[*mapping.values(), LINE]].rename(columns={v: k for k, v in mapping.items()})
    optional = tuple(column for column in (POS_PROMO, POS_CARD, POS_RECEIPT) if column.name in mapping)
    table = Table(POS.name, POS.columns + optional)
    lines, problems = parse_columns(frame, table, label, decimal_comma=text_table.separator == ";")
    raw = dict(zip(text_table.frame.columns.drop(LINE), text_table.raw_headers, strict=True))
    names = {target: _column_label(raw[header].strip(), target) for target, header in mapping.items()}
    problems = [dataclasses.replace(p, column=names.get(p.column or "", p.column)) for p in problems]
    if not problems:
        problems = _check_lines(lines, label, store_ids=store_ids, today=today, raw_names=names)
    if problems:
        raise InputError(problems)
    lines["promo"] = lines["promo"].astype(bool) if "promo" in mapping else False
    lines["card"] = pseudonymise(lines["card"], card_key) if "card" in mapping else pd.Series(pd.NA, index=lines.index, dtype="string")
    receipt = lines["receipt"].astype("string") if "receipt" in mapping else pd.Series(pd.NA, index=lines.index, dtype="string")
    lines["receipt"] = receipt.mask(receipt == "")
    info = PosFileInfo(
        label, digest, len(lines), lines["date"].min().date(), lines["date"].max().date(),
        text_table.separator, text_table.encoding, sorted(lines[STORE_ID].unique()),
        blank_lines=text_table.blank_lines,
    )
    return lines[LINE_COLUMNS], info


def parquet_as_text(path: Path, label: str) -> TextTable:
    """A Parquet file as the careful reader's table of strings (dates as YYYY-MM-DD); line = row number."""
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many types for a damaged file
        raise InputError(Problem(label, expected="a readable Parquet file", found=str(exc)[:120])) from exc
    if frame.empty:
        raise InputError(Problem(label, expected="data rows in the Parquet file, found none"))
    raw_headers = [str(c) for c in frame.columns]
    text = pd.DataFrame(index=frame.index)
    for raw, column in zip(raw_headers, frame.columns, strict=True):
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            values = values.dt.strftime("%Y-%m-%d")
        text[normalise_header(raw)] = values.astype("string").fillna("").astype(str)
    text[LINE] = range(1, len(text) + 1)
    return TextTable(text.reset_index(drop=True), raw_headers, "parquet", "parquet", 0)


def _column_label(raw_header: str, target: str) -> str:
    """The file's own header, with the contract name when it differs: 'Menge (units)'."""
    return raw_header if normalise_header(raw_header) == target else f"{raw_header} ({target})"


def _check_lines(lines: pd.DataFrame, label: str, *, store_ids: set[str], today: date, raw_names: dict[str, str]) -> list[Problem]:
    problems = []
    unknown_store = ~lines[STORE_ID].isin(store_ids)
    for line, value in zip(lines.loc[unknown_store, LINE].head(20), lines.loc[unknown_store, STORE_ID].head(20), strict=True):
        expected = f"a store_id from stores.csv ({', '.join(sorted(store_ids)[:10])})"
        problems.append(Problem(label, line=int(line), column=raw_names[STORE_ID], found=value, expected=expected))
    for target in ("card", "receipt"):
        if target in raw_names:
            long = lines[target].str.len() > CARD_ID_MAX_LENGTH
            for line, value in zip(lines.loc[long, LINE].head(20), lines.loc[long, target].head(20), strict=True):
                problems.append(Problem(label, line=int(line), column=raw_names[target], found=f"{len(value)} characters",  # never the id
                                        expected=f"a {target} id of at most {CARD_ID_MAX_LENGTH} characters, or nothing"))
    future = lines["date"] > pd.Timestamp(today)
    for line, value in zip(lines.loc[future, LINE].head(20), lines.loc[future, "date"].head(20), strict=True):
        problems.append(
            Problem(label, line=int(line), column=raw_names["date"], found=value.date().isoformat(), expected=f"a date not after {today.isoformat()}")
        )
    return problems


class PandasLines:
    """The plain pandas engine: keeps every file's lines in memory and aggregates with pandas."""

    def __init__(self) -> None:
        self.parts: dict[str, pd.DataFrame] = {}

    def add_files(
        self, files: list[PendingFile], header_map: dict[str, str], progress: Callable[[str], None] | None = None,
        *, pseudonymised: bool = False,
    ) -> dict[str, PosFileInfo]:
        """No fast path (and no parse cache): every file goes through the careful reader."""
        return {}

    def add_lines(self, lines: pd.DataFrame, label: str) -> None:
        """Take one file's checked lines (LINE_COLUMNS)."""
        self.parts[label] = lines

    def save_lines(self, folder: Path, files: dict[str, tuple[str, PosFileInfo]]) -> None:
        """Keep each file's lines (label -> cache name, info) as Parquet, so the next run need not parse it."""
        for label, (name, info) in files.items():
            write_lines(self.parts[label][LINE_COLUMNS], folder / f"{name}.parquet", info)

    def finish(self, skus: set[str], ranks: dict[str, int]) -> tuple[pd.DataFrame, pd.DataFrame, LineCounts, list[Replaced], pd.DataFrame]:
        """Weekly table, trading days, counts, the re-exported store-days and the card lines over everything added."""
        lines = pd.concat([part.assign(file=label, rank=ranks[label]) for label, part in self.parts.items()], ignore_index=True)
        top = lines.groupby([STORE_ID, "date", "sku"])["rank"].transform("max")
        dropped = lines[lines["rank"] < top].assign(top=top)
        by_rank = {rank: label for label, rank in ranks.items()}
        replaced = [
            Replaced(file, by_rank[later], store, group["date"].nunique(), group["date"].min().date(), group["date"].max().date(), len(group))
            for (store, file, later), group in dropped.groupby([STORE_ID, "file", "top"], sort=False)
        ]
        replaced.sort(key=lambda r: (r.store_id, r.first))
        lines = lines[lines["rank"] == top][LINE_COLUMNS].reset_index(drop=True)
        known = lines["sku"].isin(skus)
        unknown = lines[~known]
        lines = lines[known].reset_index(drop=True)
        weekly = weekly_from_lines(lines)
        returns = lines["units"] < 0
        counts = LineCounts(
            lines=len(known),
            return_lines=int(returns.sum()),
            return_units=float(-lines.loc[returns, "units"].sum()),
            unknown_sku_lines=len(unknown),
            unknown_sku_units=float(unknown["units"].sum()),
            unknown_skus={str(k): int(v) for k, v in unknown["sku"].value_counts().sort_index().items()},
            bulk_lines=int(weekly["bulk_lines"].sum()),
            bulk_units=float(weekly["bulk_units"].sum()),
            promo_lines=int(lines["promo"].sum()),
        )
        cards = typed_cards(lines.loc[lines["card"].notna(), CARD_LINE_COLUMNS])
        counts.card_lines, counts.cards = len(cards), int(cards["card"].nunique())
        store_days = lines[[STORE_ID, "date"]].drop_duplicates().sort_values([STORE_ID, "date"]).reset_index(drop=True)
        return weekly, store_days, counts, replaced, cards
