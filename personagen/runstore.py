"""The run folder on disk: created whole, appended to line by line, closed with a summary.

See docs/run-format.md.

Each persona's events, records and persona row are appended as whole lines when the persona finishes, in that
order, each file flushed before the next is written: a crash (even kill -9) can leave at most a torn last line
and records without their persona row, both of which a resume repairs (personagen/resume.py). A persona is
done exactly when its row is in personas.jsonl.

`run.lock` names the process that owns the run; it is taken atomically (O_EXCL), so two processes never write
the same run, and a stale lock left by a crashed process on this host is replaced on resume.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from personagen.errors import InputError

try:
    import orjson
except ImportError:  # langsmith, which langchain-core requires, brings it on CPython
    orjson = None

T = TypeVar("T")

RUN_ID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
JSONL = ("personas", "records", "events")
# orjson as json.dumps(..., default=str) writes: datetimes and dataclasses through str, int keys as strings
ORJSON_OPTIONS = (orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
                  if orjson else 0)
LINE_BUFFER = 1 << 16  # a finished persona's events reach the file in one write, at its flush


class RunStoreError(InputError):
    """The run folder cannot be created or used."""


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def check_run_id(run_id: str) -> str:
    if not run_id or not set(run_id) <= RUN_ID_CHARS or run_id.startswith("."):
        raise RunStoreError(f"run id {run_id!r} may only hold letters, digits, '-', '_' and '.'")
    return run_id


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str)


def line_bytes(obj: Any) -> bytes:
    """One JSONL line (UTF-8, newline-terminated) of `obj`: what `dumps` writes, through orjson (several times
    faster on event lines; floats may be spelt differently, e.g. 1e-5 for 1e-05, same value), or json for what
    orjson refuses (integers beyond 64 bits)."""
    if orjson is not None:
        try:
            return orjson.dumps(obj, default=str, option=ORJSON_OPTIONS | orjson.OPT_APPEND_NEWLINE)
        except orjson.JSONEncodeError:
            pass
    return (dumps(obj) + "\n").encode("utf-8")


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_lock_file(path: Path) -> dict[str, Any] | None:
    """A lock file's content, or None without one (a torn lock counts as a lock of unknown owner)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (ValueError, OSError):
        return {}


def read_lock(folder: Path) -> dict[str, Any] | None:
    """The run.lock of a run folder (see read_lock_file)."""
    return read_lock_file(folder / "run.lock")


def lock_is_live(lock: dict[str, Any] | None) -> bool:
    """True when the lock's owner may still be running: a live pid on this host, or another host's lock."""
    if lock is None:
        return False
    if lock.get("host") != socket.gethostname():
        return bool(lock)
    return isinstance(lock.get("pid"), int) and pid_alive(lock["pid"])


def take_lock_file(path: Path, what: str) -> None:
    """Create the lock file `path` for this process, replacing a stale one; refuse when a live process holds it.

    `what` names the locked thing in messages ("run 2026...", "Ray run ...")."""
    lock = read_lock_file(path)
    if lock_is_live(lock):
        raise RunStoreError(
            f"{what} is running ({path.name}: pid {lock.get('pid')} on {lock.get('host')}); "
            f"wait for it to end, or stop it first. If that process is gone, delete the {path.name} file."
        )
    if lock is not None:
        path.unlink(missing_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise RunStoreError(f"{what} was just taken by another process") from None
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}) + "\n")


def take_lock(folder: Path) -> None:
    """Create run.lock for this process (see take_lock_file)."""
    take_lock_file(folder / "run.lock", f"run {folder.name}")


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
        """Write a whole JSON file atomically (temp file + rename)."""
        tmp = self.folder / f".{name}.tmp"
        tmp.write_text(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
        tmp.replace(self.folder / name)

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
        (self.folder / "run.lock").unlink(missing_ok=True)
