"""Runs stage: one weekly planning run from data folder to published outputs."""

from planner.runs.weekly import RunOutcome, RunStage, run_week

__all__ = ["RunOutcome", "RunStage", "run_week"]
