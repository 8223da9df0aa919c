"""The DuckDB engine: clean POS files go straight into DuckDB; aggregation runs in SQL (weekly.py).

Only a file that DuckDB can take at face value is read here: UTF-8 text or Parquet, plain numbers
(no thousands separators), known stores, no future dates, one line per data row. Anything else
makes `add_file` return None and the file goes through the careful pandas reader, which reads
it the same way or names every bad line, so both engines give the same tables and messages.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from planner.errors import InputError
from planner.inputs.csvfile import guess_separator, normalise_header
from planner.inputs.parse import FLAGS
from planner.inputs.posmeta import LineCounts, PosFileInfo, map_headers
from planner.inputs.weekly import LINE_COLUMNS, WEEKLY_SQL

HEAD_BYTES = 1 << 16
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y/%m/%d")


class DuckLines:
    """Collects every file's lines in an in-memory DuckDB table and aggregates them to weeks."""

    def __init__(self, store_ids: set[str], today: date) -> None:
        self.con = duckdb.connect()
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute("SET enable_progress_bar = false")
        self.con.execute(
            "CREATE TABLE lines (store_id VARCHAR, sku VARCHAR, date DATE, units DOUBLE, revenue DOUBLE, promo BOOLEAN)"
        )
        self.con.execute("CREATE TABLE stores AS SELECT unnest($ids) AS store_id", {"ids": sorted(store_ids)})
        self.today = today

    def add_file(
        self, path: Path, label: str, digest: str, newlines: int, header_map: dict[str, str]
    ) -> PosFileInfo | None:
        """Load one file if it is clean; its PosFileInfo, or None to send it to the careful reader."""
        source = _source_sql(path)
        if source is None:
            return None
        sql, separator, encoding = source
        try:
            described = self.con.execute(f"DESCRIBE SELECT * FROM {sql}").fetchall()
            names = [row[0] for row in described]
            types = {row[0]: row[1] for row in described}
            normalised = [normalise_header(n) for n in names]
            mapping = map_headers(normalised, header_map, label, names)
            raw = dict(zip(normalised, names, strict=True))
            exprs = {target: _convert(target, raw[header], types[raw[header]], decimal_comma=separator == ";")
                     for target, header in mapping.items()}
            exprs.setdefault("promo", "false")
            select = ", ".join(f"{exprs[c]} AS {c}" for c in LINE_COLUMNS)
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE staged AS SELECT {select} FROM {sql}")
        except (duckdb.Error, InputError):
            return None
        rows, bad, first, last, stores = self.con.execute(
            """SELECT count(*), count(*) FILTER (WHERE date IS NULL OR date > $today OR date < DATE '1900-01-01'
                   OR units IS NULL OR isnan(units) OR isinf(units) OR revenue IS NULL OR isnan(revenue) OR isinf(revenue)
                   OR coalesce(store_id, '') = '' OR coalesce(sku, '') = '' OR promo IS NULL
                   OR store_id NOT IN (SELECT store_id FROM stores)),
                   min(date), max(date), list(DISTINCT store_id ORDER BY store_id)
               FROM staged""",
            {"today": self.today},
        ).fetchall()[0]
        one_row_per_line = separator == "parquet" or rows in (newlines - 1, newlines)
        if bad or not rows or not one_row_per_line:
            return None
        self.con.execute("INSERT INTO lines SELECT * FROM staged")
        return PosFileInfo(label, digest, rows, first, last, separator, encoding, list(stores))

    def add_lines(self, lines: pd.DataFrame) -> None:
        """Take one file's lines from the careful reader (LINE_COLUMNS)."""
        self.con.register("careful_part", lines[LINE_COLUMNS])
        self.con.execute(
            "INSERT INTO lines SELECT store_id, sku, CAST(date AS DATE), units, revenue, promo FROM careful_part"
        )
        self.con.unregister("careful_part")

    def finish(self, skus: set[str]) -> tuple[pd.DataFrame, pd.DataFrame, LineCounts]:
        """Weekly table, trading days and counts, as the pandas engine gives them."""
        con = self.con
        con.execute("CREATE TABLE products AS SELECT unnest($skus) AS sku", {"skus": sorted(skus)})
        con.execute("CREATE TEMP VIEW known AS SELECT l.* FROM lines l SEMI JOIN products USING (sku)")
        weekly = con.execute(WEEKLY_SQL).df()
        store_days = con.execute(
            "SELECT DISTINCT store_id, CAST(date AS TIMESTAMP) AS date FROM known ORDER BY store_id, date"
        ).df()
        total, return_lines, return_units, promo_lines = con.execute(
            "SELECT (SELECT count(*) FROM lines), count(*) FILTER (WHERE units < 0),"
            " coalesce(-sum(units) FILTER (WHERE units < 0), 0), count(*) FILTER (WHERE promo) FROM known"
        ).fetchall()[0]
        unknown = con.execute(
            "SELECT sku, count(*) AS n, sum(units) AS units FROM lines ANTI JOIN products USING (sku) GROUP BY sku ORDER BY sku"
        ).fetchall()
        counts = LineCounts(
            lines=int(total),
            return_lines=int(return_lines),
            return_units=float(return_units),
            unknown_sku_lines=sum(int(n) for _, n, _ in unknown),
            unknown_sku_units=float(sum(u for _, _, u in unknown)),
            unknown_skus={str(sku): int(n) for sku, n, _ in unknown},
            bulk_lines=int(weekly["bulk_lines"].sum()),
            bulk_units=float(weekly["bulk_units"].sum()),
            promo_lines=int(promo_lines),
        )
        con.close()
        return typed_weekly(weekly), typed_days(store_days), counts


def typed_weekly(weekly: pd.DataFrame) -> pd.DataFrame:
    """The weekly table's dtypes, whichever engine made it."""
    return weekly.astype(
        {"store_id": str, "sku": str, "week_start": "datetime64[ns]", "units": float, "revenue": float,
         "return_units": float, "lines": "int64", "promo_units": float, "bulk_units": float, "bulk_lines": "int64"}
    ).reset_index(drop=True)


def typed_days(store_days: pd.DataFrame) -> pd.DataFrame:
    """The trading-days table's dtypes, whichever engine made it."""
    return store_days.astype({"store_id": str, "date": "datetime64[ns]"}).reset_index(drop=True)


def _source_sql(path: Path) -> tuple[str, str, str] | None:
    """DuckDB table-function SQL for the file, its separator and encoding; None if not for the fast path."""
    quoted = "'" + str(path).replace("'", "''") + "'"
    if path.suffix.lower() == ".parquet":
        return f"read_parquet({quoted})", "parquet", "parquet"
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    head = head[: head.rfind(b"\n") + 1] or head
    if not head.strip() or b"\x00" in head:
        return None
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    separator = guess_separator(text.split("\n", 1)[0].rstrip("\r"))
    delim = "\\t" if separator == "\t" else separator
    options = f"delim='{delim}', header=true, all_varchar=true, quote='\"', escape='\"', strict_mode=true"
    return f"read_csv({quoted}, {options})", separator, "utf-8"


def _convert(target: str, column: str, duck_type: str, *, decimal_comma: bool) -> str:
    """SQL turning the file's column into the contract's type; NULL where the value is not plain."""
    col = '"' + column.replace('"', '""') + '"'
    text = duck_type == "VARCHAR"
    if target in ("store_id", "sku"):
        return f"trim({col})" if text else f"CAST({col} AS VARCHAR)"
    if target == "date":
        if not text:
            return f"TRY_CAST({col} AS DATE)"
        day = f"split_part(replace(trim({col}), 'T', ' '), ' ', 1)"
        tries = ", ".join(f"try_strptime({day}, '{fmt}')" for fmt in DATE_FORMATS)
        return f"coalesce(TRY_CAST(trim({col}) AS DATE), CAST(coalesce({tries}) AS DATE))"
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
