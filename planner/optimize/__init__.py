"""Optimization stage: candidates -> MILP -> solve -> plan tables. Tables in, tables out; no files."""

from planner.optimize.inputs import PlanningProblem, Substitutes
from planner.optimize.planning import ChainPlan, PlanResult, evaluate, plan, plan_assortment
from planner.optimize.whatif import StoreWhatIf, WhatIfBasis, replan_store

__all__ = ["ChainPlan", "PlanResult", "PlanningProblem", "StoreWhatIf", "Substitutes", "WhatIfBasis", "evaluate", "plan",
           "plan_assortment", "replan_store"]
