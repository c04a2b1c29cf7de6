"""The one atomic write: a whole file appears at its path complete, or not at all (the old one stays).

The content goes to a temporary file in the same folder (named after the target and this process's id, so two
processes never share one), is flushed and fsynced, then renamed over the target with os.replace, and the folder
is fsynced so the rename itself survives a power cut. On an error the temporary file is removed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from personagen.errors import PersonaGenError


class KeepOld(PersonaGenError):
    """Raised inside `atomic_file` / `atomic_path` to leave the target as it was: the temporary file is removed
    and the exception goes no further (not an error: a rewrite that found nothing to change)."""


def temp_path(path: Path, suffix: str = "") -> Path:
    """The temporary file beside `path` that this process writes before the rename (`suffix`: for writers that
    add their own extension, such as numpy's .npy)."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp{suffix}")


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable (POSIX; Windows cannot open a folder for fsync and needs no call)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    with path.open("rb") as fh:
        os.fsync(fh.fileno())


def commit(tmp: Path, path: Path) -> None:
    """Rename the written, fsynced `tmp` over `path` and make the rename durable."""
    os.replace(tmp, path)
    fsync_dir(path.parent)


@contextmanager
def atomic_path(path: Path, suffix: str = "") -> Iterator[Path]:
    """A temporary path to write `path`'s content to (for writers that take a path: numpy, pyarrow); on a clean
    exit it is fsynced and renamed over `path`."""
    tmp = temp_path(path, suffix)
    try:
        yield tmp
        fsync_file(tmp)
        commit(tmp, path)
    except KeepOld:
        tmp.unlink(missing_ok=True)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_file(path: Path, mode: str = "w", **open_args: Any) -> Iterator[IO[Any]]:
    """An open temporary file to stream `path`'s content into (text by default: pass encoding=...); on a clean
    exit it is flushed, fsynced and renamed over `path`."""
    with atomic_path(path) as tmp, open(tmp, mode, **open_args) as fh:  # noqa: PTH123 - any mode
        yield fh


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write `data` (text as UTF-8) to `path` atomically."""
    with atomic_file(path, "wb") as fh:
        fh.write(data.encode("utf-8") if isinstance(data, str) else data)
