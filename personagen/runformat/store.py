"""The writer of a run folder: created whole, appended to line by line, closed with a summary.

See docs/run-format.md.

Each persona's events, records and persona row are appended as whole lines when the persona finishes, in that
order, each file flushed before the next is written: a crash (even kill -9) can leave at most a torn last line
and records without their persona row, both of which a resume repairs (personagen/resume.py). A persona is
done exactly when its row is in personas.jsonl.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from personagen.runformat.atomic import atomic_write
from personagen.runformat.errors import RunStoreError
from personagen.runformat.lines import JSONL, line_bytes
from personagen.runformat.locate import check_run_id
from personagen.runformat.locking import LOCK_FILE, take_lock

T = TypeVar("T")

LINE_BUFFER = 1 << 16  # a finished persona's events reach the file in one write, at its flush


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def write_json(path: Path, obj: Any) -> None:
    """A whole JSON file (indented, UTF-8), written atomically."""
    atomic_write(path, json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")


class RunStore:
    """Writer of one run folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._files: dict[str, BinaryIO] = {}

    @classmethod
    def create(cls, runs_dir: Path, run_id: str, config: dict[str, Any]) -> RunStore:
        """A new, empty run folder holding config.json and run.lock; refuses to reuse an existing one."""
        folder = runs_dir / check_run_id(run_id)
        try:
            runs_dir.mkdir(parents=True, exist_ok=True)
            folder.mkdir()
        except FileExistsError:
            raise RunStoreError(f"run {run_id} already exists in {runs_dir}; pick another --run-id "
                                f"(or continue it with --resume {run_id})") from None
        except OSError as exc:
            raise RunStoreError(f"cannot create run folder {folder}: {exc.strerror}") from None
        store = cls(folder)
        store.write_json("config.json", config)
        take_lock(folder)
        store._open()
        return store

    @classmethod
    def reopen(cls, folder: Path, prepare: Callable[[Path], T]) -> tuple[RunStore, T]:
        """An existing run folder, to append to (resume).

        Takes the lock, removes the old summary, then calls `prepare(folder)` (the repair, which may rewrite
        the jsonl files) before opening them; returns the store and what `prepare` returned.
        """
        take_lock(folder)
        (folder / "summary.json").unlink(missing_ok=True)
        prepared = prepare(folder)
        store = cls(folder)
        store._open()
        return store, prepared

    def _open(self) -> None:
        for name in JSONL:
            self._files[name] = open(self.folder / f"{name}.jsonl", "ab", buffering=LINE_BUFFER)  # noqa: SIM115

    def write_json(self, name: str, obj: Any) -> None:
        """Write a whole JSON file of the run folder atomically."""
        write_json(self.folder / name, obj)

    def event(self, event: dict[str, Any]) -> None:
        self._files["events"].write(line_bytes(event))

    def persona_done(self, row: dict[str, Any], records: list[dict[str, Any]]) -> None:
        """Append a finished persona: its records, then its row, each file flushed before the next."""
        files = self._files
        files["events"].flush()
        if records:
            files["records"].write(b"".join(line_bytes(r) for r in records))
            files["records"].flush()
        files["personas"].write(line_bytes(row))
        files["personas"].flush()

    def append_line(self, name: str, line: str) -> None:
        """Append one already serialised line (ending in a newline) to personas, records or events."""
        self._files[name].write(line.encode("utf-8"))

    def flush(self) -> None:
        for f in self._files.values():
            f.flush()

    def close(self, summary: dict[str, Any]) -> None:
        """Flush and close the files, write summary.json, remove run.lock."""
        for f in self._files.values():
            f.close()
        self._files.clear()
        self.write_json("summary.json", summary)
        (self.folder / LOCK_FILE).unlink(missing_ok=True)
