"""The sample chain's plan.csv, pinned byte for byte: any change to what the planner decides shows here."""

from __future__ import annotations

import hashlib

import pytest

# sha256 of plan.csv for the sample chain (sample_stores/ with its planning.toml, planned as of conftest.TODAY).
# plan.csv holds no timestamp or path, so the whole file is hashed. Update this only when a decision rule
# changes on purpose, and say why in the commit.
PLAN_SHA256 = "52ac81bb7434109d7e03a1dbbd916202a37eb5b9a64a8075840ff594ce0d72c9"


@pytest.mark.slow
def test_the_sample_plan_is_unchanged(sample_run) -> None:
    digest = hashlib.sha256((sample_run.out_dir / "plan.csv").read_bytes()).hexdigest()
    assert digest == PLAN_SHA256, (f"plan.csv changed (sha256 {digest}): if a decision rule changed on purpose, "
                                   "update PLAN_SHA256 and say why in the commit")
