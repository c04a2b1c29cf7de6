"""`RunFolder`: one run folder as every reader sees it (docs/run-format.md).

Located by a path, an id or a unique prefix of one; read lazily and tolerantly (a run that is still going or
crashed can be read at any time: skipped lines land in `warnings`, which callers print to stderr); its status,
its lock, its stored settings and summary; its rows as dicts (what the file holds) or as typed models
(`iter_personas`, `iter_records`), its events as the models of agents/events.py. A missing summary.json is None
everywhere (the run has not ended, or crashed): `status` then says running or crashed.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from personagen.agents.events import Event, parse_event
from personagen.runformat.errors import RunStoreError
from personagen.runformat.lines import iter_jsonl, read_json
from personagen.runformat.locate import existing_run_dir, find_run_dir, run_dirs
from personagen.runformat.locking import check_not_running, lock_is_live, read_lock
from personagen.runformat.models import PersonaRow, RecordRow, RunConfig, RunSummary
from personagen.runformat.versions import newer_format, read_run_config, stored_settings, unknown_settings
from personagen.settings import Settings

STATUSES = ("running", "finished", "crashed", "failed", "interrupted", "budget", "short")


class RunFolder:
    """One run folder, read lazily and tolerantly (cached: make a new one to see what a live run wrote since)."""

    def __init__(self, path: Path, warnings: list[str] | None = None) -> None:
        self.path = Path(path)
        self.warnings: list[str] = [] if warnings is None else warnings

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    @classmethod
    def locate(cls, runs_dir: Path, ref: str | os.PathLike[str]) -> RunFolder:
        """The run named by ref: a path to a run folder, a run id, or a unique prefix of one (RunNotFound)."""
        return cls(find_run_dir(Path(runs_dir), ref))

    @classmethod
    def existing(cls, runs_dir: Path, run_id: str) -> RunFolder:
        """Run `run_id` (its exact id) in runs_dir, which must hold config.json (RunStoreError)."""
        return cls(existing_run_dir(Path(runs_dir), run_id))

    @classmethod
    def all(cls, runs_dir: Path) -> list[RunFolder]:
        """Every run under runs_dir, newest first."""
        return [cls(p) for p in run_dirs(Path(runs_dir))]

    @property
    def id(self) -> str:
        return str(self.config_dict.get("run_id") or self.path.name)

    @cached_property
    def config_dict(self) -> dict[str, Any]:
        """config.json as written ({} when missing or unreadable, with a warning when unreadable; a newer format
        is read as far as it goes, with a warning)."""
        raw = read_json(self.path / "config.json", self.warnings) or {}
        if (newer := newer_format(raw, self.path.name)) is not None:
            self.warnings.append(f"{newer}; it is shown as far as this version reads it")
        return raw

    @cached_property
    def config(self) -> RunConfig:
        """config.json as a RunConfig (a format this version cannot read: RunFormatError)."""
        return read_run_config(self.config_dict, self.path.name)

    @cached_property
    def summary_dict(self) -> dict[str, Any] | None:
        """summary.json as written; None until the run ends (or when it crashed)."""
        return read_json(self.path / "summary.json", self.warnings)

    @cached_property
    def summary(self) -> RunSummary | None:
        """summary.json as a RunSummary; None until the run ends (or when it crashed, or it is unreadable)."""
        raw = self.summary_dict
        if raw is None:
            return None
        try:
            return RunSummary.model_validate(raw)
        except ValidationError as exc:
            self.warnings.append(f"{self.path / 'summary.json'}: not a summary ({exc.error_count()} problems): "
                                 "ignored")
            return None

    @cached_property
    def lock(self) -> dict[str, Any] | None:
        """run.lock; {} when it cannot be read (a lock of unknown owner), None without one."""
        return read_lock(self.path)

    @property
    def writing(self) -> bool:
        """Whether a live process may be writing the run now (its run.lock; a resume takes it before it repairs)."""
        return lock_is_live(self.lock)

    @property
    def status(self) -> str:
        """finished / failed / interrupted / budget / short from summary.json; else running (a lock that may be
        live: a live process on this host, or any process on another host) or crashed."""
        if self.summary is not None:
            return self.summary.status
        return "running" if self.writing else "crashed"

    def check_not_running(self, doing: str = "resumed") -> None:
        """Refuse a run another live process is writing (the lock policy of resume and merge)."""
        check_not_running(self.path, doing)

    def settings(self) -> Settings:
        """The full settings the run was started with (RunFormatError when this version cannot read them)."""
        if not (self.path / "config.json").is_file():
            raise RunStoreError(f"run {self.path.name} has no config.json (in {self.path}): there are no settings "
                                "to resume or merge it with")
        self.config  # noqa: B018 - a format this version does not read is refused here, by name
        return stored_settings(self.config_dict, self.path.name)

    def unknown_settings(self) -> set[str]:
        """[run] settings this run's format did not store (a resume takes them as given)."""
        return unknown_settings(self.config_dict)

    @cached_property
    def personas(self) -> list[dict[str, Any]]:
        return list(iter_jsonl(self.path / "personas.jsonl", self.warnings))

    @cached_property
    def records(self) -> list[dict[str, Any]]:
        return list(iter_jsonl(self.path / "records.jsonl", self.warnings))

    @cached_property
    def events(self) -> list[Event]:
        return read_events(self.path / "events.jsonl", self.warnings)

    def iter_personas(self) -> Iterator[PersonaRow]:
        """personas.jsonl as PersonaRow models, streamed (a row that is none is skipped with a warning)."""
        return typed_rows(self.path / "personas.jsonl", PersonaRow, self.warnings)

    def iter_records(self) -> Iterator[RecordRow]:
        """records.jsonl as RecordRow models, streamed (a row that is none is skipped with a warning)."""
        return typed_rows(self.path / "records.jsonl", RecordRow, self.warnings)


def typed_rows(path: Path, model: type[PersonaRow] | type[RecordRow], warnings: list[str]) -> Iterator[Any]:
    for number, row in enumerate(iter_jsonl(path, warnings), start=1):
        try:
            yield model.model_validate(row)
        except ValidationError as exc:
            warnings.append(f"{path}: row {number} is no {model.__name__} ({exc.errors()[0]['msg']}): skipped")


def iter_events(path: Path, warnings: list[str] | None = None,
                skipped: Counter[str] | None = None) -> Iterator[Event]:
    """The events of events.jsonl, typed and streamed; a line that is no known event (another version's type) is
    skipped, and counted by its type in `skipped` when given."""
    for line in iter_jsonl(path, warnings):
        try:
            yield parse_event(line)
        except ValidationError:
            if skipped is not None:
                skipped[str(line.get("type"))] += 1


def read_events(path: Path, warnings: list[str]) -> list[Event]:
    """The events of events.jsonl, typed; lines that are no known event are skipped with one warning."""
    skipped: Counter[str] = Counter()
    events = list(iter_events(path, warnings, skipped))
    if skipped:
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(skipped.items()))
        warnings.append(f"{path}: {sum(skipped.values())} lines that are no known event skipped ({kinds})")
    return events
