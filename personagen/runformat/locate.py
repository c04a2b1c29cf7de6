"""Finding run folders: a run is named by a path to its folder, its id, or a unique prefix of its id."""

from __future__ import annotations

import os
from pathlib import Path

from personagen.runformat.errors import RunNotFound, RunStoreError

RUN_FILES = ("config.json", "personas.jsonl", "records.jsonl", "events.jsonl", "summary.json", "run.lock")
RUN_ID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


def check_run_id(run_id: str) -> str:
    if not run_id or not set(run_id) <= RUN_ID_CHARS or run_id.startswith("."):
        raise RunStoreError(f"run id {run_id!r} may only hold letters, digits, '-', '_' and '.'")
    return run_id


def is_run_dir(path: Path) -> bool:
    return path.is_dir() and any((path / name).exists() for name in RUN_FILES)


def run_dirs(runs_dir: Path) -> list[Path]:
    """Every run folder under runs_dir, newest first (run ids start with their creation time)."""
    if not runs_dir.is_dir():
        return []
    return sorted((p for p in runs_dir.iterdir() if is_run_dir(p)), key=lambda p: p.name, reverse=True)


def find_run_dir(runs_dir: Path, ref: str | os.PathLike[str]) -> Path:
    """The folder of the run named by ref: a path to a run folder, a run id, or a unique prefix of one."""
    ref = os.fspath(ref)
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


def existing_run_dir(runs_dir: Path, run_id: str) -> Path:
    """The folder of run `run_id` (its exact id) in runs_dir, which must hold config.json."""
    folder = runs_dir / check_run_id(run_id)
    if not (folder / "config.json").is_file():
        raise RunStoreError(f"no run {run_id} in {runs_dir} (looked for {folder / 'config.json'})")
    return folder
