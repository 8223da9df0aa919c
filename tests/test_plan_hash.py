"""The sample chain's plan.csv, pinned byte for byte."""

from __future__ import annotations

import hashlib

import pytest

# The sha256 of plan.csv from the sample chain (sample_stores/ with its planning.toml, planned as of
# conftest.TODAY). Update it only when a decision rule changes on purpose, and say why in the commit.
PLAN_SHA256 = "52ac81bb7434109d7e03a1dbbd916202a37eb5b9a64a8075840ff594ce0d72c9"


@pytest.mark.slow
def test_the_sample_plan_is_unchanged(sample_run) -> None:
    digest = hashlib.sha256((sample_run.out_dir / "plan.csv").read_bytes()).hexdigest()
    assert digest == PLAN_SHA256, (f"plan.csv changed (sha256 {digest}): if a decision rule changed on purpose, "
                                   "update PLAN_SHA256 and say why in the commit")
