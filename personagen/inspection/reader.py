"""Tolerant reading of run folders (the format is docs/run-format.md).

Input: a runs directory and a run reference (id, unique id prefix, or a path to a run folder).
Output: `Run` objects whose files are read lazily. A run that is still going or that crashed can be read at
any time: a torn last line of a jsonl file (or any line that is not a JSON object) is skipped and reported in
`Run.warnings`, never raised. Callers print the warnings (to stderr).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

RUN_FILES = ("config.json", "personas.jsonl", "records.jsonl", "events.jsonl", "summary.json", "run.lock")
STATUSES = ("running", "finished", "crashed", "failed", "interrupted")


class RunNotFound(Exception):
    """No run matches the reference; `existing` holds a few run ids to suggest."""

    def __init__(self, ref: str, runs_dir: Path, existing: list[str], ambiguous: bool = False) -> None:
        self.ref, self.runs_dir, self.existing, self.ambiguous = ref, runs_dir, existing, ambiguous
        what = "matches several runs" if ambiguous else "is not a run"
        super().__init__(f"'{ref}' {what} in {runs_dir}")


def iter_jsonl(path: Path, warnings: list[str]) -> Iterator[dict[str, Any]]:
    """Yield the JSON objects of a jsonl file, skipping (with a warning) torn or malformed lines."""
    if not path.exists():
        return
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                value = json.loads(raw.decode("utf-8", errors="replace"))
            except json.JSONDecodeError:
                if raw.endswith(b"\n"):
                    warnings.append(f"{path}: line {number} is not valid JSON: skipped")
                else:
                    warnings.append(
                        f"{path}: last line {number} is torn (the run is still writing or crashed): skipped"
                    )
                continue
            if not isinstance(value, dict):
                warnings.append(f"{path}: line {number} is not a JSON object: skipped")
                continue
            yield value


def read_json(path: Path, warnings: list[str]) -> dict[str, Any] | None:
    """A JSON object file, or None when missing or unreadable (with a warning when unreadable)."""
    if not path.exists():
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except (json.JSONDecodeError, OSError) as exc:
        warnings.append(f"{path}: unreadable ({exc}): ignored")
        return None
    if not isinstance(value, dict):
        warnings.append(f"{path}: not a JSON object: ignored")
        return None
    return value


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


def is_run_dir(path: Path) -> bool:
    return path.is_dir() and any((path / name).exists() for name in RUN_FILES)


def list_runs(runs_dir: Path) -> list[Run]:
    """Every run folder under runs_dir, newest first (run ids start with their creation time)."""
    if not runs_dir.is_dir():
        return []
    dirs = [p for p in runs_dir.iterdir() if is_run_dir(p)]
    return [Run(p) for p in sorted(dirs, key=lambda p: p.name, reverse=True)]


def find_run(runs_dir: Path, ref: str) -> Run:
    """The run named by ref: a path to a run folder, a run id, or a unique prefix of one."""
    direct = Path(ref)
    if is_run_dir(direct) and (direct.is_absolute() or os.sep in ref or ref.startswith(".")):
        return Run(direct)
    runs = list_runs(runs_dir)
    exact = [r for r in runs if r.path.name == ref]
    matches = exact or [r for r in runs if r.path.name.startswith(ref)]
    if len(matches) == 1:
        return matches[0]
    suggestions = [r.path.name for r in (matches or runs)][:5]
    raise RunNotFound(ref, runs_dir, suggestions, ambiguous=len(matches) > 1)
