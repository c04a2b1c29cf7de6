"""Runs as objects for inspection: `Run` reads a run folder's files lazily and knows the run's status.

Finding runs and the tolerant line reading live in personagen/runfiles.py: a run that is still going or that
crashed can be read at any time; skipped lines are reported in `Run.warnings`, which callers print (to stderr).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from personagen.runfiles import find_run_dir, iter_jsonl, read_json, run_dirs

STATUSES = ("running", "finished", "crashed", "failed", "interrupted")


def lock_is_live(lock: dict[str, Any]) -> bool:
    """True when run.lock names a live process on this host."""
    host = lock.get("host")
    if host and host != socket.gethostname():
        return False
    try:
        pid = int(lock.get("pid"))
    except (TypeError, ValueError):
        return False
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except PermissionError:
        return True  # exists, owned by someone else
    except (ProcessLookupError, OverflowError, OSError):
        return False
    return True


@dataclass
class Run:
    """One run folder, read lazily and tolerantly."""

    path: Path
    warnings: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return str(self.config.get("run_id") or self.path.name)

    @cached_property
    def config(self) -> dict[str, Any]:
        return read_json(self.path / "config.json", self.warnings) or {}

    @cached_property
    def summary(self) -> dict[str, Any] | None:
        return read_json(self.path / "summary.json", self.warnings)

    @cached_property
    def lock(self) -> dict[str, Any] | None:
        return read_json(self.path / "run.lock", self.warnings)

    @cached_property
    def personas(self) -> list[dict[str, Any]]:
        return list(iter_jsonl(self.path / "personas.jsonl", self.warnings))

    @cached_property
    def records(self) -> list[dict[str, Any]]:
        return list(iter_jsonl(self.path / "records.jsonl", self.warnings))

    @cached_property
    def events(self) -> list[dict[str, Any]]:
        return list(iter_jsonl(self.path / "events.jsonl", self.warnings))

    @property
    def status(self) -> str:
        """finished / failed / interrupted from summary.json; else running (live lock) or crashed."""
        if self.summary is not None:
            return str(self.summary.get("status") or "finished")
        if self.lock is not None and lock_is_live(self.lock):
            return "running"
        return "crashed"


def list_runs(runs_dir: Path) -> list[Run]:
    """Every run under runs_dir, newest first."""
    return [Run(p) for p in run_dirs(runs_dir)]


def find_run(runs_dir: Path, ref: str) -> Run:
    """The run named by ref: a path to a run folder, a run id, or a unique prefix of one."""
    return Run(find_run_dir(runs_dir, ref))
