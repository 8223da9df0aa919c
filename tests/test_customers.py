"""Loyalty cards: read and pseudonymised, segments recovered, groups never under 20, no card id in any output."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLE, TODAY, configured
from sklearn.metrics import adjusted_rand_score
from test_plan_hash import NO_CARDS_PLAN_SHA256

from planner import InputError, PlanConfig, load_chain, load_config, run_week
from planner.customers import build_customers
from planner.customers.segments import MIN_GROUP
from planner.inputs.cards import CARD_KEY_FILE, card_key, pseudonymise
from planner.outputs.customers import previous_segments, segment_state
from planner.schemas import STORE_ID

# what sample_stores/README.md says a planner should find: each store's biggest segment, and words in each name
DOMINANT = {"S01": "students_singles", "S02": "families", "S03": "locals"}
NAME_WORDS = {"students_singles": ("single", "Ready Meals"), "families": ("Baby & Kids", "family"),
              "organic_foodies": ("organic",), "tourists": ("Beverages", "Deli & Cheese", "Bakery"), "locals": ("Canned & Jars", "Pantry")}


@pytest.fixture(scope="module")
def sample_customers():
    chain = load_chain(SAMPLE, PlanConfig(), today=TODAY)
    revenue = chain.weekly.groupby(STORE_ID)["revenue"].sum()
    customers = build_customers(chain.cards, chain.products, chain.store_ids, revenue)
    planted = pd.read_csv(SAMPLE / "planted_segments.csv", dtype=str)
    planted["card"] = pseudonymise(planted["card_id"], card_key(SAMPLE))
    return chain, customers, planted.set_index("card")["segment"]


def test_planted_segments_are_recovered_and_named(sample_customers) -> None:
    chain, customers, planted = sample_customers
    labels = customers.segmentation.labels
    truth = planted.reindex(labels.index)
    assert truth.notna().all(), "every segmented card is one of the generator's"
    assert adjusted_rand_score(truth, labels) >= 0.6
    majority = pd.crosstab(labels, truth).idxmax(axis=1)  # segment id -> the planted segment most of its members are
    for store, expected in DOMINANT.items():
        mix = customers.mix[(customers.mix[STORE_ID] == store) & ~customers.mix["suppressed"]]
        biggest = int(mix.loc[mix["spend_share"].idxmax(), "segment"]) if store != "S03" else int(mix.loc[mix["cardholders"].idxmax(), "segment"])
        assert majority[biggest] == expected, f"{store}: the biggest segment is mostly {majority[biggest]}, not {expected}"
    for segment, name in customers.segmentation.names.items():
        assert any(word in name for word in NAME_WORDS[majority[segment]]), f"{name!r} for planted {majority[segment]}"
    assert 0.55 <= chain.pos_report.counts.card_lines / chain.pos_report.counts.lines <= 0.65  # about 60 % of lines on a card


def test_tourists_show_in_the_summer_mix(sample_customers) -> None:
    _chain, customers, planted = sample_customers
    labels = customers.segmentation.labels
    tourists = pd.crosstab(labels, planted.reindex(labels.index))["tourists"].idxmax()
    s03 = customers.monthly[(customers.monthly[STORE_ID] == "S03") & (customers.monthly["segment"] == tourists)].set_index("month")
    assert s03["spend_share"].get("2026-07", 0) > 0.1
    assert "2026-01" not in s03.index or pd.isna(s03.at["2026-01", "spend_share"])  # no tourists, or too few to show


def test_segment_ids_stay_from_week_to_week(sample_customers) -> None:
    chain, customers, _planted = sample_customers
    revenue = chain.weekly.groupby(STORE_ID)["revenue"].sum()
    state = previous_segments(json.loads(json.dumps(segment_state(customers))))
    again = build_customers(chain.cards, chain.products, chain.store_ids, revenue, previous=state)
    assert again.segmentation.names == customers.segmentation.names
    assert any(f"kept {len(customers.segments)} of the last run's {len(customers.segments)} segments" in n for n in again.notes)
    centroids, names = state
    moved = centroids.copy()
    moved.loc[moved.index[0]] *= 3.0  # last week's first segment looked very different
    shifted = build_customers(chain.cards, chain.products, chain.store_ids, revenue, previous=(moved, names))
    assert any("has no match this week" in n for n in shifted.notes)
    assert max(shifted.segmentation.names) > max(names)  # the unmatched one gets a new id


def test_no_figure_is_about_fewer_than_20_cardholders() -> None:
    rng = np.random.default_rng(1)
    products = pd.DataFrame({"sku": [f"P{i}" for i in range(30)], "category": [f"C{i % 6}" for i in range(30)],
                             "fresh": [i % 2 == 0 for i in range(30)], "organic": [str(i % 3 == 0) for i in range(30)]})
    rows = []
    for store, n_cards in (("A", 120), ("B", 90), ("C", 5)):
        for card in range(n_cards):
            taste = rng.integers(0, 6)  # the category this card likes
            for visit in range(8):
                for sku in rng.choice(30, 4, p=np.where(np.arange(30) % 6 == taste, 5.0, 1.0) / np.where(np.arange(30) % 6 == taste, 5.0, 1.0).sum()):
                    rows.append((f"{store}{card:04d}", store, f"P{sku}", pd.Timestamp("2026-01-05") + pd.Timedelta(days=7 * visit),
                                 f"{store}-{card}-{visit}", 1.0, 2.5))
    lines = pd.DataFrame(rows, columns=["card", STORE_ID, "sku", "date", "receipt", "units", "revenue"])
    revenue = lines.groupby(STORE_ID)["revenue"].sum() * 2
    customers = build_customers(lines, products, ["A", "B", "C"], revenue)
    assert (customers.segments["cardholders"] >= MIN_GROUP).all()
    c_rows = customers.mix[customers.mix[STORE_ID] == "C"]
    assert len(c_rows) and c_rows["suppressed"].all() and c_rows["spend_share"].isna().all() and c_rows["cardholders"].isna().all()
    shown = customers.mix[~customers.mix["suppressed"]]
    assert (shown["cardholders"] >= MIN_GROUP).all()
    loyalty = customers.loyalty.set_index(STORE_ID)
    assert loyalty.at["C", "suppressed"] and pd.isna(loyalty.at["C", "card_spend_share"])
    assert build_customers(lines[lines[STORE_ID] == "C"], products, ["C"], revenue) is None  # 5 cards: no segments at all


def write_card_pos(folder: Path) -> None:
    (folder / "pos").mkdir(parents=True)
    (folder / "stores.csv").write_text("store_id,name,shelf_capacity,inventory_budget\nS1,One,100,1000\n")
    (folder / "products.csv").write_text("sku,name,category,price,unit_cost,fresh,shelf_space,case_pack,shelf_life_days\n"
                                         "A,Apple,Produce,1.0,0.5,1,1,6,7\nB,Bread,Bakery,2.0,1.0,1,1,4,3\n")
    (folder / "pos" / "en.csv").write_text("date,store_id,sku,units,revenue,card_id,receipt_id\n"
                                           "2026-11-02,S1,A,2,2.0,000123456789,R1\n2026-11-02,S1,B,1,2.0,000123456789,R1\n"
                                           "2026-11-03,S1,A,1,1.0,,R2\n2026-11-04,S1,B,1,2.0, 000987654321 ,\n")
    (folder / "pos" / "de.csv").write_text("Datum;Filiale;Artikelnummer;Menge;Umsatz;Kundenkarte;Bon\n"
                                           "05.11.2026;S1;A;3;3,00;000123456789;77\n06.11.2026;S1;B;1;2,00;;78\n")


@pytest.mark.parametrize("engine", ["duckdb", "pandas"])
def test_card_columns_are_read_and_pseudonymised(tmp_path: Path, engine: str) -> None:
    write_card_pos(tmp_path)
    chain = load_chain(tmp_path, PlanConfig(), today=TODAY, engine=engine)
    cards = chain.cards
    assert len(cards) == 4 and cards["card"].nunique() == 2  # the blank card is a line without a card; the spaces are trimmed
    assert cards["card"].str.fullmatch(r"[0-9a-f]{16}").all()
    key = (tmp_path / CARD_KEY_FILE).read_text().strip()
    assert set(cards["card"]) == set(pseudonymise(pd.Series(["000123456789", "000987654321"]), key))
    assert (tmp_path / CARD_KEY_FILE).stat().st_mode & 0o777 == 0o600
    assert chain.weekly["units"].sum() == 9  # every line still counts as demand
    assert sorted(cards["receipt"].dropna()) == ["77", "R1", "R1"]


def test_both_engines_give_the_same_card_lines(tmp_path: Path) -> None:
    write_card_pos(tmp_path)
    duck = load_chain(tmp_path, PlanConfig(), today=TODAY, engine="duckdb").cards
    plain = load_chain(tmp_path, PlanConfig(), today=TODAY, engine="pandas").cards
    cached = load_chain(tmp_path, PlanConfig(), today=TODAY, engine="duckdb").cards  # from the parse cache
    pd.testing.assert_frame_equal(duck, plain)
    pd.testing.assert_frame_equal(duck, cached)


@pytest.mark.parametrize("engine", ["duckdb", "pandas"])
def test_a_garbage_card_id_is_refused_without_showing_it(tmp_path: Path, engine: str) -> None:
    write_card_pos(tmp_path)
    garbage = "4" * 80
    with (tmp_path / "pos" / "en.csv").open("a") as file:
        file.write(f"2026-11-05,S1,A,1,1.0,{garbage},R9\n")
    with pytest.raises(InputError) as caught:
        load_chain(tmp_path, PlanConfig(), today=TODAY, engine=engine)
    message = str(caught.value)
    assert "pos/en.csv" in message and "line 6" in message and "card_id" in message and "at most 64 characters" in message
    assert garbage[:12] not in message


def _output_text(path: Path) -> str:
    """What a person could read in an output file: workbook cells, Parquet values, text."""
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as book:
            return " ".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())
    if path.suffix == ".parquet":
        return pd.read_parquet(path).to_csv()
    return path.read_bytes().decode("utf-8", "replace")


@pytest.mark.slow
def test_no_output_holds_a_card_id_or_its_pseudonym(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "chain"
    shutil.copytree(SAMPLE, data, ignore=shutil.ignore_patterns(".planner", "planner.db*", "output"))
    database = tmp_path / "planner.db"
    monkeypatch.setenv("PLANNER_DATABASE_URL", f"sqlite:///{database}")
    said: list[str] = []
    outcome = run_week(data, tmp_path / "out", configured(load_config(data / "planning.toml")), today=TODAY, progress=said.append)
    planted = pd.read_csv(data / "planted_segments.csv", dtype=str)["card_id"]
    secrets = set(planted) | set(pseudonymise(planted, card_key(data)).dropna())
    pattern = re.compile(r"[0-9a-f]{16}|[0-9]{12}")
    texts = {str(p): _output_text(p) for p in (tmp_path / "out").rglob("*") if p.is_file()}
    with sqlite3.connect(database) as db:
        texts["database"] = " ".join(str(row) for table, in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
                                     for row in db.execute(f"SELECT * FROM {table}"))
    texts["progress"] = "\n".join(said)
    assert len(texts) > 10 and any("customers" in name for name in texts)
    for name, text in texts.items():
        leaked = set(pattern.findall(text)) & secrets
        assert not leaked, f"{name} holds {len(leaked)} card ids or pseudonyms"
    assert outcome.summary["customers"]["segmented_cardholders"] >= 3 * MIN_GROUP


@pytest.mark.slow
def test_a_chain_without_cards_plans_as_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "chain"
    shutil.copytree(SAMPLE, data, ignore=shutil.ignore_patterns(".planner", "planner.db*", "output"))
    card_headers = {"card_id", "receipt_id", "Kundenkarte", "Bon", "customer", "transaction"}
    for path in (data / "pos").rglob("*.csv"):
        separator = ";" if "Kassenexport" in path.name else ","
        frame = pd.read_csv(path, sep=separator, dtype=str, keep_default_na=False)
        text = frame.drop(columns=[c for c in frame.columns if c in card_headers]).to_csv(sep=separator, index=False,
                                                                                         lineterminator="\r\n" if separator == ";" else "\n")
        path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("PLANNER_DATABASE_URL", f"sqlite:///{tmp_path / 'planner.db'}")
    outcome = run_week(data, tmp_path / "out", configured(load_config(data / "planning.toml")), today=TODAY)
    assert hashlib.sha256((tmp_path / "out" / "plan.csv").read_bytes()).hexdigest() == NO_CARDS_PLAN_SHA256
    assert "customers" not in outcome.summary and not (tmp_path / "out" / "current" / "customers").exists()
