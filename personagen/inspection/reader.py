"""Runs as objects for inspection: a `Run` is a RunFolder (personagen/runformat/folder.py), read lazily and
tolerantly, with the run's status decided by the run folder's own lock check (the one `run --resume` obeys).

Skipped lines are reported in `Run.warnings`, which callers print (to stderr).
"""

from __future__ import annotations

from pathlib import Path

from personagen.runformat.folder import STATUSES, RunFolder, read_events

Run = RunFolder

__all__ = ["STATUSES", "Run", "find_run", "list_runs", "read_events"]


def list_runs(runs_dir: Path) -> list[Run]:
    """Every run under runs_dir, newest first."""
    return RunFolder.all(runs_dir)


def find_run(runs_dir: Path, ref: str) -> Run:
    """The run named by ref: a path to a run folder, a run id, or a unique prefix of one."""
    return RunFolder.locate(runs_dir, ref)
