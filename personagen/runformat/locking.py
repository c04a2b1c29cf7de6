"""The lock policy of a run folder: `run.lock` names the process that writes the run.

It is taken atomically (O_EXCL), so two processes never write the same run; a stale lock left by a crashed
process on this host is replaced. A lock written on another host cannot be checked from here and counts as live.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from personagen.runformat.errors import RunStoreError
from personagen.runformat.lines import dumps

LOCK_FILE = "run.lock"


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
    return read_lock_file(folder / LOCK_FILE)


def lock_is_live(lock: dict[str, Any] | None) -> bool:
    """True when the lock's owner may still be running: a live pid on this host, or another host's lock."""
    if lock is None:
        return False
    if lock.get("host") != socket.gethostname():
        return bool(lock)
    return isinstance(lock.get("pid"), int) and pid_alive(lock["pid"])


def check_not_running(folder: Path, doing: str) -> None:
    """Refuse to `doing` (resume, merge, ...) a run another live process is writing."""
    lock = read_lock(folder)
    if lock_is_live(lock):
        assert lock is not None
        raise RunStoreError(f"run {folder.name} is running (pid {lock.get('pid')} on {lock.get('host')}): "
                            f"it cannot be {doing} while it runs; stop it first")


def take_lock_file(path: Path, what: str) -> None:
    """Create the lock file `path` for this process, replacing a stale one; refuse when a live process holds it.

    `what` names the locked thing in messages ("run 2026...", "Ray run ...")."""
    lock = read_lock_file(path)
    if lock_is_live(lock):
        assert lock is not None
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
    take_lock_file(folder / LOCK_FILE, f"run {folder.name}")
