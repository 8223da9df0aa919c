"""Read one delimited text file as tills and spreadsheets write it, into a table of strings.

Handles UTF-8 (with or without BOM) and Windows-1252, `,` `;` tab or `|` separators, LF, CRLF and
CR line ends and quoted fields. Every row keeps the line number it came from, so later checks can say
exactly where a bad value is.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pandas as pd

from planner.errors import InputError, Problem

LINE = "_line"  # column holding the 1-based line number of every row in its file
SEPARATORS = (",", ";", "\t", "|")


@dataclass(frozen=True)
class TextTable:
    """A file read as strings: normalised headers, the raw headers, and the separator found."""

    frame: pd.DataFrame  # one column per header (all str) plus LINE
    raw_headers: list[str]
    separator: str
    encoding: str
    blank_lines: int


UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")  # Excel's "Unicode text" export
_EXCEL_SEPARATOR = re.compile(r'^"?sep=([,;\t|])"?\s*$')  # Excel's first line naming the separator
MAX_HEADER_CHARACTERS = 65_536  # a header line longer than this is not a till export
MAX_COLUMNS = 1_000


GERMAN_LETTERS: dict[str, str | int | None] = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}


def normalise_header(text: str) -> str:
    """Lower-case, trimmed, inner spaces/dashes/dots as underscores: ' Store-ID ' -> 'store_id'."""
    text = text.replace("\ufeff", "").strip().strip('"').strip().lower()
    text = text.translate(str.maketrans(GERMAN_LETTERS))
    return re.sub(r"[\s\-./]+", "_", text).strip("_")


def guess_separator(header_line: str) -> str:
    """The separator a header line uses: whichever of , ; tab | it contains most often."""
    return max(SEPARATORS, key=header_line.count)


def refuse_link_outside(path: Path, data_dir: Path, label: str) -> None:
    """An InputError if `path` (or a folder on its way) is a link to a place outside `data_dir`:
    a planning run reads only the chain's own data folder."""
    if not path.resolve().is_relative_to(data_dir.resolve()):
        raise InputError(Problem(label, expected="a file inside the data folder, found a link to a place outside it"))


def read_text_table(path: Path, label: str) -> TextTable:
    """Read `path` into strings. `label` is how messages name the file (relative to the data folder)."""
    data = path.read_bytes()
    if not data.strip():
        raise InputError(Problem(label, expected="a CSV file with a header line and data lines", found=""))
    if b"\x00" in data[:4096] and not data.startswith(UTF16_BOMS):
        raise InputError(Problem(label, line=1, expected="a text (CSV) file (UTF-16 only with a byte order mark), found binary content"))
    text, encoding = _decode(data, label)
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # Windows and old Mac line ends
    header_line = text.split("\n", 1)[0]
    declared = _EXCEL_SEPARATOR.match(header_line)
    before_header = 0
    if declared:  # Excel's "sep=;" line: the separator, then the header
        before_header = 1
        text = text.split("\n", 1)[1] if "\n" in text else ""
        header_line = text.split("\n", 1)[0]
    header_no = before_header + 1
    if len(header_line) > MAX_HEADER_CHARACTERS:
        raise InputError(Problem(label, line=header_no, expected=f"a header line of at most {MAX_HEADER_CHARACTERS:,} characters",
                                 found=f"{len(header_line):,} characters"))
    separator = declared.group(1) if declared else guess_separator(header_line)
    if header_line.count(separator) >= MAX_COLUMNS:
        raise InputError(Problem(label, line=header_no, expected=f"at most {MAX_COLUMNS:,} columns",
                                 found=f"{header_line.count(separator) + 1:,} columns"))
    if header_line.count(separator) == 0:
        expected = f"a header line with columns separated by {separator!r}" if declared else "a header line with columns separated by , ; tab or |"
        raise InputError(Problem(label, line=header_no, expected=expected, found=header_line))
    raw_headers = _csv_rows([header_line], separator, label)[0]
    headers = [normalise_header(h) for h in raw_headers]
    duplicated = sorted(h for h, n in Counter(headers).items() if n > 1)
    if duplicated:
        raise InputError(Problem(label, line=header_no, expected="each column once", found=", ".join(duplicated)))
    frame = _fast_read(text, separator, headers)
    blank_lines = 0
    if frame is None:
        frame, blank_lines = _careful_read(text, separator, headers, label, before_header)
    else:
        frame[LINE] += before_header
    return TextTable(frame, raw_headers, separator, encoding, blank_lines)


def _fast_read(text: str, separator: str, headers: list[str]) -> pd.DataFrame | None:
    """pandas' C reader for the common clean file (no quotes, no blank lines); None when not clean."""
    if '"' in text or "\n\n" in text.rstrip("\n"):
        return None
    try:
        frame = pd.read_csv(io.StringIO(text), sep=separator, dtype=str, keep_default_na=False, na_values=[],
                            header=0, names=headers, engine="c", skip_blank_lines=False)
    except (pd.errors.ParserError, ValueError):
        return None
    lines = len(frame) + 1
    if frame.empty or text.count(separator) != lines * (len(headers) - 1):  # a long or short line somewhere
        return None
    frame[LINE] = range(2, len(frame) + 2)
    return frame


def _careful_read(text: str, separator: str, headers: list[str], label: str, before_header: int) -> tuple[pd.DataFrame, int]:
    """Line by line with the csv module: exact line numbers (`before_header` lines were above the
    header), quoted fields, blank lines, field counts."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    next(reader)
    rows, line_numbers, problems, blank_lines = [], [], [], 0
    start_line = reader.line_num + 1 + before_header
    for row in _checked(reader, label, before_header):
        if not any(field.strip() for field in row):
            blank_lines += 1
        elif len(row) != len(headers):
            found = f"{len(row)} fields"
            expected = f"{len(headers)} fields like the header"
            problems.append(Problem(label, line=start_line, expected=expected, found=found))
        else:
            rows.append(row)
            line_numbers.append(start_line)
        start_line = reader.line_num + 1 + before_header
    if problems:
        raise InputError(problems)
    if not rows:
        raise InputError(Problem(label, line=2 + before_header, expected="data lines after the header, found none"))
    frame = pd.DataFrame(rows, columns=headers, dtype=str)
    frame[LINE] = line_numbers
    return frame, blank_lines


def _csv_rows(lines: list[str], separator: str, label: str) -> list[list[str]]:
    return list(_checked(csv.reader(lines, delimiter=separator), label))


class _Reader(Protocol):
    """What `csv.reader` returns: rows, and the number of the line it read last."""

    line_num: int

    def __next__(self) -> list[str]: ...


def _checked(reader: _Reader, label: str, before_header: int = 0) -> Iterator[list[str]]:
    """The reader's rows; a line the csv module cannot split is an InputError naming it."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(Problem(label, line=reader.line_num + before_header, expected="fields separated and quoted like CSV", found=str(exc))) from exc
        yield row


def _decode(data: bytes, label: str) -> tuple[str, str]:
    if data.startswith(UTF16_BOMS):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise InputError(Problem(label, expected="UTF-16 text after the byte order mark", found=str(exc))) from exc
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "windows-1252"
