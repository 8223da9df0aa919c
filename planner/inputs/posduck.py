"""The DuckDB engine: clean POS files go straight into DuckDB; aggregation runs in SQL (weekly.py).

Only a file that DuckDB can take at face value is read here: UTF-8 text or Parquet, plain numbers
(no thousands separators), known stores, no future dates, one line per data row. Anything else
leaves it out of `add_files`' result and the file goes through the careful pandas reader, which
reads it the same way or names every bad line, so both engines give the same tables and messages.
Files of one layout are read in batches: one DuckDB call per ~128 MiB, not one per file.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from planner.errors import InputError, Problem
from planner.inputs.cards import pseudonym_sql
from planner.inputs.csvfile import MAX_COLUMNS, guess_separator, normalise_header
from planner.inputs.parse import DATE_FORMATS, FLAGS
from planner.inputs.posmeta import (
    LineCounts,
    PendingFile,
    PosFileInfo,
    Replaced,
    map_headers,
    write_lines,
)
from planner.inputs.weekly import CARD_LINE_COLUMNS, LINE_COLUMNS, WEEKLY_SQL
from planner.schemas import CARD_ID_MAX_LENGTH, EARLIEST_DATE, POS, STORE_ID, Column

CARD_ORDER = ["card", STORE_ID, "date", "sku", "receipt", "units", "revenue"]  # the card lines' order (missing receipts last)
POS_UNITS, POS_REVENUE = (next(c for c in POS.columns if c.name == name) for name in ("units", "revenue"))

HEAD_BYTES = 1 << 16
BATCH_ROWS = 3_000_000  # lines read per DuckDB call (bounds the staging table's memory)
FILE_COLUMN = "__pos_file"
TOO_LONG = "!"  # a card or receipt id over CARD_ID_MAX_LENGTH: the file goes to the careful reader, which names the line
# date formats the fast path reads: one per batch, from its first line; a file in another one (or
# in DD/MM/YYYY, which may be MM/DD/YYYY: the whole file decides) goes to the careful reader
FAST_DATE_FORMATS = tuple(DATE_FORMATS[name] for name in ("YYYY-MM-DD", "DD.MM.YYYY", "YYYY/MM/DD"))


class DuckLines:
    """Collects every file's lines in an in-memory DuckDB table and aggregates them to weeks."""

    def __init__(self, store_ids: set[str], today: date, card_key: str) -> None:
        self.con = duckdb.connect()
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute("SET enable_progress_bar = false")
        self.con.execute(
            "CREATE TABLE lines (store_id VARCHAR, sku VARCHAR, date DATE, units DOUBLE, revenue DOUBLE, promo BOOLEAN,"
            " card VARCHAR, receipt VARCHAR, file_no INTEGER)"
        )
        self.card_key = card_key
        self.files_inserted = 0
        self.labels: dict[int, str] = {}  # file_no -> the file's label
        self.con.execute("CREATE TABLE stores AS SELECT unnest($ids) AS store_id", {"ids": sorted(store_ids)})
        self.today = today

    def add_files(
        self, files: list[PendingFile], header_map: dict[str, str], progress: Callable[[str], None] | None = None,
        *, pseudonymised: bool = False,
    ) -> dict[str, PosFileInfo]:
        """Load every clean file, many per DuckDB read; PosFileInfo by label for the files taken.

        Files with the same layout (CSV header line and separator, or Parquet schema) are read
        together; a file left out of the result goes to the careful reader. `pseudonymised`: the
        files are the parse cache's, whose card column already holds pseudonyms.
        """
        groups: dict[tuple[str, str, str], list[tuple[PendingFile, int]]] = {}
        for file in files:
            layout = _layout(file)
            if layout is not None:
                groups.setdefault(layout[:3], []).append((file, layout[3]))
        taken: dict[str, PosFileInfo] = {}
        done = 0
        for (separator, encoding, _), members in groups.items():
            for batch in _batches(members):
                taken.update(self._add_batch(batch, separator, encoding, header_map, pseudonymised))
                done += len(batch)
                if progress:
                    progress(f"reading POS files with DuckDB: {done}/{len(files)}")
        return taken

    def _add_batch(
        self, batch: list[PendingFile], separator: str, encoding: str, header_map: dict[str, str], pseudonymised: bool
    ) -> dict[str, PosFileInfo]:
        """Read files of one layout in one go; if DuckDB refuses the batch, try its files one by one.

        The lines go straight into `lines`, numbered by file; a file that fails a check is deleted again.
        """
        first_no = self.files_inserted
        numbers = {str(file.path): first_no + i for i, file in enumerate(batch)}
        try:
            self._insert(batch, numbers, separator, header_map, pseudonymised)
        except (duckdb.Error, InputError):
            if len(batch) == 1:
                return {}
            return {label: info for file in batch
                    for label, info in self._add_batch([file], separator, encoding, header_map, pseudonymised).items()}
        self.files_inserted += len(batch)
        checked = self.con.execute(
            """SELECT file_no, count(*), count(*) FILTER (WHERE date IS NULL OR date > $today OR date < CAST($earliest AS DATE)
                   OR units IS NULL OR isnan(units) OR isinf(units) OR revenue IS NULL OR isnan(revenue) OR isinf(revenue)
                   OR units NOT BETWEEN $units_low AND $units_high OR revenue NOT BETWEEN $revenue_low AND $revenue_high
                   OR coalesce(store_id, '') = '' OR coalesce(sku, '') = '' OR promo IS NULL
                   OR card IS NOT DISTINCT FROM $too_long OR receipt IS NOT DISTINCT FROM $too_long
                   OR store_id NOT IN (SELECT store_id FROM stores)),
                   min(date), max(date), list(DISTINCT store_id ORDER BY store_id)
               FROM lines WHERE file_no >= $first GROUP BY file_no""",
            {"today": self.today, "first": first_no, "earliest": EARLIEST_DATE, "too_long": TOO_LONG,
             **_bounds(POS_UNITS, "units"), **_bounds(POS_REVENUE, "revenue")},
        ).fetchall()
        by_number = {numbers[str(file.path)]: file for file in batch}
        taken: dict[str, PosFileInfo] = {}
        for number, rows, bad, first, last, stores in checked:
            file = by_number[number]
            one_row_per_line = separator == "parquet" or rows in (file.newlines - 1, file.newlines)
            if rows and not bad and one_row_per_line:
                taken[file.label] = PosFileInfo(file.label, file.sha256, rows, first, last, separator, encoding, list(stores))
                self.labels[number] = file.label
        refused = [number for number, file in by_number.items() if file.label not in taken]
        if refused:
            self.con.execute("DELETE FROM lines WHERE file_no >= $first AND list_contains($refused, file_no)",
                             {"first": first_no, "refused": refused})
        return taken

    def _insert(self, batch: list[PendingFile], numbers: dict[str, int], separator: str, header_map: dict[str, str], pseudonymised: bool) -> None:
        """The batch's lines, converted to the contract's types, into `lines` with their file's number."""
        paths = "[" + ", ".join(_quoted(file.path) for file in batch) + "]"
        if separator == "parquet":
            sql = f"read_parquet({paths}, filename='{FILE_COLUMN}')"
        else:
            sql = _read_csv(paths, separator, "all_varchar=true")
        described = self.con.execute(f"DESCRIBE SELECT * FROM {sql}").fetchall()
        names = [row[0] for row in described if row[0] != FILE_COLUMN]
        types = {row[0]: row[1] for row in described}
        normalised = [normalise_header(n) for n in names]
        mapping = map_headers(normalised, header_map, batch[0].label, names)
        raw = dict(zip(normalised, names, strict=True))
        date_column = raw[mapping["date"]]
        date_format = self._date_format(sql, date_column) if types[date_column] == "VARCHAR" else None
        if separator not in ("parquet", ";"):  # decimal points: let DuckDB's CSV reader type the columns itself
            sql, types = self._typed_csv(paths, separator, names, {target: raw[header] for target, header in mapping.items()}, date_format)
        exprs = {target: _convert(target, raw[header], types[raw[header]], decimal_comma=separator == ";", date_format=date_format)
                 for target, header in mapping.items()}
        for target in ("card", "receipt"):
            if target in mapping:
                exprs[target] = _id_expression(raw[mapping[target]], self.card_key if target == "card" and not pseudonymised else None)
        exprs.setdefault("promo", "false")
        exprs.setdefault("card", "CAST(NULL AS VARCHAR)")
        exprs.setdefault("receipt", "CAST(NULL AS VARCHAR)")
        select = ", ".join(f"{exprs[c]} AS {c}" for c in LINE_COLUMNS)
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE batch_files AS SELECT unnest($paths) AS {FILE_COLUMN}, unnest($numbers) AS file_no",
            {"paths": list(numbers), "numbers": list(numbers.values())},
        )
        self.con.execute(f"INSERT INTO lines SELECT {select}, file_no FROM {sql} JOIN batch_files USING ({FILE_COLUMN})")

    def _date_format(self, sql: str, column: str) -> str:
        """The fast-path date format of the batch's first line; an InputError (careful reader) if none fits."""
        first = self.con.execute(f'SELECT "{_escaped_name(column)}" FROM {sql} LIMIT 1').fetchall()
        date_format = next((f for f in FAST_DATE_FORMATS if first and _parses(first[0][0], f)), None)
        if date_format is None:
            raise InputError(Problem("", expected="a date in a fast-path format on the first line"))
        return date_format

    def _typed_csv(
        self, paths: str, separator: str, names: list[str], columns: dict[str, str], date_format: str | None
    ) -> tuple[str, dict[str, str]]:
        """The read_csv call with DATE and DOUBLE columns: a value that does not parse fails the read
        (and sends the files to the careful reader) instead of becoming NULL."""
        types = {name: "VARCHAR" for name in names}
        types |= {columns["date"]: "DATE", columns["units"]: "DOUBLE", columns["revenue"]: "DOUBLE"}
        spec = ", ".join(f"'{_escaped(name)}': '{kind}'" for name, kind in types.items())
        return _read_csv(paths, separator, f"columns={{{spec}}}, dateformat='{date_format}', auto_detect=false"), types

    def add_lines(self, lines: pd.DataFrame, label: str) -> None:
        """Take one file's lines from the careful reader (LINE_COLUMNS)."""
        number = self.files_inserted
        self.files_inserted += 1
        self.labels[number] = label
        self.con.register("careful_part", lines[LINE_COLUMNS])
        self.con.execute(
            "INSERT INTO lines SELECT store_id, sku, CAST(date AS DATE), units, revenue, promo, card, receipt, $no FROM careful_part",
            {"no": number}
        )
        self.con.unregister("careful_part")

    def save_lines(self, folder: Path, files: dict[str, tuple[str, PosFileInfo]]) -> None:
        """Keep each file's lines (label -> cache name, info) as Parquet, so the next run need not parse it."""
        numbers = {label: number for number, label in self.labels.items()}
        for label, (name, info) in files.items():
            lines = self.con.execute(f"SELECT {', '.join(LINE_COLUMNS)} FROM lines WHERE file_no = $no ORDER BY rowid", {"no": numbers[label]}).df()
            write_lines(lines, folder / f"{name}.parquet", info)

    def finish(self, skus: set[str], ranks: dict[str, int]) -> tuple[pd.DataFrame, pd.DataFrame, LineCounts, list[Replaced], pd.DataFrame]:
        """Weekly table, trading days, counts, the re-exported store-days and the card lines, as the pandas engine gives them."""
        con = self.con
        replaced = self._keep_latest_export(ranks)
        con.execute("CREATE TABLE products AS SELECT unnest($skus) AS sku", {"skus": sorted(skus)})
        con.execute("CREATE TEMP VIEW known AS SELECT l.* FROM lines l SEMI JOIN products USING (sku)")
        # as Arrow, then pandas: each distinct store and sku text one Python object, not one per row
        weekly = con.sql(WEEKLY_SQL).to_arrow_table().to_pandas(split_blocks=True, self_destruct=True)
        days = con.execute(
            "SELECT store_id, CAST(date AS TIMESTAMP) AS date, count(*) FILTER (WHERE units < 0) AS return_lines,"
            " coalesce(-sum(units) FILTER (WHERE units < 0), 0) AS return_units, count(*) FILTER (WHERE promo) AS promo_lines"
            " FROM known GROUP BY store_id, date ORDER BY store_id, date"
        ).df()
        store_days = days[[STORE_ID, "date"]]
        total = con.execute("SELECT count(*) FROM lines").fetchall()[0][0]
        unknown = con.execute(
            "SELECT sku, count(*) AS n, sum(units) AS units FROM lines ANTI JOIN products USING (sku) GROUP BY sku ORDER BY sku"
        ).fetchall()
        counts = LineCounts(
            lines=int(total),
            return_lines=int(days["return_lines"].sum()),
            return_units=float(days["return_units"].sum()),
            unknown_sku_lines=sum(int(n) for _, n, _ in unknown),
            unknown_sku_units=float(sum(u for _, _, u in unknown)),
            unknown_skus={str(sku): int(n) for sku, n, _ in unknown},
            bulk_lines=int(weekly["bulk_lines"].sum()),
            bulk_units=float(weekly["bulk_units"].sum()),
            promo_lines=int(days["promo_lines"].sum()),
        )
        cards = self._card_lines()
        counts.card_lines, counts.cards = len(cards), int(cards["card"].nunique())
        return typed_weekly(weekly), typed_days(store_days), counts, replaced, cards

    def _card_lines(self) -> pd.DataFrame:
        """The card lines as typed_cards gives them, sorted by DuckDB; closes the connection.

        They come out as Arrow, and the connection (with every line) is closed before they become
        pandas, where each distinct text is one Python object however many lines repeat it.
        """
        order = ", ".join(f"{column} NULLS LAST" for column in CARD_ORDER)
        table = self.con.sql(
            "SELECT card, store_id, sku, CAST(date AS TIMESTAMP_NS) AS date, receipt, units, revenue"
            f" FROM known WHERE card IS NOT NULL ORDER BY {order}"
        ).to_arrow_table()
        self.con.close()
        cards = table.to_pandas(split_blocks=True, self_destruct=True)  # deduplicate_objects is on by default
        del table
        for column in ("card", "receipt"):
            cards[column] = cards[column].astype("string")
        return cards

    def _keep_latest_export(self, ranks: dict[str, int]) -> list[Replaced]:
        """Where files overlap on a store, day and product, keep only the latest file's lines (a re-export)."""
        con = self.con
        numbers = list(self.labels)
        con.execute("CREATE TEMP TABLE file_rank AS SELECT unnest($nos) AS file_no, unnest($ranks) AS rank",
                    {"nos": numbers, "ranks": [ranks[self.labels[n]] for n in numbers]})
        con.execute("CREATE TEMP TABLE latest AS SELECT store_id, date, sku, max(rank) AS top FROM lines JOIN file_rank USING (file_no)"
                    " GROUP BY store_id, date, sku")
        rows = con.execute(
            "SELECT l.file_no, w.file_no, l.store_id, count(DISTINCT l.date), min(l.date), max(l.date), count(*)"
            " FROM lines l JOIN file_rank r USING (file_no) JOIN latest t USING (store_id, date, sku)"
            " JOIN file_rank w ON w.rank = t.top WHERE r.rank < t.top GROUP BY ALL ORDER BY 3, 5"
        ).fetchall()
        if rows:
            con.execute("CREATE OR REPLACE TABLE lines AS SELECT l.* FROM lines l JOIN file_rank r USING (file_no)"
                        " JOIN latest t USING (store_id, date, sku) WHERE r.rank = t.top")
        return [Replaced(self.labels[old], self.labels[new], store, days, first, last, lines) for old, new, store, days, first, last, lines in rows]


def _bounds(column: Column, name: str) -> dict[str, float | None]:
    """The declared range of a POS number column, as query parameters (out of range: the careful reader names the line)."""
    return {f"{name}_low": column.minimum, f"{name}_high": column.maximum}


def typed_weekly(weekly: pd.DataFrame) -> pd.DataFrame:
    """The weekly table's dtypes, whichever engine made it."""
    return weekly.astype(
        {STORE_ID: str, "sku": str, "week_start": "datetime64[ns]", "units": float, "revenue": float,
         "return_units": float, "lines": "int64", "promo_units": float, "bulk_units": float, "bulk_lines": "int64"}
    ).reset_index(drop=True)


def typed_cards(cards: pd.DataFrame) -> pd.DataFrame:
    """The card lines' dtypes and order (CARD_LINE_COLUMNS) from pandas lines; DuckLines._card_lines gives them from SQL."""
    typed = cards[CARD_LINE_COLUMNS].astype({"card": "string", STORE_ID: str, "sku": str, "date": "datetime64[ns]", "receipt": "string",
                                             "units": float, "revenue": float})
    return typed.sort_values(CARD_ORDER, kind="stable").reset_index(drop=True)


def _id_expression(column: str, card_key: str | None) -> str:
    """SQL for a card or receipt column: trimmed text, NULL when blank, TOO_LONG when over CARD_ID_MAX_LENGTH;
    with `card_key`, the card's pseudonym (inputs.cards)."""
    col = '"' + _escaped_name(column) + '"'
    text = f"trim(CAST({col} AS VARCHAR))"
    value = pseudonym_sql(text, card_key) if card_key else f"NULLIF({text}, '')"
    return f"CASE WHEN length({text}) > {CARD_ID_MAX_LENGTH} THEN '{TOO_LONG}' ELSE {value} END"


def typed_days(store_days: pd.DataFrame) -> pd.DataFrame:
    """The trading-days table's dtypes, whichever engine made it."""
    return store_days.astype({STORE_ID: str, "date": "datetime64[ns]"}).reset_index(drop=True)


def _layout(file: PendingFile) -> tuple[str, str, str, int] | None:
    """(separator, encoding, header line or schema, rows) for a file the fast path may try; None if not."""
    path = file.path
    if path.suffix.lower() == ".parquet":
        try:
            metadata = pq.read_metadata(path)
        except (OSError, pa.ArrowException):
            return None
        return "parquet", "parquet", str(metadata.schema.to_arrow_schema()), metadata.num_rows
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    if b"\n" not in head:  # a header longer than HEAD_BYTES: the careful reader refuses it by name
        return None
    head = head[: head.rfind(b"\n") + 1]
    if not head.strip() or b"\x00" in head:
        return None
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    header = text.split("\n", 1)[0].rstrip("\r")
    if header.strip('"').startswith("sep="):  # Excel's separator line: the careful reader honours it
        return None
    separator = guess_separator(header)
    if header.count(separator) >= MAX_COLUMNS:  # the careful reader refuses it by name
        return None
    names = [normalise_header(name) for name in header.split(separator)]
    if len(set(names)) < len(names):  # a column twice: DuckDB would rename one; the careful reader refuses it
        return None
    return separator, "utf-8", header, file.newlines


def _batches(files: list[tuple[PendingFile, int]]) -> list[list[PendingFile]]:
    """Consecutive groups of (file, rows) of at most BATCH_ROWS rows (one file at least)."""
    batches: list[list[PendingFile]] = [[]]
    rows = 0
    for file, file_rows in files:
        if batches[-1] and rows + file_rows > BATCH_ROWS:
            batches.append([])
            rows = 0
        batches[-1].append(file)
        rows += file_rows
    return batches


def _read_csv(paths: str, separator: str, typing: str) -> str:
    """DuckDB read_csv over a list of files of one layout; `typing` sets how columns are typed."""
    delim = "\\t" if separator == "\t" else separator
    return (f"read_csv({paths}, delim='{delim}', header=true, {typing}, quote='\"', escape='\"',"
            f" strict_mode=true, filename='{FILE_COLUMN}')")


def _quoted(path: Path) -> str:
    return "'" + _escaped(str(path)) + "'"


def _escaped(text: str) -> str:
    return text.replace("'", "''")


def _parses(value: str | None, date_format: str) -> bool:
    try:
        datetime.strptime((value or "").strip(), date_format)
    except ValueError:
        return False
    return True


def _escaped_name(column: str) -> str:
    return column.replace('"', '""')


def _convert(target: str, column: str, duck_type: str, *, decimal_comma: bool, date_format: str | None) -> str:
    """SQL turning the file's column into the contract's type; NULL where the value is not plain
    (a date: not in `date_format`, the batch's one format)."""
    col = '"' + _escaped_name(column) + '"'
    text = duck_type == "VARCHAR"
    if target in (STORE_ID, "sku"):
        return f"trim({col})" if text else f"CAST({col} AS VARCHAR)"
    if target == "date":
        if not text:
            return f"TRY_CAST({col} AS DATE)"
        day = f"split_part(replace(trim({col}), 'T', ' '), ' ', 1)"
        return f"CAST(try_strptime({day}, '{date_format}') AS DATE)"
    if target == "promo":
        if not text:
            return f"TRY_CAST({col} AS BOOLEAN)"
        cases = " ".join(f"WHEN '{k}' THEN {'true' if v else 'false'}" for k, v in FLAGS.items())
        return f"CASE lower(trim({col})) {cases} END"
    if not text:
        return f"TRY_CAST({col} AS DOUBLE)"
    if decimal_comma:  # 1.234 in a decimal-comma file is a thousands separator: leave it to the careful reader
        return f"CASE WHEN contains({col}, '.') THEN NULL ELSE TRY_CAST(replace(trim({col}), ',', '.') AS DOUBLE) END"
    return f"TRY_CAST(trim({col}) AS DOUBLE)"
