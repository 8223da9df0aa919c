"""Optimization stage: candidates -> MILP -> solve -> plan tables. Tables in, tables out; no files."""

from planner.optimize.planning import (
    PlanResult,
    StoreWhatIf,
    WhatIfBasis,
    plan_assortment,
    replan_store,
)

__all__ = ["PlanResult", "StoreWhatIf", "WhatIfBasis", "plan_assortment", "replan_store"]
