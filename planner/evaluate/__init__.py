"""Evaluation stage: plans made as of a past date, scored on what really sold after it."""
