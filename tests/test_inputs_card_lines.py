"""The card lines come out in one order and with the same values, whichever engine reads them.

The DuckDB engine sorts them in SQL; the pandas engine with pandas (inputs.posduck.typed_cards).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from conftest import TODAY

from planner import PlanConfig, load_chain
from planner.inputs.posduck import CARD_ORDER

CARD_IDS = ["000123456789", "000987654321", "100000000001", "999999999999", "000000000042"]
RECEIPTS = ["R1", "r1", "R10", "R2", "Ä7", "a b", "ab", "", "77"]  # case, non-ASCII, a space, a blank (no receipt)


def write_shuffled_cards(folder: Path, seed: int = 3) -> None:
    """Two stores, three products, card lines in random order over three files of their own days (none a re-export
    of another), one of them for the careful reader."""
    (folder / "pos").mkdir(parents=True)
    (folder / "stores.csv").write_text("store_id,name,shelf_capacity,inventory_budget\nS1,One,100,1000\nS2,Two,100,1000\n")
    (folder / "products.csv").write_text("sku,name,category,price,unit_cost,fresh,shelf_space,case_pack,shelf_life_days\n"
                                         "A,Apple,Produce,1.0,0.5,1,1,6,7\nB,Bread,Bakery,2.0,1.0,1,1,4,3\n"
                                         "b,Bun,Bakery,0.5,0.2,1,1,4,3\n")
    rng = np.random.default_rng(seed)
    header = "date,store_id,sku,units,revenue,card_id,receipt_id\n"
    parts: list[list[str]] = [[], [], []]
    for _ in range(300):
        day = date(2026, 11, 2) + timedelta(days=int(rng.integers(0, 14)))
        units = int(rng.choice([-1, 1, 1, 2, 3]))
        card = CARD_IDS[rng.integers(0, len(CARD_IDS))] if rng.random() < 0.8 else ""
        line = (f"{day:%Y-%m-%d},S{rng.integers(1, 3)},{'ABb'[rng.integers(0, 3)]},{units},{units * rng.choice([0.5, 1.0, 1.25]):.2f},"
                f"{card},{RECEIPTS[rng.integers(0, len(RECEIPTS))]}\n")
        parts[min((day.day - 2) // 5, 2)].append(line)
    (folder / "pos" / "one.csv").write_text(header + "".join(parts[0]), encoding="utf-8")
    (folder / "pos" / "two.csv").write_text(header + "".join(parts[1]), encoding="utf-8")
    (folder / "pos" / "ansi.csv").write_bytes((header + "".join(parts[2])).encode("cp1252"))  # not UTF-8: the careful reader


def test_both_engines_sort_the_card_lines_alike(tmp_path: Path) -> None:
    write_shuffled_cards(tmp_path)
    duck = load_chain(tmp_path, PlanConfig(), today=TODAY, engine="duckdb").cards
    plain = load_chain(tmp_path, PlanConfig(), today=TODAY, engine="pandas").cards
    cached = load_chain(tmp_path, PlanConfig(), today=TODAY, engine="duckdb").cards  # from the parse cache
    assert len(duck) > 200 and duck["receipt"].isna().any() and (duck["units"] < 0).any()
    pd.testing.assert_frame_equal(duck, plain)
    pd.testing.assert_frame_equal(duck, cached)
    resorted = duck.sort_values(CARD_ORDER, kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(duck, resorted)
    assert list(duck.dtypes.astype(str)) == ["string", "object", "object", "datetime64[ns]", "string", "float64", "float64"]


def test_a_text_repeated_on_many_card_lines_is_one_object(tmp_path: Path) -> None:
    write_shuffled_cards(tmp_path)
    cards = load_chain(tmp_path, PlanConfig(), today=TODAY, engine="duckdb").cards
    stores = cards["store_id"].to_numpy()
    assert len({id(value) for value in stores}) == cards["store_id"].nunique()  # memory: not one string per line
