"""Property-based tests (hypothesis) of the POS reader: any file is either read correctly or
refused with an InputError naming it; never another exception."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from conftest import TODAY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import PlanConfig, load_chain
from planner.errors import InputError
from planner.inputs.pos import fingerprint, read_pos_file

DATA = Path(__file__).parent / "data"
STORES = {"S1", "S2"}
HEADERS = ["date", "store_id", "sku", "units", "revenue"]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read(content: bytes) -> pd.DataFrame:
    """The careful reader on `content` written to a file."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.csv"
        path.write_bytes(content)
        lines, _info = read_pos_file(path, "fuzz.csv", fingerprint(path)[0], store_ids=STORES, today=TODAY, header_map={}, card_key="0" * 64)
        return lines


csv_cells = st.one_of(st.text(max_size=12), st.sampled_from(["", "S1", "000101", "1,5", "1.234,5", "-3", "2026-08-03", "03.08.2026", '"', ";", "\t"]))


@pytest.mark.slow
@FUZZ
@given(header=st.lists(st.sampled_from([*HEADERS, "Datum", "Menge", "x", ""]), min_size=0, max_size=7),
       rows=st.lists(st.lists(csv_cells, max_size=7), max_size=6), separator=st.sampled_from([",", ";", "\t", "|"]),
       ending=st.sampled_from(["\n", "\r\n", "\r"]), encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
def test_any_csv_like_text_is_read_or_refused(header: list[str], rows: list[list[str]], separator: str, ending: str, encoding: str) -> None:
    text = ending.join(separator.join(cells) for cells in [header, *rows])
    try:
        content = text.encode(encoding, errors="replace")
        read(content)
    except InputError as exc:
        assert "fuzz.csv" in str(exc)


@pytest.mark.slow
@FUZZ
@given(content=st.binary(max_size=300))
def test_any_bytes_are_read_or_refused(content: bytes) -> None:
    try:
        read(b"date,store_id,sku,units,revenue\n" + content)
    except InputError as exc:
        assert "fuzz.csv" in str(exc)


line = st.tuples(
    st.dates(min_value=date(2025, 1, 1), max_value=TODAY - timedelta(days=1)),
    st.sampled_from(sorted(STORES)),
    st.from_regex(r"[0-9]{6}", fullmatch=True),
    st.decimals(min_value=-50, max_value=5000, places=2, allow_nan=False).filter(lambda d: d != 0),
    st.decimals(min_value=-500, max_value=50000, places=2, allow_nan=False),
)


@pytest.mark.slow
@FUZZ
@given(lines=st.lists(line, min_size=1, max_size=20), german=st.booleans(), iso_dates=st.booleans(), crlf=st.booleans(),
       bom=st.booleans(), upper=st.booleans())
def test_valid_lines_in_any_dialect_read_back_exactly(lines, german: bool, iso_dates: bool, crlf: bool, bom: bool, upper: bool) -> None:
    separator = ";" if german else ","

    def number(value) -> str:
        text = f"{value:,.2f}"
        return text.replace(",", "_").replace(".", ",").replace("_", ".") if german else text.replace(",", "")

    header = separator.join(h.upper() if upper else h for h in HEADERS)
    body = [separator.join([d.isoformat() if iso_dates else d.strftime("%d.%m.%Y"), s, sku, number(u), number(r)])
            for d, s, sku, u, r in lines]
    text = ("\r\n" if crlf else "\n").join([header, *body]) + "\n"
    got = read(text.encode("utf-8-sig" if bom else "utf-8"))
    assert list(got["date"].dt.date) == [d for d, *_ in lines]
    assert list(got["store_id"]) == [s for _, s, *_ in lines]
    assert list(got["sku"]) == [sku for _, _, sku, *_ in lines]
    assert list(got["units"]) == [float(u) for *_, u, _ in lines]
    assert list(got["revenue"]) == [float(r) for *_, r in lines]


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(csv_cells, min_size=5, max_size=5), min_size=1, max_size=5))
def test_a_fuzzed_file_in_a_chain_is_read_or_refused_by_the_fast_engine(tmp_path_factory, rows: list[list[str]]) -> None:
    folder = tmp_path_factory.mktemp("fuzz") / "chain"
    shutil.copytree(DATA / "chain", folder)
    (folder / "pos" / "S1" / "2026.csv").write_text("\n".join(",".join(r) for r in [HEADERS, *rows]) + "\n", encoding="utf-8")
    try:
        load_chain(folder, PlanConfig(), today=TODAY)
    except InputError as exc:
        assert "pos/S1/2026.csv" in str(exc)
