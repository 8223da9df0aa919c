"""The what-if basis as Parquet and JSON: every table, the config and the tokens come back exactly,
a what-if on the read basis is the same as on the original, and a basis of another format, or none,
is refused with a message that says to re-run the weekly plan. Nothing written or read is a pickle."""

from __future__ import annotations

import dataclasses
import json
import pickle
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import profiles_for, tiny_chain

from planner import PlanConfig, PlannerError
from planner.config import DatabaseConfig
from planner.errors import StalePublishedPlan
from planner.optimize import PlanningProblem, WhatIfBasis, plan_assortment, replan_store
from planner.optimize.inputs import ModelInputs, Substitutes, store_inputs
from planner.outputs.basis import (
    FORMAT_VERSION,
    JSON_FIELDS,
    MANIFEST_FILE,
    TABLE_FIELDS,
    WHAT_IF_DIR,
    planner_version,
    read_basis,
    write_basis,
)

BASE = PlanConfig()
CONFIG = dataclasses.replace(
    BASE,
    assortment=dataclasses.replace(BASE.assortment, min_items_per_category=1),  # a category_minimum with rows
    stability=dataclasses.replace(BASE.stability, max_changes_per_store_per_week=None),  # None where the default is 20
    costs=dataclasses.replace(BASE.costs, listing_cost_per_product=0.5),
    database=DatabaseConfig(url="postgresql+psycopg://planner:secret@db.example/planner"),
)
RERUN = "re-run the weekly plan (planner run DATA_DIR --out OUT_DIR)"


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> tuple[WhatIfBasis, Path]:
    """A tiny chain planned with a store exclusion and substitutes, and its basis written once."""
    folder = tiny_chain(tmp_path_factory.mktemp("basis") / "chain", n_stores=3, n_products=40, seed=3)
    chain, profiles = profiles_for(folder)
    first = chain.products["sku"].iloc[0]
    pd.DataFrame([(chain.store_ids[1], first, "must_not_carry")], columns=["store_id", "sku", "rule"]).to_csv(
        folder / "overrides.csv", index=False)
    chain, profiles = profiles_for(folder)
    substitutes = Substitutes.configured(profiles.substitution.pairs, profiles.substitution.transfer_rate, CONFIG.substitution)
    result = plan_assortment(PlanningProblem(profiles.pairs, chain.stores, chain.products, CONFIG, substitutes=substitutes, overrides=chain.overrides))
    out = tmp_path_factory.mktemp("run") / WHAT_IF_DIR
    write_basis(out, result.basis)
    return result.basis, out


@pytest.fixture
def written(planned: tuple[WhatIfBasis, Path], tmp_path: Path) -> Path:
    """A copy of the written basis that a test may damage."""
    return Path(shutil.copytree(planned[1], tmp_path / WHAT_IF_DIR))


def assert_same_inputs(read: ModelInputs, original: ModelInputs) -> None:
    for name in TABLE_FIELDS:
        left, right = getattr(read, name), getattr(original, name)
        if isinstance(right, pd.DataFrame):
            pd.testing.assert_frame_equal(left, right, check_dtype=True, check_names=True, check_index_type=True, obj=name)
        elif isinstance(right, pd.Series):
            pd.testing.assert_series_equal(left, right, check_dtype=True, check_names=True, check_index_type=True, obj=name)
        else:
            pd.testing.assert_index_equal(left, right, exact=True, check_names=True, obj=name)
    assert read.mode == original.mode
    assert read.tokens == original.tokens and list(read.tokens) == list(original.tokens)
    assert read.listed_elsewhere == original.listed_elsewhere
    assert read.config == dataclasses.replace(original.config, database=DatabaseConfig())


def test_every_model_inputs_field_is_written() -> None:
    fields = {f.name for f in dataclasses.fields(ModelInputs)}
    assert fields == {*TABLE_FIELDS, *JSON_FIELDS}, "a new ModelInputs field: write it in outputs/basis.py and raise FORMAT_VERSION"


@pytest.mark.slow
def test_the_read_basis_equals_the_original(planned: tuple[WhatIfBasis, Path]) -> None:
    original, folder = planned
    inputs = original.inputs
    assert len(inputs.excluded) and len(inputs.category_minimum) and len(inputs.flows), "the instance must fill every table"
    read = read_basis(folder)
    assert_same_inputs(read.inputs, inputs)
    pd.testing.assert_frame_equal(read.plan, original.plan, check_dtype=True, check_names=True, obj="plan")
    assert read.inputs.config.stability.max_changes_per_store_per_week is None
    assert "secret" not in (folder / "config.json").read_text(encoding="utf-8")


def test_a_store_basis_with_other_stores_listings_comes_back(planned: tuple[WhatIfBasis, Path], tmp_path: Path) -> None:
    original, _folder = planned
    store = original.inputs.stores[0]
    elsewhere = set(original.plan.loc[original.plan["store_id"] != store, "sku"])
    inputs = store_inputs(original.inputs, store, [], elsewhere, shelf_capacity=50.0, force_out=[original.plan["sku"].iloc[-1]])
    write_basis(tmp_path / WHAT_IF_DIR, WhatIfBasis(inputs, original.plan))
    read = read_basis(tmp_path / WHAT_IF_DIR)
    assert read.inputs.listed_elsewhere == frozenset(elsewhere) and read.inputs.mode == "store"
    assert_same_inputs(read.inputs, inputs)


@pytest.mark.parametrize("change", ["shelf", "force_in"])
def test_a_what_if_on_the_read_basis_is_the_same(planned: tuple[WhatIfBasis, Path], change: str) -> None:
    original, folder = planned
    store = original.inputs.stores[1]
    if change == "shelf":
        options = {"shelf_capacity": float(original.inputs.shelf_capacity[store]) * 0.8}
    else:
        excluded = original.inputs.excluded
        carried = set(original.plan.loc[original.plan["store_id"] == store, "sku"]) | set(excluded.loc[excluded["store_id"] == store, "sku"])
        pairs = original.inputs.all_pairs.loc[store]
        options = {"force_in": [min(set(pairs.index[pairs["units"] > 0]) - carried)]}
    before = replan_store(original, store, **options)
    after = replan_store(read_basis(folder), store, **options)
    pd.testing.assert_frame_equal(after.plan, before.plan, check_dtype=True)
    assert after.value.profit == before.value.profit and after.value.objective == before.value.objective
    assert after.profit_change == before.profit_change and after.solve.objective == before.solve.objective
    if change == "force_in":
        assert options["force_in"][0] in set(after.plan.loc[after.plan["change"] == "add", "sku"])
    else:
        assert not after.plan["change"].eq("keep").all(), "a smaller shelf must change the plan"


def test_no_file_is_a_pickle_and_reading_never_unpickles(planned: tuple[WhatIfBasis, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    _original, folder = planned
    files = sorted(folder.iterdir())
    assert {f.name for f in files} >= {MANIFEST_FILE, "config.json", "tokens.json", "pairs.parquet", "plan.parquet"}
    for path in files:
        assert path.suffix in (".parquet", ".json"), path.name
        data = path.read_bytes()
        assert not data.startswith(b"\x80"), f"{path.name} starts like a pickle"
        if path.suffix == ".parquet":
            assert data[:4] == b"PAR1" and data[-4:] == b"PAR1", path.name
        else:
            json.loads(data)

    def refuse(*_args, **_kwargs):
        raise AssertionError("read_basis unpickled something")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    store = read_basis(folder).inputs.stores[0]
    assert replan_store(read_basis(folder), store).store_id == store


def test_the_manifest_names_the_format_and_the_planner(written: Path) -> None:
    manifest = json.loads((written / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest == {"format_version": FORMAT_VERSION, "planner_version": planner_version()}
    assert isinstance(FORMAT_VERSION, int) and FORMAT_VERSION >= 1


@pytest.mark.parametrize("found", [FORMAT_VERSION + 1, FORMAT_VERSION - 1, "1"])
def test_another_format_is_refused(written: Path, found: object) -> None:
    (written / MANIFEST_FILE).write_text(json.dumps({"format_version": found, "planner_version": "9.9.9"}), encoding="utf-8")
    message = (f"the published plan was written by planner 9.9.9 (what-if format {found}); "
               f"this version reads format {FORMAT_VERSION}: {RERUN}")
    with pytest.raises(StalePublishedPlan, match=f"^{re.escape(message)}$"):
        read_basis(written)


def test_a_missing_manifest_is_refused(written: Path) -> None:
    (written / MANIFEST_FILE).unlink()
    message = f"the published plan was written by an unknown planner (no what-if manifest); this version reads format {FORMAT_VERSION}: {RERUN}"
    with pytest.raises(StalePublishedPlan, match=f"^{re.escape(message)}$"):
        read_basis(written)


def test_an_unreadable_manifest_is_refused(written: Path) -> None:
    (written / MANIFEST_FILE).write_bytes(b"\x80\x04not json")
    with pytest.raises(StalePublishedPlan, match=r"^the published plan has an unreadable what-if manifest \(.*\); this version reads format"):
        read_basis(written)


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StalePublishedPlan, match=f"^{re.escape('no what-if data in the published plan: ' + RERUN)}$"):
        read_basis(tmp_path / WHAT_IF_DIR)


@pytest.mark.parametrize(("damage", "named"), [
    (lambda folder: (folder / "pairs.parquet").unlink(), "pairs.parquet"),
    (lambda folder: (folder / "flows.parquet").write_bytes(b"PAR1 cut short"), "flows.parquet"),
    (lambda folder: (folder / "config.json").write_text('{"solver": {"speed": 3}}', encoding="utf-8"), "config.json"),
    (lambda folder: (folder / "inputs.json").write_text('{"mode": "chain", "tables": {}}', encoding="utf-8"), "inputs.json"),
    (lambda folder: (folder / "inputs.json").write_text(
        (folder / "inputs.json").read_text(encoding="utf-8").replace('"store"', '"region"').replace('"chain"', '"region"'),
        encoding="utf-8"), "inputs.json"),  # a mode that is not a Mode
])
def test_a_damaged_file_is_refused_by_name(written: Path, damage, named: str) -> None:
    damage(written)
    with pytest.raises(StalePublishedPlan, match=rf"^the published plan's what-if data cannot be read \({re.escape(named)}: .*\): re-run") as raised:
        read_basis(written)
    assert "\n" not in str(raised.value)
    assert isinstance(raised.value, PlannerError)


def test_writing_into_an_existing_folder_is_refused(planned: tuple[WhatIfBasis, Path]) -> None:
    original, folder = planned
    with pytest.raises(FileExistsError):
        write_basis(folder, original)
