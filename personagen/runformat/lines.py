"""The line files of a run folder (personas, records, events .jsonl): written as whole lines, read tolerantly,
repaired in place.

A torn last line (a run still writing, or a crash mid-write) or any line that is not a JSON object is skipped
and reported in `warnings`, never raised.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from personagen.runformat.atomic import KeepOld, atomic_file

try:
    import orjson
except ImportError:  # langsmith, which langchain-core requires, brings it on CPython
    orjson = None

JSONL = ("personas", "records", "events")
# orjson as json.dumps(..., default=str) writes: datetimes and dataclasses through str, int keys as strings
ORJSON_OPTIONS = (orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
                  if orjson else 0)


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


def cut_torn_line(path: Path) -> int:
    """Truncate a file to its last newline; 1 if a torn line was cut, else 0."""
    if not path.exists():
        return 0
    with path.open("rb+") as fh:
        size = fh.seek(0, os.SEEK_END)
        end = last_newline_end(fh, size)
        if end == size:
            return 0
        fh.truncate(end)
        return 1


def last_newline_end(fh: Any, size: int) -> int:
    """The offset just past the last newline of an open binary file of `size` bytes (0 without one)."""
    pos = size
    while pos > 0:
        step = min(65536, pos)
        fh.seek(pos - step)
        nl = fh.read(step).rfind(b"\n")
        if nl >= 0:
            return pos - step + nl + 1
        pos -= step
    return 0


def filter_jsonl(path: Path, keep: Callable[[dict[str, Any]], bool]) -> int:
    """Rewrite a jsonl file (atomically, streamed) keeping the lines for which keep(obj) is true; the count
    dropped. A file that loses nothing is left as it is."""
    if not path.exists():
        return 0
    dropped = 0
    with atomic_file(path, "w", encoding="utf-8") as dst, path.open(encoding="utf-8") as src:
        for line in src:
            try:
                ok = keep(json.loads(line))
            except ValueError:
                ok = False
            if ok:
                dst.write(line)
            else:
                dropped += 1
        if not dropped:
            raise KeepOld
    return dropped
