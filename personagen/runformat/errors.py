"""The errors of the run folder: every one is bad input (exit code 2, personagen/errors.py), raised before
anything is written."""

from __future__ import annotations

from pathlib import Path

from personagen.errors import InputError


class RunStoreError(InputError):
    """The run folder cannot be created or used."""


class RunFormatError(RunStoreError):
    """The run folder was written in a format this version cannot read (another version's run, a damaged file):
    the message names the version that wrote it and what does not fit."""


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
