"""Finding run folders and reading their files tolerantly (the format is docs/run-format.md).

Every command that reads runs goes through here: a run is named by a path to its folder, its id, or a unique
prefix of its id. A torn last line of a jsonl file (a run still writing, or a crash mid-write) or any line that
is not a JSON object is skipped and reported in `warnings`, never raised.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from personagen.errors import InputError

RUN_FILES = ("config.json", "personas.jsonl", "records.jsonl", "events.jsonl", "summary.json", "run.lock")


class RunNotFound(InputError):
    """No run matches the reference; `existing` holds a few run ids to suggest."""

    def __init__(self, ref: str, runs_dir: Path, existing: list[str], ambiguous: bool = False) -> None:
        self.ref, self.runs_dir, self.existing, self.ambiguous = ref, runs_dir, existing, ambiguous
        if ambiguous:
            hint = f"matching runs: {', '.join(existing)}"
        elif existing:
            hint = f"existing runs: {', '.join(existing)}"
        else:
            hint = f"no runs in {runs_dir} yet; pass a run folder's path or --runs-dir DIR"
        what = "matches several runs" if ambiguous else "is not a run"
        super().__init__(f"'{ref}' {what} in {runs_dir} ({hint}; see `personagen runs`)")


def is_run_dir(path: Path) -> bool:
    return path.is_dir() and any((path / name).exists() for name in RUN_FILES)


def run_dirs(runs_dir: Path) -> list[Path]:
    """Every run folder under runs_dir, newest first (run ids start with their creation time)."""
    if not runs_dir.is_dir():
        return []
    return sorted((p for p in runs_dir.iterdir() if is_run_dir(p)), key=lambda p: p.name, reverse=True)


def find_run_dir(runs_dir: Path, ref: str | Path) -> Path:
    """The folder of the run named by ref: a path to a run folder, a run id, or a unique prefix of one."""
    ref = str(ref)
    direct = Path(ref)
    if is_run_dir(direct) and (direct.is_absolute() or os.sep in ref or ref.startswith(".")):
        return direct
    folders = run_dirs(runs_dir)
    exact = [p for p in folders if p.name == ref]
    matches = exact or [p for p in folders if p.name.startswith(ref)]
    if len(matches) == 1:
        return matches[0]
    if not matches and is_run_dir(direct):
        return direct  # a run folder in the working directory, named without ./
    suggestions = [p.name for p in (matches or folders)][:5]
    raise RunNotFound(ref, runs_dir, suggestions, ambiguous=len(matches) > 1)


def iter_jsonl(
    path: Path, warnings: list[str] | None = None, *, only: tuple[str, ...] = ()
) -> Iterator[dict[str, Any]]:
    """The JSON objects of a jsonl file, streamed; with `only`, just lines holding one of those strings.

    Unreadable lines are skipped; when `warnings` is given each skip is reported there."""
    if not path.exists():
        return
    needles = tuple(s.encode() for s in only)
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip() or (needles and not any(n in raw for n in needles)):
                continue
            if not raw.endswith(b"\n"):  # appends are whole lines: no newline means a torn or unfinished write
                _warn(warnings, f"{path}: last line {number} is torn (the run is still writing or crashed): skipped")
                continue
            try:
                value = json.loads(raw.decode("utf-8", errors="replace"))
            except json.JSONDecodeError:
                _warn(warnings, f"{path}: line {number} is not valid JSON: skipped")
                continue
            if not isinstance(value, dict):
                _warn(warnings, f"{path}: line {number} is not a JSON object: skipped")
                continue
            yield value


def read_json(path: Path, warnings: list[str] | None = None) -> dict[str, Any] | None:
    """A JSON object file, or None when missing or unreadable (with a warning when unreadable)."""
    if not path.exists():
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except (json.JSONDecodeError, OSError) as exc:
        _warn(warnings, f"{path}: unreadable ({exc}): ignored")
        return None
    if not isinstance(value, dict):
        _warn(warnings, f"{path}: not a JSON object: ignored")
        return None
    return value


def _warn(warnings: list[str] | None, message: str) -> None:
    if warnings is not None:
        warnings.append(message)
