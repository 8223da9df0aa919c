"""The planning workbook: written by `planner template`, edited as a person would, read back by `planner run --planning`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import TODAY, configured, tiny_chain
from openpyxl import load_workbook

from planner import InputError, run_week
from planner.cli import cli
from planner.inputs.planning import REQUEST_SOURCE
from planner.schemas import EDITABLE_SETTINGS

HOSTILE_NAME = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def chain_with_template(tmp_path: Path) -> tuple[Path, Path]:
    folder = tiny_chain(tmp_path / "chain", n_stores=3, n_products=40, seed=5)
    products = pd.read_csv(folder / "products.csv", dtype=str)
    products.loc[0, "name"] = HOSTILE_NAME
    products.to_csv(folder / "products.csv", index=False)
    (folder / "overrides.csv").write_text(f"store_id,sku,rule,note\n*,{products.loc[0, 'sku']},must_carry,chain line\n")
    path = tmp_path / "planning workbook.xlsx"
    done = CliRunner().invoke(cli, ["template", str(folder), "--out", str(path)])
    assert done.exit_code == 0, done.output
    return folder, path


def test_template_holds_limits_rules_settings_and_drop_downs(chain_with_template: tuple[Path, Path]) -> None:
    folder, path = chain_with_template
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["Stores", "Rules", "Requests", "Settings", "Lists"]
    assert workbook["Lists"].sheet_state == "hidden"
    stores = pd.read_csv(folder / "stores.csv", dtype={"store_id": str})
    sheet = workbook["Stores"]
    rows = list(sheet.iter_rows(min_row=4, max_row=3 + len(stores), values_only=True))
    assert [r[0] for r in rows] == list(stores["store_id"])
    assert [r[2] for r in rows] == pytest.approx(list(stores["shelf_capacity"].astype(float)))
    rules = workbook["Rules"]
    assert [c.value for c in rules[4]][:4] == ["*", "000001", HOSTILE_NAME, "must_carry"]
    assert rules["C4"].data_type == "s"  # a product name from the data stays text
    validated = {str(v.sqref).split(":")[0] for v in workbook["Requests"].data_validations.dataValidation}
    assert validated == {"A4", "B4", "D4", "E4"}
    assert workbook["Stores"].freeze_panes == "A4" and workbook["Stores"].tables


def _edit(path: Path, edits: dict[str, dict[str, object]]) -> None:
    """Change cells as a person would in Excel (sheet -> cell -> value)."""
    workbook = load_workbook(path)
    for sheet, cells in edits.items():
        for address, value in cells.items():
            workbook[sheet][address] = value
    workbook.save(path)


def _setting_row(key: str) -> int:
    return 4 + [k for _s, k in EDITABLE_SETTINGS].index(key)


@pytest.mark.slow
def test_edits_in_the_workbook_show_up_in_the_next_plan(chain_with_template: tuple[Path, Path], tmp_path: Path) -> None:
    folder, path = chain_with_template
    before = run_week(folder, tmp_path / "before", configured(), today=TODAY)
    plan = before.result.plan
    s1 = plan[(plan["store_id"] == "S001") & (plan["role"] == "addon") & (plan["forced"] == "")]
    dropped = s1.sort_values("expected_profit_per_week", ascending=False)["sku"].iloc[0]
    not_in_s2 = sorted(set(pd.read_csv(folder / "products.csv", dtype=str)["sku"]) - set(plan.loc[plan["store_id"] == "S002", "sku"]))[0]
    shelf = before.result.stores.set_index("store_id").at["S001", "shelf_used"]
    _edit(path, {
        "Stores": {"C4": int(shelf * 0.7)},
        "Rules": {"A5": "S002", "B5": not_in_s2, "D5": "must_carry", "E5": "trial listing"},
        "Requests": {"A4": "S001", "B4": dropped, "D4": "drop", "E4": "yes", "A5": "S003", "B5": not_in_s2, "D5": "add", "E5": "no"},
        "Settings": {f"C{_setting_row('change_penalty')}": 0},
    })
    after = run_week(folder, tmp_path / "after", configured(), today=TODAY, planning=path)
    new = after.result.plan
    assert not_in_s2 in set(new.loc[new["store_id"] == "S002", "sku"])
    assert dropped not in set(new.loc[new["store_id"] == "S001", "sku"])
    assert new.loc[new["store_id"] == "S001", "shelf_space"].sum() <= int(shelf * 0.7)
    assert after.summary["config"]["stability"]["change_penalty"] == 0
    changes = after.result.changes.set_index(["store_id", "sku"])
    assert changes.at[("S001", dropped), "forced"] == REQUEST_SOURCE
    unapproved = ("S003", not_in_s2)  # Approved = no: no rule
    assert unapproved not in changes.index or changes.at[unapproved, "forced"] != REQUEST_SOURCE


@pytest.mark.slow
def test_every_mistake_is_named_by_cell_and_nothing_runs(chain_with_template: tuple[Path, Path], tmp_path: Path) -> None:
    folder, path = chain_with_template
    _edit(path, {
        "Stores": {"C4": "viel", "D5": -3},
        "Rules": {"A5": "S009", "B5": "999999", "D5": "always"},
        "Requests": {"A4": "S001", "B4": "000002", "D4": "drop", "E4": "vielleicht"},
        "Settings": {f"C{_setting_row('max_adds_per_store')}": 2.5, f"C{_setting_row('core_min_items')}": "abc"},
    })
    out = tmp_path / "out"
    with pytest.raises(InputError) as caught:
        run_week(folder, out, configured(), today=TODAY, planning=path)
    text = str(caught.value)
    name = path.name
    for expected in (
        f"{name} Stores!C4: expected a positive number of shelf units, found 'viel'",
        f"{name} Stores!D5: expected a positive amount in EUR, found '-3'",
        f"{name} Rules!A5: expected a store_id from stores.csv, or * for every store, found 'S009'",
        f"{name} Rules!B5: expected a sku from products.csv, found '999999'",
        f"{name} Rules!D5: expected must_carry or must_not_carry, found 'always'",
        f"{name} Requests!E4: expected yes or no, found 'vielleicht'",
        f"{name} Settings!C{_setting_row('max_adds_per_store')}: expected a whole number, 0 or more, or empty for no limit, found '2.5'",
        f"{name} Settings!C{_setting_row('core_min_items')}: expected a whole number, 0 or more, found 'abc'",
    ):
        assert expected in text
    assert not out.exists()


def test_a_file_that_is_not_a_workbook_is_refused(chain_with_template: tuple[Path, Path], tmp_path: Path) -> None:
    folder, _path = chain_with_template
    broken = tmp_path / "planning.xlsx"
    broken.write_text("store_id,shelf\nS001,3\n")
    with pytest.raises(InputError, match="planning.xlsx: expected an .xlsx planning workbook"):
        run_week(folder, tmp_path / "out", configured(), today=TODAY, planning=broken)
