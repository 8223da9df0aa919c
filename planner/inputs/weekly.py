"""From till lines to weekly sums per store, product and ISO week, with the line-level rules.

The rules are written twice, once for pandas (the plain engine) and once as DuckDB SQL (the fast
engine); `tests/test_inputs_engines.py` keeps the two identical.

- Returns (negative units) are netted against sales; `return_units` counts them.
- One-off bulk lines: for a store and product with at least `BULK_MIN_LINES` selling lines, a
  line above `max(BULK_FACTOR x p90, p90 + BULK_MIN_EXCESS)` units (p90 = 90th percentile of that
  pair's selling lines) is a bulk purchase (a party order, a restaurant buying at the till). It
  counts as the pair's median line instead; `bulk_units` keeps what was taken out. A deal line is
  never a bulk line: one the till flagged as promotion, or sold at a unit price (revenue / units)
  `DEAL_PRICE_CUT` or more below the pair's median unit price. Customers stocking up on a deal are
  demand for the deal; the profiles leave promotion weeks out of the regular rate.
- `promo_units`: units on lines the till flagged as promotion (optional `promo` column).

DuckDB sums in DECIMAL (6 places): a parallel float sum depends on the order the threads finish,
and the same files must give the same plan, to the byte.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.schemas import KEY, STORE_ID

BULK_MIN_LINES = 8
BULK_FACTOR = 5.0
BULK_MIN_EXCESS = 10.0
DEAL_PRICE_CUT = 0.10  # a line this far below the pair's median unit price is sold on a deal

WEEKLY_COLUMNS = [*KEY, "week_start", "units", "revenue", "return_units", "lines", "promo_units", "bulk_units", "bulk_lines"]
LINE_COLUMNS = [*KEY, "date", "units", "revenue", "promo", "card", "receipt"]  # card: a pseudonym (inputs.cards)
CARD_LINE_COLUMNS = ["card", *KEY, "date", "receipt", "units", "revenue"]  # the lines on a card, known SKUs only


def week_start(dates: pd.Series) -> pd.Series:
    """The Monday of each date's ISO week."""
    return dates - pd.to_timedelta(dates.dt.day_of_week, unit="D")


def week_numbers(dates: pd.Series) -> np.ndarray:
    """Each date's ISO week as an integer (weeks since the one of 1970-01-01): the week of week_start,
    for grouping millions of lines without timestamps."""
    days = dates.to_numpy().astype("datetime64[D]").astype(np.int64)
    return (days + 3) // 7  # 1970-01-01 was a Thursday: day 4, the first Monday, starts week 1


def weekly_from_lines(lines: pd.DataFrame) -> pd.DataFrame:
    """pandas: LINE_COLUMNS (known SKUs only) -> WEEKLY_COLUMNS, sorted by store, sku, week."""
    selling_lines = lines.loc[lines["units"] > 0, [*KEY, "units", "revenue"]]
    selling_lines = selling_lines.assign(unit_price=selling_lines["revenue"] / selling_lines["units"])
    selling = selling_lines.groupby(KEY)
    stats = pd.DataFrame({"n": selling.size(), "p90": selling["units"].quantile(0.9), "median": selling["units"].median(),
                          "price": selling["unit_price"].median()})
    stats = stats.reindex(pd.MultiIndex.from_frame(lines[KEY]))
    threshold = pd.concat([BULK_FACTOR * stats["p90"], stats["p90"] + BULK_MIN_EXCESS], axis=1).max(axis=1)
    unit_price = (lines["revenue"] / lines["units"].where(lines["units"] > 0)).to_numpy()
    deal = lines["promo"].fillna(False).astype(bool).to_numpy() | (unit_price < (1 - DEAL_PRICE_CUT) * stats["price"].to_numpy())
    bulk = ((stats["n"] >= BULK_MIN_LINES) & (lines["units"].to_numpy() > threshold)).to_numpy() & ~deal
    kept = lines["units"].where(~bulk, stats["median"].to_numpy())
    frame = pd.DataFrame(
        {
            STORE_ID: lines[STORE_ID],
            "sku": lines["sku"],
            "week_start": week_start(lines["date"]),
            "units": kept,
            "revenue": lines["revenue"].where(~bulk, lines["revenue"] * kept / lines["units"]),
            "return_units": (-lines["units"]).clip(lower=0),
            "lines": 1,
            "promo_units": lines["units"].where(lines["promo"].fillna(False).astype(bool), 0.0),
            "bulk_units": lines["units"] - kept,
            "bulk_lines": bulk.astype(int),
        }
    )
    weekly = frame.groupby([*KEY, "week_start"], as_index=False, sort=True).sum()
    return weekly[WEEKLY_COLUMNS]


WEEKLY_SQL = f"""
WITH stats AS (
    SELECT store_id, sku, count(*) AS n, quantile_cont(units, 0.9) AS p90, median(units) AS med, median(revenue / units) AS price
    FROM known WHERE units > 0 GROUP BY store_id, sku
), marked AS (
    SELECT k.*, s.med,
           coalesce(s.n >= {BULK_MIN_LINES} AND k.units > greatest({BULK_FACTOR} * s.p90, s.p90 + {BULK_MIN_EXCESS})
                    AND NOT coalesce(k.promo, false) AND k.revenue / k.units >= {1 - DEAL_PRICE_CUT} * s.price, false) AS bulk
    FROM known k LEFT JOIN stats s USING (store_id, sku)
)
SELECT store_id, sku, CAST(date_trunc('week', date) AS TIMESTAMP) AS week_start,
       CAST(sum(CAST(CASE WHEN bulk THEN med ELSE units END AS DECIMAL(38, 6))) AS DOUBLE) AS units,
       CAST(sum(CAST(CASE WHEN bulk THEN revenue * med / units ELSE revenue END AS DECIMAL(38, 6))) AS DOUBLE) AS revenue,
       CAST(sum(CAST(greatest(-units, 0) AS DECIMAL(38, 6))) AS DOUBLE) AS return_units,
       count(*) AS lines,
       CAST(sum(CAST(CASE WHEN coalesce(promo, false) THEN units ELSE 0 END AS DECIMAL(38, 6))) AS DOUBLE) AS promo_units,
       CAST(sum(CAST(CASE WHEN bulk THEN units - med ELSE 0 END AS DECIMAL(38, 6))) AS DOUBLE) AS bulk_units,
       count(*) FILTER (WHERE bulk) AS bulk_lines
FROM marked
GROUP BY store_id, sku, week_start
ORDER BY store_id, sku, week_start
"""
