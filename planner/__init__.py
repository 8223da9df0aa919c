"""Per-store assortment planner: a shared fresh core plus local add-ons, planned from POS scanner data.

The public API, used by the CLI, the app and the tests:

    chain = load_chain(data_dir, config)          # inputs: validated tables, or InputError
    profiles = build_profiles(chain, config)      # demand per store and product
    problem = PlanningProblem(profiles.pairs, chain.stores, chain.products, config)
    result = plan_assortment(problem)             # = evaluate(plan(problem)): optimize.plan, optimize.evaluate
    outcome = run_week(data_dir, out_dir, config) # all of it, plus the published files
    scored = decision_backtest(chain, config)     # the plan made 13 weeks ago, scored on the weeks since
"""

from planner.config import PlanConfig, load_config
from planner.errors import (
    ConfigError,
    InfeasiblePlanError,
    InputError,
    PlannerError,
    SolverError,
)
from planner.evaluate.decisions import DecisionBacktest, decision_backtest
from planner.inputs import ChainData, load_chain
from planner.optimize import PlanningProblem, PlanResult, plan_assortment
from planner.profiles import Profiles, build_profiles
from planner.runs import RunOutcome, run_week

__all__ = [
    "ChainData", "ConfigError", "DecisionBacktest", "InfeasiblePlanError", "InputError", "PlanConfig", "PlanningProblem", "PlanResult", "PlannerError",
    "Profiles", "RunOutcome", "SolverError", "build_profiles", "decision_backtest", "load_chain", "load_config", "plan_assortment", "run_week",
]
