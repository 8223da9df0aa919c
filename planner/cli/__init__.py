"""The `planner` command (planner.cli.main); its commands live in planning and admin."""

from planner.cli.main import cli, main

__all__ = ["cli", "main"]
