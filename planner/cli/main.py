"""The `planner` command: a thin layer that parses options, calls the library and maps errors to exit codes.

Exit codes: 0 ok; 1 bad input, configuration or command line; 2 infeasible limits, solver failure,
another run of the same chain in progress, a file that could not be written, or an internal error.
Progress goes to stderr; results go to files.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

import click

from planner.cli.admin import database, runs, users
from planner.cli.common import cli
from planner.cli.planning import backtest, run, template, validate

for command in (run, template, validate, backtest, runs, database, users):
    cli.add_command(command)


def main() -> None:
    """Entry point of the `planner` console script. A wrong option or argument is bad input: exit 1.
    Anything unforeseen is an internal error: one line and the path of a log file with the traceback, exit 2."""
    try:
        code = cli.main(standalone_mode=False)
    except click.UsageError as exc:
        exc.show()
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("Aborted!", err=True)
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback on the terminal
        log = Path(tempfile.gettempdir()) / f"planner-error-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
        log.write_text(traceback.format_exc(), encoding="utf-8")
        click.echo(f"internal error: {type(exc).__name__}: {str(exc)[:200]}; please report it with {log}", err=True)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)
