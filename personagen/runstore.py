"""The run folder on disk: created whole, appended to line by line, closed with a summary (docs/run-format.md).

Each persona's records and its persona row are appended as whole lines and flushed together when the persona
finishes, so a reader (or a resume) never sees half a persona. Events are buffered and flushed with them.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

RUN_ID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


class RunStoreError(ValueError):
    """The run folder cannot be created or used."""


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def check_run_id(run_id: str) -> str:
    if not run_id or not set(run_id) <= RUN_ID_CHARS or run_id.startswith("."):
        raise RunStoreError(f"run id {run_id!r} may only hold letters, digits, '-', '_' and '.'")
    return run_id


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str)


class RunStore:
    """Writer of one run folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._files: dict[str, TextIO] = {}

    @classmethod
    def create(cls, runs_dir: Path, run_id: str, config: dict[str, Any]) -> RunStore:
        """A new, empty run folder holding config.json and run.lock; refuses to reuse an existing one."""
        folder = runs_dir / check_run_id(run_id)
        try:
            runs_dir.mkdir(parents=True, exist_ok=True)
            folder.mkdir()
        except FileExistsError:
            raise RunStoreError(f"run {run_id} already exists in {runs_dir}; pick another --run-id") from None
        except OSError as exc:
            raise RunStoreError(f"cannot create run folder {folder}: {exc.strerror}") from None
        store = cls(folder)
        store.write_json("config.json", config)
        store.write_json("run.lock", {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()})
        for name in ("personas", "records", "events"):
            store._files[name] = open(folder / f"{name}.jsonl", "a", encoding="utf-8")  # noqa: SIM115
        return store

    def write_json(self, name: str, obj: Any) -> None:
        """Write a whole JSON file atomically (temp file + rename)."""
        tmp = self.folder / f".{name}.tmp"
        tmp.write_text(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
        tmp.replace(self.folder / name)

    def event(self, event: dict[str, Any]) -> None:
        self._files["events"].write(dumps(event) + "\n")

    def persona_done(self, row: dict[str, Any], records: list[dict[str, Any]]) -> None:
        """Append a finished persona: its records first, then its row, each as whole lines; then flush."""
        if records:
            self._files["records"].write("".join(dumps(r) + "\n" for r in records))
        self._files["personas"].write(dumps(row) + "\n")
        for f in self._files.values():
            f.flush()

    def close(self, summary: dict[str, Any]) -> None:
        """Flush and close the files, write summary.json, remove run.lock."""
        for f in self._files.values():
            f.close()
        self._files.clear()
        self.write_json("summary.json", summary)
        (self.folder / "run.lock").unlink(missing_ok=True)
