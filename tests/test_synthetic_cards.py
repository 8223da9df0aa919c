"""planner.examples with cards=True: customers drive the demand, lines carry cards and receipts, cards=False stays as it was."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_examples import digest

from planner import PlanConfig, load_chain
from planner.examples import write_synthetic_chain
from planner.synthetic_cards import CARD_SHARE, MIN_PER_SEGMENT

# sha256 over every CSV (relative path, NUL, bytes, in path order), computed before the cards option existed.
UNCHANGED_DIGESTS = [
    ("lumpy", "2c14bf2c3147e9c81f34925c6b6081062179c8df5793defd11d7820d9c94ab12"),
    ("promotions", "7b4396409e7650f2c21efe88d3bd88f601112a438428b5fa94cef7d6d5f5b07b"),
    ("smooth", "465008022ad6304fd394482126e843f6f3200fc31beb9517251f7269bbd43121"),
]
SMALL = {"n_stores": 3, "n_products": 20, "n_weeks": 12, "seed": 7}


def pos_lines(folder: Path) -> pd.DataFrame:
    """Every POS line as text, units as numbers."""
    files = sorted((folder / "pos").rglob("*.csv"))
    lines = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files], ignore_index=True)
    return lines.assign(units=lines["units"].astype(int))


@pytest.fixture(scope="module")
def chains(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Chains with cards: the default size (3 stores x 40 products x 30 weeks) for churn, lumpy and
    smooth, and a larger churn chain (5 stores x 80 products x 40 weeks) whose stores' mixes differ."""
    root = tmp_path_factory.mktemp("cards")
    chains = {name: write_synthetic_chain(root / name, seed=5, demand=name, cards=True) for name in ("churn", "lumpy", "smooth")}
    chains["large"] = write_synthetic_chain(root / "large", n_stores=5, n_products=80, n_weeks=40, seed=2, demand="churn", cards=True)
    return chains


@pytest.mark.parametrize(("demand", "expected"), UNCHANGED_DIGESTS)
def test_without_cards_the_files_are_unchanged(tmp_path: Path, demand: str, expected: str) -> None:
    assert digest(write_synthetic_chain(tmp_path / "a", **SMALL, demand=demand)) == expected
    assert digest(write_synthetic_chain(tmp_path / "b", **SMALL, demand=demand, cards=False)) == expected


def test_same_seed_same_files(tmp_path: Path) -> None:
    first = digest(write_synthetic_chain(tmp_path / "a", **SMALL, demand="fresh", cards=True))
    assert first == digest(write_synthetic_chain(tmp_path / "b", **SMALL, demand="fresh", cards=True))
    assert first != digest(write_synthetic_chain(tmp_path / "c", **SMALL, demand="fresh"))


@pytest.mark.parametrize("name", ["churn", "lumpy", "smooth"])
def test_chain_loads_with_cards(chains: dict[str, Path], name: str) -> None:
    """load_chain reads the card and receipt columns; about CARD_SHARE of the units are on a card."""
    chain = load_chain(chains[name], PlanConfig(), progress=lambda text: None)
    assert chain.has_cards
    counts = chain.pos_report.counts
    assert counts.cards > 300
    assert chain.cards["receipt"].notna().all()
    lines = pos_lines(chains[name])
    sold = lines[lines["units"] > 0]
    on_card = sold.loc[sold["card_id"] != "", "units"].sum() / sold["units"].sum()
    assert on_card == pytest.approx(CARD_SHARE, abs=0.04)
    assert chain.cards["units"].sum() / chain.weekly["units"].sum() == pytest.approx(CARD_SHARE, abs=0.05)
    assert counts.card_lines == pytest.approx(CARD_SHARE * len(lines), rel=0.08)


def test_smooth_with_cards_writes_daily_till_lines(chains: dict[str, Path]) -> None:
    lines = pos_lines(chains["smooth"])
    files = {p.name for p in (chains["smooth"] / "pos").rglob("*.csv")}
    assert "weekly.csv" not in files and "2026-11.csv" in files
    dates = pd.to_datetime(lines["date"])
    assert (dates.dt.day_of_week < 6).all()
    assert lines.groupby(["store_id", "sku", dates.dt.isocalendar().week])["date"].nunique().max() > 1


def test_lines_are_purchases_with_receipts(chains: dict[str, Path]) -> None:
    """Till lines are split into purchases; a card's lines of a day share a receipt; anonymous receipts have 1 to 6 lines."""
    lines = pos_lines(chains["churn"])
    carded = lines["card_id"] != ""
    assert lines.loc[carded, "card_id"].str.fullmatch(r"\d{12}").all()
    assert lines["receipt_id"].str.fullmatch(r"\d{10}").all()
    assert (lines.loc[lines["units"] > 0, "units"] <= 6).mean() > 0.99  # one customer's purchase, not a day's total
    per_card_day = lines[carded & (lines["units"] > 0)].groupby(["store_id", "date", "card_id"])["receipt_id"].nunique()
    assert (per_card_day == 1).all()
    owners = lines.groupby(["store_id", "receipt_id"])["card_id"].nunique()
    assert (owners == 1).all()  # a receipt is one customer's, with or without a card
    anonymous = lines[~carded & (lines["units"] > 0)].groupby(["store_id", "receipt_id"]).size()
    assert anonymous.min() >= 1 and anonymous.max() <= 6
    assert lines.groupby(["store_id", "receipt_id"])["date"].nunique().max() == 1


def test_cardholders_and_segments(chains: dict[str, Path]) -> None:
    """4 to 6 segments, a few hundred cardholders per store, at least MIN_PER_SEGMENT per segment, some in a second store."""
    planted = pd.read_csv(chains["churn"] / "planted_segments.csv", dtype=str, keep_default_na=False)
    assert planted["card_id"].is_unique
    assert 4 <= planted["segment"].nunique() <= 6
    assert planted["segment"].value_counts().min() >= MIN_PER_SEGMENT
    per_store = planted.groupby("store_id").size()
    assert per_store.between(100, 600).all()
    second = planted[planted["second_store_id"] != ""]
    assert 0.05 < len(second) / len(planted) < 0.3
    assert (second["second_store_id"] != second["store_id"]).all()
    lines = pos_lines(chains["churn"])
    shops = lines[lines["card_id"] != ""].groupby("card_id")["store_id"].nunique()
    assert (shops > 1).sum() > 0.5 * len(second)
    assert shops.index.isin(planted["card_id"]).all()


def test_each_store_is_dominated_by_its_planted_segment(chains: dict[str, Path]) -> None:
    """The segment with the most card units in a store is the one its planted mix favours, and stores differ."""
    folder = chains["large"]
    mix = pd.read_csv(folder / "planted_store_mix.csv", dtype={"store_id": str})
    planted = pd.read_csv(folder / "planted_segments.csv", dtype=str, keep_default_na=False)[["card_id", "segment"]]
    lines = pos_lines(folder)
    bought = lines[lines["card_id"] != ""].merge(planted, on="card_id", how="left", validate="many_to_one")
    assert bought["segment"].notna().all()
    units = bought.groupby(["store_id", "segment"])["units"].sum().unstack(fill_value=0)
    found = units.idxmax(axis=1).astype(int)
    dominant = mix.loc[mix.groupby("store_id")["share"].idxmax()].set_index("store_id")["segment"]
    assert found.to_dict() == dominant.to_dict()
    assert dominant.nunique() >= 3
    shares = units.div(units.sum(axis=1), axis=0).stack()
    shares.index = shares.index.set_levels(shares.index.levels[1].astype(int), level=1)
    expected = mix.set_index(["store_id", "segment"])["share"].reindex(shares.index)
    assert np.abs(shares - expected).max() < 0.1


def test_segments_prefer_products_within_a_category(chains: dict[str, Path]) -> None:
    """A segment over-buys the products of its planted affinity, within each category (not only categories)."""
    folder = chains["large"]
    affinity = pd.read_csv(folder / "planted_affinity.csv", dtype={"sku": str})
    category = pd.read_csv(folder / "products.csv", dtype={"sku": str}).set_index("sku")["category"]
    planted = pd.read_csv(folder / "planted_segments.csv", dtype=str, keep_default_na=False)[["card_id", "segment"]]
    lines = pos_lines(folder)
    bought = lines[(lines["card_id"] != "") & (lines["units"] > 0)].merge(planted, on="card_id", validate="many_to_one")
    units = bought.groupby(["sku", "segment"])["units"].sum().unstack(fill_value=0)
    units = units[units.sum(axis=1) >= 100]
    # the segment's share of a product's units, against its share of the product's category
    share = units.div(units.sum(axis=1), axis=0)
    within = np.log(share.clip(lower=1e-3)) - np.log(share.groupby(category).transform("mean").clip(lower=1e-3))
    planted_aff = affinity.assign(segment=affinity["segment"].astype(str)).pivot(index="sku", columns="segment", values="affinity")
    planted_within = np.log(planted_aff) - np.log(planted_aff).groupby(category).transform("mean")
    planted_within = planted_within.reindex(index=within.index, columns=within.columns)
    assert np.corrcoef(within.to_numpy().ravel(), planted_within.to_numpy().ravel())[0, 1] > 0.5
