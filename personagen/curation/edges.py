"""The semantic pass's edges kept in the run folder, so the end of a run joins them instead of computing them.

Input: the distinct texts of a run in generation order and their edges (personagen/curation/neighbours.py: each text
links to its most similar earlier ones, so the edges of a prefix of the texts never change as texts are added).
Output: `RUN/curation-cache/neighbours-<tag>.jsonl`, one file per (model, cosine threshold, neighbours), the tag a
hash of the three, which the first line repeats. Every later line covers the next distinct texts: `start` (the
position of its first text), `keys` (the texts' 16-byte keys, personagen/curation/vectors.py `text_key`, in hex),
`norms` (the same digest of their normalised forms), `through` (the last persona index whose texts it covers, or
null when the line was written by a curation rather than the live embedding) and `edges` ([i, j, cosine], j < i).
Append-only, whole lines; a reader stops at a torn or inconsistent line, and the next append cuts it off.

`stored_edges` gives the end of a run the edges of the longest prefix of its distinct texts (by key) the file covers;
the rest is computed with the same function and appended (`extend`). A file that covers other texts (the records
changed, a merged run) only shortens that prefix: the result always equals the full computation.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from personagen.curation.neighbours import Edge, Tick, earlier_edges
from personagen.curation.vectors import Vectors
from personagen.runformat.atomic import atomic_write

FORMAT = 1


def norm_key(normalised: str) -> bytes:
    """The digest of a normalised text (what the exact pass compares)."""
    return hashlib.blake2b(normalised.encode("utf-8"), digest_size=16).digest()


@dataclass
class Covered:
    """What an edge file holds: the distinct texts it covers, in order, and their edges."""

    keys: list[bytes] = field(default_factory=list)
    norms: list[bytes] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    through: int | None = -1  # the last persona index the live embedding covered; None: written by a curation
    end: int = 0  # bytes of the file that hold whole, consistent lines


class EdgeLog:
    """One edge file (see the module doc)."""

    def __init__(self, folder: Path, cache_id: str, cosine: float, neighbours: int) -> None:
        self.header = {"format": FORMAT, "model": cache_id, "cosine": cosine, "neighbours": neighbours}
        tag = hashlib.sha256(json.dumps(self.header, sort_keys=True).encode()).hexdigest()[:16]
        self.path = Path(folder) / f"neighbours-{tag}.jsonl"
        self.count = 0  # distinct texts covered by the lines read or written by this object
        self.end = 0

    def read(self) -> Covered:
        """The file's whole, consistent lines (nothing when it is missing or was written for other settings)."""
        covered = Covered()
        try:
            with open(self.path, "rb") as fh:
                first = fh.readline()
                if not first.endswith(b"\n") or json.loads(first) != self.header:
                    return covered
                covered.end = len(first)
                for raw in fh:
                    if not raw.endswith(b"\n") or not add_line(covered, raw):
                        break
                    covered.end += len(raw)
        except (OSError, ValueError):
            pass
        self.count, self.end = len(covered.keys), covered.end
        return covered

    def append(self, start: int, keys: Sequence[bytes], norms: Sequence[bytes], edges: list[Edge],
               through: int | None) -> bool:
        """Add the next distinct texts (from position `start`) and their edges; False (nothing written) when the
        file does not end at `start` texts (another writer changed it). A torn tail is cut off first."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "ab") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                if os.fstat(fh.fileno()).st_size != self.end:  # written elsewhere, or torn: look again
                    self.read()
                if start != self.count:
                    return False
                if self.end == 0:
                    fh.truncate(0)
                    self.end = fh.write((json.dumps(self.header) + "\n").encode())
                fh.truncate(self.end)
                self.end += fh.write(line(start, keys, norms, edges, through))
                fh.flush()
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        self.count += len(keys)
        return True

    def rewrite(self, keys: Sequence[bytes], norms: Sequence[bytes], edges: list[Edge]) -> None:
        """Replace the file (atomically) by one covering exactly `keys`."""
        body = (json.dumps(self.header) + "\n").encode() + line(0, keys, norms, edges, None)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path, body)
        self.count, self.end = len(keys), len(body)


def line(start: int, keys: Sequence[bytes], norms: Sequence[bytes], edges: list[Edge], through: int | None) -> bytes:
    row = {"start": start, "through": through, "keys": b"".join(keys).hex(), "norms": b"".join(norms).hex(),
           "edges": [[i, j, s] for i, j, s in edges]}
    return (json.dumps(row, separators=(",", ":")) + "\n").encode()


def add_line(covered: Covered, raw: bytes) -> bool:
    """Add one line to `covered`; False (nothing added) when it does not continue what is there."""
    try:
        row = json.loads(raw)
        start, keys, norms = int(row["start"]), bytes.fromhex(row["keys"]), bytes.fromhex(row["norms"])
        edges = [(int(i), int(j), float(s)) for i, j, s in row["edges"]]
        through = row["through"]
    except (ValueError, KeyError, TypeError):
        return False
    count = len(keys) // 16
    stop = start + count
    if (start != len(covered.keys) or len(keys) != 16 * count or len(norms) != len(keys)
            or not all(start <= i < stop and 0 <= j < i for i, j, _ in edges)):
        return False
    covered.keys += [keys[16 * n : 16 * (n + 1)] for n in range(count)]
    covered.norms += [norms[16 * n : 16 * (n + 1)] for n in range(count)]
    covered.edges += edges
    covered.through = through if isinstance(through, int) else None
    return True


def common_prefix(keys: Sequence[bytes], covered: Sequence[bytes]) -> int:
    """How many of `keys` the covered texts start with."""
    n = 0
    for a, b in zip(keys, covered, strict=False):
        if a != b:
            break
        n += 1
    return n


def graph_edges(vectors: Vectors, keys: Sequence[bytes], norms: Sequence[bytes], log: EdgeLog | None,
                threshold: float, neighbours: int, tick: Tick, write: bool) -> tuple[list[Edge], int]:
    """The semantic edges of the distinct texts `keys` (vectors in the same order): those of the longest prefix
    `log` covers read from it, the rest computed (`earlier_edges`) and, when `write`, stored for the next
    curation. Returns the edges and how many texts' edges were read."""
    covered = log.read() if log is not None else Covered()
    prefix = common_prefix(keys, covered.keys)
    edges = [e for e in covered.edges if e[0] < prefix]
    del covered
    tick(prefix)
    edges += earlier_edges(lambda a, b: vectors[a:b], prefix, len(keys), threshold, neighbours, tick)
    if log is None or not write or (prefix == len(keys) == log.count):
        return edges, prefix
    try:
        if log.count == prefix:
            log.append(prefix, keys[prefix:], norms[prefix:], [e for e in edges if e[0] >= prefix], None)
        else:  # the file covers other texts beyond the prefix: replace it (no live worker appends now: `write`)
            log.rewrite(keys, norms, edges)
    except OSError:  # a run folder that cannot be written: the next curation computes them again
        pass
    return edges, prefix
