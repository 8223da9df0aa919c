"""The store what-if: one store re-planned with the core and the other stores as the chain plan has them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from planner.errors import InfeasiblePlanError, SolverError
from planner.optimize.conflicts import diagnose_infeasibility
from planner.optimize.inputs import ModelInputs, store_inputs
from planner.optimize.model import build_model
from planner.optimize.plan import PlanValue, carried_pairs, plan_value
from planner.optimize.solve import SolveResult, SolveStatus, solve
from planner.schemas import KEY, STORE_ID, Change, Role


@dataclass
class WhatIfBasis:
    """What a store what-if needs from a chain plan: the model numbers and the carried lines."""

    inputs: ModelInputs
    plan: pd.DataFrame  # store_id, sku, role


@dataclass
class StoreWhatIf:
    """One store re-planned with the core and the other stores fixed."""

    store_id: str
    plan: pd.DataFrame  # store_id, sku, role, change against the chain plan ("keep", "add", "drop")
    value: PlanValue
    base_value: PlanValue  # the chain plan's lines of this store, valued the same way
    solve: SolveResult

    @property
    def profit_change(self) -> float:
        """EUR / week the what-if gains (+) or costs (-) against the store's current plan."""
        return self.value.profit - self.base_value.profit

    @property
    def objective_change(self) -> float:
        """The same in the planner's objective, which also counts the change penalty: never negative
        when the what-if only relaxes limits (money may then be traded for fewer changes)."""
        return self.value.objective - self.base_value.objective




def replan_store(
    basis: WhatIfBasis,
    store: str,
    *,
    shelf_capacity: float | None = None,
    inventory_budget: float | None = None,
    force_in: Sequence[str] = (),
    force_out: Sequence[str] = (),
) -> StoreWhatIf:
    """Re-plan one store with the core and the other stores fixed: a changed shelf, budget, or products
    forced in or out. Raises InfeasiblePlanError when the store cannot meet its limits that way."""
    inputs = _store_inputs(basis, store, shelf_capacity, inventory_budget, force_in, force_out)
    model = build_model(inputs)
    solved = solve(model.problem, inputs.config.solver)
    if solved.status == SolveStatus.INFEASIBLE:
        raise InfeasiblePlanError(f"store {store}: " + diagnose_infeasibility(inputs, inputs.config))
    if not solved.status.has_plan:
        raise SolverError(f"what-if for store {store}: solver stopped with status '{solved.status}'")
    carried = carried_pairs(model, inputs)
    base_lines = basis.plan.loc[basis.plan[STORE_ID] == store, [*KEY, "role"]]
    before, after = set(base_lines["sku"]), set(carried["sku"])
    plan = pd.concat([carried, base_lines[~base_lines["sku"].isin(after)]], ignore_index=True)
    plan["change"] = [Change.KEEP if sku in before and sku in after else Change.ADD if sku in after else Change.DROP for sku in plan["sku"]]
    return StoreWhatIf(store, plan.sort_values(["change", "role", "sku"]).reset_index(drop=True),
                       plan_value(carried, inputs), plan_value(base_lines, inputs), solved)


def _store_inputs(basis: WhatIfBasis, store: str, shelf: float | None, budget: float | None, force_in, force_out) -> ModelInputs:
    plan = basis.plan
    core = sorted(plan.loc[plan["role"] == Role.CORE, "sku"].unique())
    elsewhere = set(plan.loc[plan[STORE_ID] != store, "sku"])
    return store_inputs(basis.inputs, store, core, elsewhere, shelf_capacity=shelf, inventory_budget=budget,
                        force_in=list(force_in), force_out=list(force_out))
