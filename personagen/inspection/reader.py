"""Runs as objects for inspection: `Run` reads a run folder's files lazily and knows the run's status.

Finding runs and the tolerant line reading live in personagen/runfiles.py: a run that is still going or that
crashed can be read at any time; skipped lines are reported in `Run.warnings`, which callers print (to stderr).
Events are parsed into the typed models of agents/events.py; whether a run is still going is decided
by the run store's own lock check (personagen/runstore.py), the one `run --resume` obeys.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from personagen.agents.events import Event, parse_event
from personagen.runfiles import find_run_dir, iter_jsonl, read_json, run_dirs
from personagen.runstore import lock_is_live, read_lock

STATUSES = ("running", "finished", "crashed", "failed", "interrupted", "budget", "short")


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
        """run.lock; {} when it cannot be read (a lock of unknown owner), None without one."""
        return read_lock(self.path)

    @cached_property
    def personas(self) -> list[dict[str, Any]]:
        return list(iter_jsonl(self.path / "personas.jsonl", self.warnings))

    @cached_property
    def records(self) -> list[dict[str, Any]]:
        return list(iter_jsonl(self.path / "records.jsonl", self.warnings))

    @cached_property
    def events(self) -> list[Event]:
        return read_events(self.path / "events.jsonl", self.warnings)

    @property
    def status(self) -> str:
        """finished / failed / interrupted / budget from summary.json; else running (a lock that may be live: a
        live process on this host, or any process on another host) or crashed."""
        if self.summary is not None:
            return str(self.summary.get("status") or "finished")
        return "running" if lock_is_live(self.lock) else "crashed"


def read_events(path: Path, warnings: list[str]) -> list[Event]:
    """The events of events.jsonl, typed; lines that are no known event are skipped with one warning."""
    events: list[Event] = []
    skipped: Counter[str] = Counter()
    for line in iter_jsonl(path, warnings):
        try:
            events.append(parse_event(line))
        except ValidationError:
            skipped[str(line.get("type"))] += 1
    if skipped:
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(skipped.items()))
        warnings.append(f"{path}: {sum(skipped.values())} lines that are no known event skipped ({kinds})")
    return events


def list_runs(runs_dir: Path) -> list[Run]:
    """Every run under runs_dir, newest first."""
    return [Run(p) for p in run_dirs(runs_dir)]


def find_run(runs_dir: Path, ref: str) -> Run:
    """The run named by ref: a path to a run folder, a run id, or a unique prefix of one."""
    return Run(find_run_dir(runs_dir, ref))
