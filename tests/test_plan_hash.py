"""The sample chain's plan.csv, pinned byte for byte: any change to what the planner decides shows here."""

from __future__ import annotations

import hashlib

import pytest

# sha256 of plan.csv for the sample chain (sample_stores/ with its planning.toml, planned as of conftest.TODAY).
# plan.csv holds no timestamp or path, so the whole file is hashed. Update this only when a decision rule
# changes on purpose, and say why in the commit.
PLAN_SHA256 = "52ac81bb7434109d7e03a1dbbd916202a37eb5b9a64a8075840ff594ce0d72c9"
# the same chain with the loyalty-card columns taken out of its POS files: what the planner decided before it
# read cards, and what a chain without cards still gets (test_customers.py). On the sample the cards change no
# decision: with 3 stores no new listing has the 3 other carrying stores a segment estimate needs
# (customers.listing), and no product has 20 loyal cardholders at risk (customers.risk).
NO_CARDS_PLAN_SHA256 = PLAN_SHA256


@pytest.mark.slow
def test_the_sample_plan_is_unchanged(sample_run) -> None:
    digest = hashlib.sha256((sample_run.out_dir / "plan.csv").read_bytes()).hexdigest()
    assert digest == PLAN_SHA256, (f"plan.csv changed (sha256 {digest}): if a decision rule changed on purpose, "
                                   "update PLAN_SHA256 and say why in the commit")
