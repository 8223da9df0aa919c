"""The README's promises: two commands first, CI runs the same test command, every CLI command documented."""

from __future__ import annotations

import re

from conftest import ROOT

from planner.cli import cli


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.+?)\n```", text, flags=re.S)


def test_readme_starts_with_exactly_two_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first_section = text.split("\n## ")[0]
    blocks = re.findall(r"```bash\n(.+?)\n```", first_section, flags=re.S)
    assert len(blocks) == 2
    assert all("\n" not in block for block in blocks)
    assert "planner run sample_stores" in blocks[0]
    assert "pytest" in blocks[1]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert readme_commands()[1] in ci.splitlines()


def test_every_command_is_documented() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in cli.commands:
        assert f"planner {name}" in text
