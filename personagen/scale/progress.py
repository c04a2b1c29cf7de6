"""The live progress of a Ray run, read from the shards' run folders (no channel to the workers needed).

A persona is done exactly when its row is in its shard's personas.jsonl, and its records are written (and
flushed) to records.jsonl before that row (personagen/runformat/store.py). So the driver follows both files of every
shard: rows first, then records, and hands each new row with its records to the run's observer, the same calls a
single-process run makes. A resume's repair may rewrite or cut those files: a tail then reads from the start
again and skips the personas it has reported already.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol


class PersonaObserver(Protocol):
    def planned(self, todo: int) -> None: ...
    def persona(self, row: dict[str, Any], records: list[dict[str, Any]]) -> None: ...


class JsonlTail:
    """The whole new lines of a growing jsonl file, as objects."""

    def __init__(self, path: Path) -> None:
        self.path, self.pos, self.inode = path, 0, None

    def restarted(self) -> bool:
        """True when the file was replaced or cut since the last read (reading then starts over)."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return False
        again = self.inode is not None and (st.st_ino != self.inode or st.st_size < self.pos)
        if again:
            self.pos = 0
        self.inode = st.st_ino
        return again

    def read(self) -> Iterator[dict[str, Any]]:
        """The objects of the lines completed since the last read (a torn last line waits for its end)."""
        try:
            fh = self.path.open("rb")
        except FileNotFoundError:
            return
        with fh:
            fh.seek(self.pos)
            for raw in fh:
                if not raw.endswith(b"\n"):
                    return
                self.pos += len(raw)
                try:
                    yield json.loads(raw)
                except ValueError:
                    continue


class ShardTail:
    """Follows one shard's run folder: its newly finished personas, each with its records."""

    def __init__(self, folder: Path) -> None:
        self.rows, self.records = JsonlTail(folder / "personas.jsonl"), JsonlTail(folder / "records.jsonl")
        self.seen: set[str] = set()
        self.pending: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def catch_up(self) -> int:
        """Take the personas already done as seen, without reporting them; how many there are."""
        self.seen.update(row["id"] for row in self.rows.read())
        self._read_records()
        return len(self.seen)

    def poll(self) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
        """The personas finished since the last poll, with their records."""
        if self.records.restarted():
            self.pending.clear()
        self.rows.restarted()
        rows = []
        for row in self.rows.read():  # the rows before their records: those are on disk first
            if row["id"] not in self.seen:
                self.seen.add(row["id"])
                rows.append(row)
        self._read_records(rows)
        return [(row, self.pending.pop(row["id"], [])) for row in rows]

    def _read_records(self, rows: list[dict[str, Any]] = ()) -> None:
        """Keep the new records of personas not reported yet (those of `rows` included)."""
        wanted = {row["id"] for row in rows}
        for record in self.records.read():
            pid = record.get("persona_id")
            if pid in wanted or pid not in self.seen:
                self.pending[pid].append(record)


class DatasetProgress:
    """One progress for the whole dataset from all shards' folders."""

    def __init__(self, folders: Iterable[Path], observer: PersonaObserver) -> None:
        self.tails = [ShardTail(folder) for folder in folders]
        self.observer = observer

    def start(self, total: int) -> int:
        """Count what earlier attempts finished, tell the observer how many personas are left; that count."""
        done = sum(tail.catch_up() for tail in self.tails)
        self.observer.planned(total - done)
        return total - done

    def poll(self) -> int:
        """Report the personas finished since the last poll; how many."""
        count = 0
        for tail in self.tails:
            for row, records in tail.poll():
                self.observer.persona(row, records)
                count += 1
        return count
