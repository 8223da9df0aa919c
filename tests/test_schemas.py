"""The tables between the stages fit their declarations in planner.schemas, and the check can fail."""

from __future__ import annotations

import pandas as pd
import pytest

from planner.outputs.report import change_table
from planner.schemas import CHANGES, FLOWS, PLAN, PLAN_COLUMNS, PROFILES, STORE_PLAN, Change, Role, frame_problems


@pytest.mark.slow
def test_the_profiles_handed_to_the_optimizer_are_the_declared_table(sample_run) -> None:
    assert frame_problems(PROFILES, sample_run.profiles.pairs, exact=True) == []
    assert frame_problems(FLOWS, sample_run.result.inputs.flows.reset_index(drop=True), exact=True) == []
    assert len(sample_run.result.inputs.flows) > 0  # the sample chain has substitutes: the check saw rows


@pytest.mark.slow
def test_the_plan_handed_to_the_outputs_is_the_declared_table(sample_run) -> None:
    result = sample_run.result
    assert frame_problems(PLAN, result.plan.drop(columns="reason"), exact=True) == []
    assert set(result.plan["role"]) == set(Role) and set(result.plan["change"]) == {Change.KEEP, Change.ADD}
    assert frame_problems(STORE_PLAN, result.stores, exact=True) == []
    changes = change_table(result, sample_run.profiles, sample_run.chain)
    assert frame_problems(CHANGES, changes) == [] and set(changes["change"]) == {Change.ADD, Change.DROP}
    assert PLAN_COLUMNS[:-1] == PLAN.names[: len(PLAN_COLUMNS) - 1]  # plan.csv's contract columns lead the plan


def test_a_frame_that_breaks_its_declaration_is_named() -> None:
    good = pd.DataFrame({"store_id": ["S1", "S2"], "sku": ["1", "1"], "substitute": ["2", "3"], "bound": [1.0, 0.5],
                         "margin": [0.3, -0.1]})
    assert frame_problems(FLOWS, good, exact=True) == []
    assert frame_problems(FLOWS, good.drop(columns="margin")) == ["flows: no column margin"]
    assert frame_problems(FLOWS, good.assign(extra=1), exact=True) == ["flows: column extra is not declared"]
    assert frame_problems(FLOWS, good.assign(bound=["1", "2"])) == ["flows.bound: dtype object is not number"]
    assert frame_problems(FLOWS, good.assign(bound=[1.0, -2.0])) == ["flows.bound: values below 0 (units / week)"]
    assert frame_problems(FLOWS, pd.concat([good, good.iloc[:1]])) == ["flows: key store_id, sku, substitute missing or repeated"]
    plan_roles = pd.DataFrame({"role": ["core", "extra"]})
    assert frame_problems(PLAN, plan_roles)[-1] == "plan.role: ['extra'] not in Role"
