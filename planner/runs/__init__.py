"""Runs stage: one weekly planning run from data folder to published outputs."""

from planner.runs.weekly import OUTPUT_FILES, RunOutcome, run_week

__all__ = ["OUTPUT_FILES", "RunOutcome", "run_week"]
