"""A full disk or a read-only folder ends a run with one line and exit code 2; the published plan stays.

The disks are real: small tmpfs mounts (the tests need the right to mount, as root in a container has).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_runs import published

from planner.cli import cli

DATA = Path(__file__).parent / "data"


def mount(folder: Path, *options: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs", str(folder)], capture_output=True, check=False)
    if done.returncode:
        pytest.skip(f"cannot mount a small disk here: {done.stderr.decode().strip()}")


@pytest.fixture
def disks(tmp_path: Path) -> Iterator[list[Path]]:
    mounted: list[Path] = []
    yield mounted
    for folder in mounted:
        subprocess.run(["umount", "--lazy", str(folder)], check=False)  # lazy: an open database file may still hold it


def small_disk(disks: list[Path], folder: Path, *options: str) -> Path:
    mount(folder, *options)
    disks.append(folder)
    return folder


def fill(disk: Path) -> None:
    """Write until the disk is full."""
    with (disk / "filler").open("wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError:
            pass


def plan(folder: Path, out: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["run", str(folder), "--out", str(out), "--quiet"])
    return result.exit_code, result.output


@pytest.mark.slow
def test_a_full_output_disk_fails_the_run_and_keeps_the_published_plan(tmp_path: Path, disks: list[Path]) -> None:
    folder = tmp_path / "chain"
    shutil.copytree(DATA / "chain", folder)
    out = small_disk(disks, tmp_path / "disk", "size=400k") / "out"
    assert plan(folder, out)[0] == 0
    before = published(out)
    fill(out.parent)
    code, output = plan(folder, out)
    assert code == 2, output
    assert output.strip() == f"planning failed: cannot write the run's outputs in {out}: No space left on device; the published plan is unchanged"
    assert published(out) == before
    assert not list((out / "runs").glob(".staging-*")), "the half-written run folder is gone"
    listed = CliRunner().invoke(cli, ["runs", "list", str(folder)]).output.splitlines()
    assert [line.split("\t")[2] for line in listed] == ["failed", "published"]
    (out.parent / "filler").unlink()
    assert plan(folder, out)[0] == 0


@pytest.mark.slow
def test_a_read_only_output_folder_is_named(tmp_path: Path, disks: list[Path]) -> None:
    folder = tmp_path / "chain"
    shutil.copytree(DATA / "chain", folder)
    out = small_disk(disks, tmp_path / "read-only", "ro", "size=100k") / "out"
    code, output = plan(folder, out)
    assert code == 2
    assert output.strip() == f"planning failed: cannot write {out}: Read-only file system; the published plan is unchanged"


@pytest.mark.slow
def test_a_full_data_disk_names_the_database(tmp_path: Path, disks: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLANNER_DATABASE_URL")  # the default: planner.db in the data folder
    disk = small_disk(disks, tmp_path / "data disk", "size=400k")
    folder = disk / "chain"
    shutil.copytree(DATA / "chain", folder)
    out = tmp_path / "out"
    fill(disk)
    code, output = plan(folder, out)
    assert code == 2, output
    assert output.startswith("planning failed: cannot write the planner's database (")
    assert output.strip().endswith("is its disk full or read-only? The published plan is unchanged")
    assert not out.exists()


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_an_output_gets_the_mode_the_umask_gives_and_the_umask_stays(tmp_path: Path, umask: int, mode: int) -> None:
    """Written in a process of its own with a known umask: the file is made with that mode (never 0600
    from a temporary file, never by changing the umask for a moment)."""
    script = ("import os, sys; from pathlib import Path; import pandas as pd; from planner.outputs.files import write_csv\n"
              f"os.umask({umask}); write_csv(pd.DataFrame({{'a': [1]}}), Path(sys.argv[1]))\n"
              f"assert os.umask(0) == {umask}")
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "plan.csv")], check=True)
    assert (tmp_path / "plan.csv").stat().st_mode & 0o777 == mode
    assert [p.name for p in tmp_path.iterdir()] == ["plan.csv"]
