"""Every broken input stops with exit code 1 and a message naming file, line, column and value."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli import cli

DATA = Path(__file__).parent / "data"
TARGETS = {"pos": "pos/S1/2026.csv", "products": "products.csv", "stores": "stores.csv",
           "assortment": "assortment.csv", "planning": "planning.toml"}

EXPECTED = {
    "pos__empty.csv": r"pos/S1/2026\.csv: expected a CSV file with a header line",
    "pos__header_only.csv": r"pos/S1/2026\.csv line 2: expected data lines after the header",
    "pos__binary.csv": r"pos/S1/2026\.csv line 1: expected a text \(CSV\) file \(UTF-16 only with a byte order mark\), found binary content",
    "pos__missing_revenue_column.csv": r"pos/S1/2026\.csv line 1: expected column\(s\) revenue .*found 'date, store_id, sku, units'",
    "pos__extra_field.csv": r"pos/S1/2026\.csv line 3: expected 5 fields like the header, found '6 fields'",
    "pos__non_numeric_units.csv": r"pos/S1/2026\.csv line 3, column units: expected a number from -1,000,000 to 1,000,000, found 'zwölf'",
    "pos__bad_date.csv": r"pos/S1/2026\.csv line 3, column date: expected a date from 1990-01-01 \(YYYY-MM-DD, DD\.MM\.YYYY, DD/MM/YYYY or MM/DD/YYYY\), found '2026-13-45'",
    "pos__future_date.csv": r"pos/S1/2026\.csv line 3, column date: expected a date not after \d{4}-\d\d-\d\d, found '2031-01-05'",
    "pos__unknown_store.csv": r"pos/S1/2026\.csv line 3, column store_id: expected a store_id from stores\.csv \(S1, S2\), found 'S9'",
    "pos__truncated_last_line.csv": r"pos/S1/2026\.csv line 3: expected 5 fields like the header, found '4 fields'",
    "pos__empty_sku.csv": r"pos/S1/2026\.csv line 3, column sku: expected a non-empty identifier, found ''",
    "pos__infinite_units.csv": r"pos/S1/2026\.csv line 3, column units: expected a number from -1,000,000 to 1,000,000, found 'inf'",
    "products__duplicate_sku.csv": r"products\.csv line 3, column sku: expected a unique key, first seen earlier in the file, found 'sku=000101'",
    "products__negative_price.csv": r"products\.csv line 2, column price: expected a positive number up to 100,000, found '-1\.19'",
    "products__fresh_not_a_flag.csv": r"products\.csv line 2, column fresh: expected 0 or 1, found 'maybe'",
    "products__fractional_case_pack.csv": r"products\.csv line 2, column case_pack: expected a whole number of at least 1 up to 10,000, found '2\.5'",
    "products__missing_shelf_life_column.csv": r"products\.csv line 1: expected column\(s\) shelf_life_days in the header",
    "stores__zero_shelf_capacity.csv": r"stores\.csv line 2, column shelf_capacity: expected a positive number up to 10,000,000, found '0'",
    "stores__negative_budget.csv": r"stores\.csv line 2, column inventory_budget: expected a positive number up to 10,000,000,000, found '-400'",
    "stores__duplicate_store.csv": r"stores\.csv line 3, column store_id: expected a unique key, first seen earlier in the file, found 'store_id=S1'",
    "assortment__duplicated_line.csv": r"assortment\.csv line 4, column sku: expected a unique key, first seen earlier in the file, found 'store_id=S1, sku=000102'",
    "products__non_numeric_shelf_space.csv": r"products\.csv line 2, column shelf_space: expected a positive number up to 10,000, found 'zwei'",
    "assortment__unknown_store.csv": r"assortment\.csv line 3, column store_id: expected a store_id from stores\.csv \(S1, S2\), found 'S7'",
    "planning__unknown_key.toml": r"planning\.toml: unknown key 'core_minimum' in \[assortment\]",
    "planning__unknown_solver.toml": r"planning\.toml: \[solver\] name = 'gurobi': expected 'highs' or 'cbc'",
    "planning__not_toml.toml": r"planning\.toml: not valid TOML",
    "planning__wrong_type.toml": r"planning\.toml: \[demand\] history_weeks = 'viele' has the wrong type",
    "products__absurd_price.csv": r"products\.csv line 2, column price: expected a positive number up to 100,000, found '1e308'",
    "products__absurd_unit_cost.csv": r"products\.csv line 2, column unit_cost: expected a number of 0 or more up to 100,000, found '1e308'",
    "products__absurd_case_pack.csv":
        r"products\.csv line 2, column case_pack: expected a whole number of at least 1 up to 10,000, found '10000000000000000000'",
    "products__absurd_shelf_life.csv": r"products\.csv line 2, column shelf_life_days: expected a number of at least 0.5 up to 3,650, found '100000'",
    "stores__absurd_budget.csv": r"stores\.csv line 2, column inventory_budget: expected a positive number up to 10,000,000,000, found '1e300'",
    "pos__absurd_units.csv": r"pos/S1/2026\.csv line 3, column units: expected a number from -1,000,000 to 1,000,000, found '1e308'",
    "pos__ancient_date.csv": r"pos/S1/2026\.csv line 3, column date: expected a date from 1990-01-01 \(YYYY-MM-DD, DD\.MM\.YYYY, DD/MM/YYYY or MM/DD/YYYY\), found '0001-01-01'",
    "pos__far_future_date.csv": r"pos/S1/2026\.csv line 3, column date: expected a date from 1990-01-01 \(YYYY-MM-DD, DD\.MM\.YYYY, DD/MM/YYYY or MM/DD/YYYY\), found '2999-01-01'",
    "pos__two_unit_columns.csv": (r"pos/S1/2026\.csv line 1: expected one column for units; map the right one in planning\.toml "
                                  r"\[pos\.columns\], e\.g\. \"qty\" = \"units\", found \"'qty' \(column 4\) and 'units' \(column 5\)\""),
    "pos__units_twice.csv": r"pos/S1/2026\.csv line 1: expected each column once, found 'units'",
    "pos__header_too_long.csv": r"pos/S1/2026\.csv line 1: expected a header line of at most 65,536 characters, found '69,421 characters'",
    "pos__too_many_columns.csv": r"pos/S1/2026\.csv line 1: expected at most 1,000 columns, found '1,205 columns'",
    "pos__iso_and_us_dates.csv": (r"pos/S1/2026\.csv line 5, column date: expected one date format in a file, YYYY-MM-DD as on 3 other "
                                  r"lines; DD/MM/YYYY or MM/DD/YYYY on line\(s\) 5, 6, found '08/06/2026'"),
    "pos__hostile_long_value.csv": (r"pos/S1/2026\.csv line 3, column units: expected a number from -1,000,000 to 1,000,000, "
                                    r"found '\?\[31mroot:x:0:0:root:/root:/bin/bash" + "A" * 44 + r"\.\.\.'$"),
    "pos__date_before_1990.csv": (r"pos/S1/2026\.csv line 3, column date: expected a date from 1990-01-01 \(YYYY-MM-DD, DD\.MM\.YYYY, "
                                  r"DD/MM/YYYY or MM/DD/YYYY\), found '1985-08-03'"),
    "pos__excel_sep_line_bad_units.csv": r"pos/S1/2026\.csv line 4, column units: expected a number from -1,000,000 to 1,000,000, found 'zwei'",
    "pos__utf16_without_bom.csv": r"pos/S1/2026\.csv line 1: expected a text \(CSV\) file \(UTF-16 only with a byte order mark\), found binary content",
    "planning__nan_half_life.toml": r"planning\.toml: \[demand\] recency_half_life_weeks = nan: expected a finite number above 0 and at most 520",
    "planning__infinite_time_limit.toml":
        r"planning\.toml: \[solver\] time_limit_seconds = inf: expected a finite number above 0 and at most 86400",
    "planning__nan_change_penalty.toml": r"planning\.toml: \[stability\] change_penalty = nan: expected a finite number from 0 to 100000",
    "planning__absurd_safety_factor.toml": r"planning\.toml: \[replenishment\] safety_factor = 1e\+308: expected a finite number from 0 to 5",
    "planning__history_too_long.toml": r"planning\.toml: \[demand\] history_weeks = 10000: expected a finite number from 1 to 520",
    "planning__negative_infinite_delivery.toml":
        r"planning\.toml: \[replenishment\] fresh_delivery_days = -inf: expected a finite number above 0 and at most 365",
}


def chain_with(bad_file: Path, folder: Path) -> Path:
    """A copy of the valid test chain with one file replaced by `bad_file`."""
    shutil.copytree(DATA / "chain", folder)
    target = TARGETS[bad_file.name.split("__")[0]]
    shutil.copyfile(bad_file, folder / target)
    return folder


def test_every_bad_file_has_an_expected_message() -> None:
    assert sorted(p.name for p in (DATA / "bad").iterdir()) == sorted(EXPECTED)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_input_is_refused_with_file_line_column(tmp_path: Path, name: str) -> None:
    folder = chain_with(DATA / "bad" / name, tmp_path / "chain")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["run", str(folder), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert any(line.startswith("input error: ") for line in result.output.splitlines())
    assert re.search(EXPECTED[name], result.output), result.output
    assert not out.exists() or not any(out.iterdir()), "a refused run writes nothing"
    if not name.startswith("planning__"):  # a broken planning.toml cannot even name the database
        assert CliRunner().invoke(cli, ["runs", "list", str(folder)]).output == "no runs yet\n", "and records nothing"


def test_validate_refuses_the_same_inputs(tmp_path: Path) -> None:
    folder = chain_with(DATA / "bad" / "pos__non_numeric_units.csv", tmp_path / "chain")
    result = CliRunner().invoke(cli, ["validate", str(folder)])
    assert result.exit_code == 1
    assert "line 3, column units" in result.output


@pytest.mark.slow
def test_a_failed_run_leaves_the_previous_plan_untouched(tmp_path: Path) -> None:
    folder = tmp_path / "chain"
    shutil.copytree(DATA / "chain", folder)
    out = tmp_path / "out"
    assert CliRunner().invoke(cli, ["run", str(folder), "--out", str(out), "--quiet"]).exit_code == 0
    before = snapshot(out)
    runs_before = CliRunner().invoke(cli, ["runs", "list", str(folder)]).output
    shutil.copyfile(DATA / "bad" / "pos__bad_date.csv", folder / "pos/S1/2026.csv")
    assert CliRunner().invoke(cli, ["run", str(folder), "--out", str(out)]).exit_code == 1
    assert snapshot(out) == before
    assert CliRunner().invoke(cli, ["runs", "list", str(folder)]).output == runs_before


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every file (its bytes) and link (its target) below `folder`."""
    return {str(p.relative_to(folder)): str(p.readlink()) if p.is_symlink() else p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_symlink() or p.is_file()}


@pytest.mark.parametrize("engine", ["duckdb", "pandas"])
@pytest.mark.parametrize("name", ["pos__two_unit_columns.csv", "pos__units_twice.csv", "pos__absurd_units.csv", "pos__header_too_long.csv",
                                  "pos__too_many_columns.csv", "pos__iso_and_us_dates.csv", "pos__date_before_1990.csv"])
def test_both_engines_refuse_ambiguous_and_absurd_pos_files_alike(tmp_path: Path, name: str, engine: str) -> None:
    folder = chain_with(DATA / "bad" / name, tmp_path / "chain")
    (folder / "planning.toml").write_text(f'[pos]\nengine = "{engine}"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(folder)])
    assert result.exit_code == 1 and re.search(EXPECTED[name], result.output), result.output


def test_a_ten_megabyte_header_is_refused_in_well_under_a_second(tmp_path: Path) -> None:
    folder = chain_with(DATA / "bad" / "pos__header_too_long.csv", tmp_path / "chain")
    (folder / "pos/S1/2026.csv").write_text("date,store_id,sku,units,revenue," + ",".join(f"x{i}" for i in range(1_200_000))
                                            + "\n2026-08-03,S1,000101,3,3.57\n", encoding="utf-8")
    from planner import PlanConfig, load_chain
    from planner.errors import InputError

    started = time.perf_counter()
    with pytest.raises(InputError, match="expected a header line of at most 65,536 characters"):
        load_chain(folder, PlanConfig())
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize("link", ["pos/S1/passwd.csv", "pos/S3", "products.csv"])
def test_a_link_out_of_the_data_folder_is_refused_by_name_and_its_content_never_shown(tmp_path: Path, link: str) -> None:
    folder = chain_with(DATA / "bad" / "pos__bad_date.csv", tmp_path / "chain")
    shutil.copyfile(DATA / "chain" / "pos/S1/2026.csv", folder / "pos/S1/2026.csv")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    secret = outside / "secret.csv"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    target = outside if link == "pos/S3" else secret
    if link == "products.csv":
        shutil.copyfile(folder / "products.csv", secret)
        (folder / "products.csv").unlink()
    (folder / link).symlink_to(target)
    result = CliRunner().invoke(cli, ["validate", str(folder)])
    label = link
    assert result.exit_code == 1
    assert f"input error: {label}: expected a file inside the data folder, found a link to a place outside it" in result.output
    assert "root:x" not in result.output and "sku" not in result.output
    (folder / link).unlink()
    if link == "products.csv":
        shutil.copyfile(secret, folder / "products.csv")
    (folder / "inside.csv").symlink_to(folder / "pos/S1/2026.csv")  # a link within the folder is fine
    (folder / "pos/S1/linked.csv").symlink_to(folder / "inside.csv")
    (folder / "pos/S1/loop").symlink_to(folder / "pos")
    assert CliRunner().invoke(cli, ["validate", str(folder)]).exit_code == 0


def test_a_hundred_thousand_stores_are_refused_at_once_not_planned_out_of_memory(tmp_path: Path) -> None:
    folder = chain_with(DATA / "bad" / "pos__bad_date.csv", tmp_path / "chain")
    shutil.copyfile(DATA / "chain" / "pos/S1/2026.csv", folder / "pos/S1/2026.csv")
    with (folder / "stores.csv").open("a", encoding="utf-8") as handle:
        handle.writelines(f"X{i:06d},Markt {i},Stadt,5,400\n" for i in range(100_000))
    started = time.perf_counter()
    result = CliRunner().invoke(cli, ["run", str(folder), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and time.perf_counter() - started < 10
    assert ("input error: stores.csv line 5002: expected at most 5,000 stores (the planner is built for a small chain; "
            "plan a bigger one region by region), found '100,002 stores'") in result.output
