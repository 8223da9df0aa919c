"""Domain errors. The library raises these; the CLI and the app turn them into messages and exit codes."""

from __future__ import annotations

import errno
from dataclasses import dataclass


class PlannerError(Exception):
    """Base class of every error the planner reports to a person."""

    exit_code = 1


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is, what was found, what was expected."""

    file: str
    line: int | None = None
    column: str | None = None
    found: str | None = None
    expected: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f" line {self.line}"
        if self.column is not None:
            where += f", column {self.column}"
        text = f"{where}: expected {self.expected}" if self.expected else where
        if self.found is not None:
            text += f", found {shown(self.found)!r}"
        return text


FOUND_CHARACTERS = 80  # a refused value is quoted up to this length, so a message never echoes a whole file


def shown(found: str) -> str:
    """`found` as a message quotes it: non-printable characters as '?', cut after FOUND_CHARACTERS."""
    printable = "".join(c if c.isprintable() else "?" for c in found[: FOUND_CHARACTERS + 1])
    return printable if len(printable) <= FOUND_CHARACTERS else printable[:FOUND_CHARACTERS] + "..."


class InputError(PlannerError):
    """An input file is missing, unreadable or holds values outside the contract."""

    def __init__(self, problems: list[Problem] | Problem, *, limit: int = 20) -> None:
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        shown = [str(p) for p in self.problems[:limit]]
        more = len(self.problems) - len(shown)
        if more > 0:
            shown.append(f"... and {more} more problems of the same kind")
        super().__init__("\n".join(shown))


class ConfigError(PlannerError):
    """The planning configuration is malformed or holds an unknown key."""


class InfeasiblePlanError(PlannerError):
    """The limits cannot all be met; the message names the limits and by how much."""

    exit_code = 2


class SolverError(PlannerError):
    """The solver is missing, failed, or stopped without a usable plan."""

    exit_code = 2


class StalePublishedPlan(PlannerError):
    """The published plan's what-if data is missing or in a format this planner does not read."""


class StorageError(PlannerError):
    """A file could not be written: the disk is full, the folder read-only or not ours to write."""

    exit_code = 2


STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM})


def storage_error(exc: OSError, where: str) -> StorageError | None:
    """A StorageError naming the file (else `where`) for a full disk, a read-only or forbidden folder;
    None for other OSErrors."""
    if exc.errno not in STORAGE_ERRNOS:
        return None
    return StorageError(f"cannot write {exc.filename or where}: {exc.strerror or exc}; the published plan is unchanged")
