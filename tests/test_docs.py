"""The documentation's promises: the README's two commands first and CI running the second; every CLI
command and subcommand (the whole click tree) quoted in the docs, with its --help working, every leaf
command and its options documented in docs/commands.md, and every `planner ...` line the docs quote naming
a command that exists; the refused and messy inputs listed in docs/input.md
with their pinned messages; the documented planning.toml valid and equal to the defaults; every relative
link resolving; the README short."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import ROOT
from test_inputs_bad import EXPECTED as BAD_INPUT_MESSAGES

from planner.cli import cli
from planner.config import PlanConfig, config_from_dict

README = ROOT / "README.md"
DOCS = ROOT / "docs"
README_MAX_WORDS = 1_250  # prose outside code blocks: about five minutes; the reference belongs in docs/


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def readme_commands() -> list[str]:
    return re.findall(r"```bash\n(.+?)\n```", read(README), flags=re.S)


def doc_files() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def sections(text: str, level: str = "##") -> dict[str, str]:
    """Heading text (backticks removed) -> the text up to the next heading of the same level."""
    parts = re.split(rf"^{level} (.+)$", text, flags=re.M)
    return {heading.replace("`", "").strip(): body for heading, body in zip(parts[1::2], parts[2::2], strict=True)}


def command_tree(group: click.Group, prefix: str = "planner") -> dict[str, click.Command]:
    """Every command path under `group`, groups and leaves, at any depth: 'planner run', 'planner runs',
    'planner runs list' ... -> the click command (the root itself not included)."""
    found: dict[str, click.Command] = {}
    for name, command in group.commands.items():
        found[f"{prefix} {name}"] = command
        if isinstance(command, click.Group):
            found |= command_tree(command, f"{prefix} {name}")
    return found


def leaf_commands(group: click.Group, prefix: str = "planner") -> dict[str, click.Command]:
    """'planner run', 'planner runs list' ... -> the click command; the groups left out."""
    return {path: command for path, command in command_tree(group, prefix).items() if not isinstance(command, click.Group)}


COMMAND_WORD = r"[a-z][a-z0-9_-]*"  # what a command name looks like, unlike DATA_DIR, --out or /srv/chain


def quoted_command_lines(path: Path) -> list[str]:
    """The `planner ...` command lines in the code spans and code blocks of a doc, from `planner` up to the
    first word that cannot be a command name (DATA_DIR, --out, /srv/chain, ...): 'planner runs list'."""
    lines = []
    for code in re.findall(r"`([^`\n]+)`|```[a-z]*\n(.*?)```", read(path), flags=re.S):
        lines += re.findall(rf"(?:^|[\s/])(planner(?:[ \t]+{COMMAND_WORD})*)", "".join(code), flags=re.M)
    return lines


def named_path(line: str) -> tuple[str, str | None]:
    """The command path a quoted line names ('planner runs list DATA_DIR' -> 'planner runs list'): words
    are followed down the tree while the command is a group. Second item: the path that does not exist
    when a word under a group names no subcommand ('planner runs purge'), else None."""
    command: click.Command = cli
    path = "planner"
    for word in line.split()[1:]:
        if not isinstance(command, click.Group) or not re.fullmatch(COMMAND_WORD, word):
            break
        if word not in command.commands:
            return path, f"{path} {word}"
        command, path = command.commands[word], f"{path} {word}"
    return path, None


def quoted_paths() -> set[str]:
    """Every command path some doc quotes, with the groups above it ('planner runs list' quotes 'planner runs' too)."""
    paths = set()
    for doc in doc_files():
        for line in quoted_command_lines(doc):
            words = named_path(line)[0].split()
            paths |= {" ".join(words[:n]) for n in range(2, len(words) + 1)}
    return paths


def test_readme_starts_with_exactly_two_commands() -> None:
    first_section = read(README).split("\n## ")[0]
    blocks = re.findall(r"```bash\n(.+?)\n```", first_section, flags=re.S)
    assert len(blocks) == 2
    assert all("\n" not in block for block in blocks)
    assert "planner run sample_stores" in blocks[0]
    assert "pytest" in blocks[1]


def test_ci_runs_the_readme_test_command() -> None:
    ci = read(ROOT / ".ci" / "run")
    assert readme_commands()[1] in ci.splitlines()


def test_every_command_and_option_is_documented() -> None:
    documented = sections(read(DOCS / "commands.md"))
    for path, command in leaf_commands(cli).items():
        assert command.help, f"{path} has no help text"
        assert path in documented, f"docs/commands.md has no '## {path}' section"
        for param in command.params:
            names = param.opts if isinstance(param, click.Option) else [param.human_readable_name]
            for name in names:
                mentioned = re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", documented[path])
                assert mentioned, f"docs/commands.md '## {path}' does not mention {name}"


def test_every_command_and_subcommand_is_quoted_in_the_docs() -> None:
    """Groups too, at any depth: a group is quoted when a doc quotes it or a command under it."""
    for path, command in command_tree(cli).items():
        assert command.help, f"{path} has no help text"
    groups = {"planner": cli} | {path: command for path, command in command_tree(cli).items() if isinstance(command, click.Group)}
    text = read(DOCS / "commands.md")
    for path, group in groups.items():
        for param in group.params:
            for name in param.opts:
                assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text), f"docs/commands.md does not mention {path} {name}"
    missing = sorted(set(command_tree(cli)) - quoted_paths())
    assert not missing, f"no doc in README.md or docs/*.md quotes these commands: {missing}"


def test_every_command_the_docs_quote_exists() -> None:
    """Every `planner ...` line quoted in README.md or docs/*.md names a real command path, at any depth:
    a renamed or removed subcommand fails here."""
    wrong = []
    for doc in doc_files():
        for line in quoted_command_lines(doc):
            _path, missing = named_path(line)
            if missing:
                wrong.append(f"{doc.name} quotes '{line}', but '{missing}' does not exist")
    assert not wrong, "\n".join(wrong)


def test_quoted_command_lines_are_read_down_the_tree() -> None:
    """The parser of the two tests above: a wrong subcommand at any depth is caught, arguments end the path."""
    assert named_path("planner runs prune DATA_DIR --keep 3") == ("planner runs prune", None)
    assert named_path("planner run sample_stores") == ("planner run", None)
    assert named_path("planner --version") == ("planner", None)
    assert named_path("planner runs purge") == ("planner runs", "planner runs purge")
    assert named_path("planner plan sample_stores") == ("planner", "planner plan")


@pytest.mark.parametrize("path", ["planner", *command_tree(cli)])
def test_every_command_help_runs(path: str) -> None:
    result = CliRunner().invoke(cli, [*path.split()[1:], "--help"], prog_name="planner")
    assert result.exit_code == 0, f"{path} --help exited {result.exit_code}: {result.output}{result.exception!r}"
    assert f"Usage: {path} " in result.output, result.output


def test_every_refused_input_is_listed_with_its_pinned_message() -> None:
    text = read(DOCS / "input.md")
    listed = dict(re.findall(r"^\| `([a-z]+__[a-z0-9_]+\.[a-z]+)` \| `(.+)` \|$", text, flags=re.M))
    bad_files = sorted(p.name for p in (ROOT / "tests" / "data" / "bad").iterdir())
    assert sorted(listed) == bad_files, "docs/input.md lists other files than tests/data/bad/"
    assert f"`tests/data/bad/` holds {len(bad_files)} such files" in text
    for name, message in listed.items():
        assert re.search(BAD_INPUT_MESSAGES[name], message), f"docs/input.md: the message of {name} is out of date"


def test_every_messy_input_is_named() -> None:
    text = read(DOCS / "input.md")
    messy = sorted(p.name for p in (ROOT / "tests" / "data" / "messy").iterdir())
    assert f"`tests/data/messy/` holds {len(messy)} messy but valid exports" in text
    for name in messy:
        assert f"`{name}`" in text, f"docs/input.md does not name tests/data/messy/{name}"


def test_the_documented_planning_toml_shows_every_setting_with_its_default() -> None:
    block = re.search(r"```toml\n(.+?)```", read(DOCS / "settings.md"), flags=re.S).group(1)
    assert config_from_dict(tomllib.loads(block), source="docs/settings.md") == PlanConfig()
    uncommented = re.sub(r"^# (\S+ = )", r"\1", block, flags=re.M)  # the optional settings shown as comments
    assert uncommented != block
    config_from_dict(tomllib.loads(uncommented), source="docs/settings.md, commented settings")
    shown = {(section, key) for section, values in tomllib.loads(uncommented).items() for key in values}
    defaults = PlanConfig()
    declared = {(section.name, key.name) for section in dataclasses.fields(defaults)
                for key in dataclasses.fields(getattr(defaults, section.name)) if key.metadata.get("toml", True)}
    assert declared - shown == set(), "settings missing from docs/settings.md's planning.toml"


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.replace("`", "").strip().lower()).replace(" ", "-")


def test_every_relative_link_points_to_an_existing_file() -> None:
    for path in doc_files():
        text = re.sub(r"```.*?```", "", read(path), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            file_part, _, anchor = target.partition("#")
            linked = (path.parent / file_part).resolve() if file_part else path
            assert linked.exists(), f"{path.relative_to(ROOT)} links to {target}, which does not exist"
            if anchor and linked.suffix == ".md":
                anchors = {slug(h) for h in re.findall(r"^#+ (.+)$", read(linked), flags=re.M)}
                assert anchor in anchors, f"{path.relative_to(ROOT)} links to {target}: no such heading"


def test_every_docs_page_is_linked_from_the_readme() -> None:
    readme = read(README)
    for page in sorted(DOCS.glob("*.md")):
        assert f"](docs/{page.name})" in readme, f"README.md does not link docs/{page.name}"


def test_the_readme_stays_a_five_minute_read() -> None:
    prose = re.sub(r"```.*?```", "", read(README), flags=re.S)
    words = len(prose.split())
    assert words <= README_MAX_WORDS, f"README.md has {words} words outside code blocks; move reference text into docs/"
