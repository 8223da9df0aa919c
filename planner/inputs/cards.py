"""Loyalty cards, pseudonymised the moment they are read.

A card id never leaves the reader: each one becomes `pseudonym(id) = first 16 hex digits of
sha256(key ":" id)`, with a key of 256 random bits generated once per chain and kept in the data
folder (CARD_KEY_FILE, readable by its owner only). The same card gets the same pseudonym in every run,
so that a customer's weeks add up; without the key a pseudonym cannot be traced back to a card (the
ids are short numbers, so an unkeyed hash could be reversed by trying them all). Both POS engines use
the same formula (DuckDB's sha256 and hashlib's agree), so they give the same tables.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

import pandas as pd

from planner.errors import InputError, Problem

CARD_KEY_FILE = ".planner/card_key"  # in the data folder
PSEUDONYM_DIGITS = 16  # 64 bits: no two of a chain's cards share one in practice


def card_key(data_dir: Path) -> str:
    """The chain's pseudonym key (64 hex digits): read, or created the first time (mode 0600)."""
    path = data_dir / CARD_KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(path)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(secrets.token_hex(32) + "\n")
    return _read_key(path)


class CardKey:
    """The key of a run: the chain's (card_key), or one for this run only when the data folder is read-only."""

    def __init__(self, data_dir: Path) -> None:
        try:
            self.value = card_key(data_dir)
            self.problem = ""
        except OSError as exc:
            self.value = secrets.token_hex(32)
            self.problem = (f"POS: the card pseudonym key cannot be kept in {CARD_KEY_FILE} ({exc.strerror or exc}); "
                            "this run's pseudonyms are its own, so last week's segments are matched by what they buy only")

    @property
    def fingerprint(self) -> str:
        """8 hex digits that change with the key (part of the parse cache's file names)."""
        return hashlib.sha256(self.value.encode()).hexdigest()[:8]


def _read_key(path: Path) -> str:
    key = path.read_text(encoding="ascii", errors="replace").strip()
    if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
        expected = "the chain's card pseudonym key: 64 hexadecimal digits (delete the file to start new pseudonyms)"
        raise InputError(Problem(str(path), expected=expected, found=f"{len(key)} characters"))
    return key


def pseudonymise(ids: pd.Series, key: str) -> pd.Series:
    """Card ids -> pseudonyms (text); a missing or blank id (a line without a card) -> <NA>."""
    text = ids.astype("string").str.strip()
    codes, uniques = pd.factorize(text.mask(text == ""))
    hashed = [hashlib.sha256(f"{key}:{value}".encode()).hexdigest()[:PSEUDONYM_DIGITS] for value in uniques]
    values = pd.array(hashed, dtype="string").take(codes, allow_fill=True)
    return pd.Series(values, index=ids.index, dtype="string")


def pseudonym_sql(column: str, key: str) -> str:
    """The same pseudonym as a DuckDB expression over a VARCHAR column (NULL for a blank id)."""
    if any(c not in "0123456789abcdef" for c in key):
        msg = "the card key must be hexadecimal"
        raise ValueError(msg)
    return f"CASE WHEN coalesce(trim({column}), '') = '' THEN NULL ELSE left(sha256('{key}:' || trim({column})), {PSEUDONYM_DIGITS}) END"
