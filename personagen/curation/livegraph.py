"""The semantic neighbour graph grown while a run generates, so the end-of-run curation only joins it.

Input: each finished persona's texts with its index (from the live embedding, personagen/curation/live.py, after it
stored their vectors). Output: lines of the run's edge file (personagen/curation/edges.py). Personas finish in any
order, but "earlier" means generation order (persona index, then the record's line): a persona's texts wait until
every persona before it is done, then its new distinct texts (not equal after normalisation to an earlier one) get
their edges against all earlier distinct texts (personagen/curation/neighbours.py `earlier_edges`, the function
the full computation uses), their vectors read from the vector store's file a block at a time (np.memmap), not
held in memory. Kept in memory: the store row of each distinct text (8 bytes) and the digest of its normalised
form (~24 bytes in a KeyIndex, personagen/curation/keyindex.py), for the exact pass's dedupe.

A resumed run picks up where the file stops (`through`: the last persona covered); the personas done before the
resume whose texts the file does not cover yet are read from records.jsonl. Whatever this leaves undone (a gap of
personas still running at the end, a file written for other texts) the end-of-run curation computes.
"""

from __future__ import annotations

from array import array
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np

from personagen.curation.corpus import PERSONA_ID, normalise
from personagen.curation.edges import EdgeLog, norm_key
from personagen.curation.keyindex import KeyIndex
from personagen.curation.neighbours import earlier_edges
from personagen.curation.vectors import VectorStore, text_key
from personagen.runformat.lines import iter_jsonl

BATCH = 256  # new distinct texts linked at once: each batch reads every earlier vector once


class LiveGraph:
    """The incremental graph of one run (see the module doc)."""

    def __init__(self, store: VectorStore, log: EdgeLog, cosine: float, neighbours: int,
                 batch: int | None = None) -> None:
        self.store, self.log, self.cosine, self.neighbours = store, log, cosine, neighbours
        self.batch = batch or BATCH
        covered = log.read()
        self.next = (covered.through + 1) if covered.through is not None else None  # None: cannot continue
        self.seen = KeyIndex(keys=covered.norms)  # digests of the distinct texts' normalised forms (keyindex.py)
        rows = store.rows_of_keys(covered.keys) if covered.keys else np.zeros(0, dtype=np.int64)
        if (rows < 0).any():
            self.next = None
        self.rows = array("q", rows.tolist())
        self.pending: dict[int, list[str]] = {}  # texts of personas done out of order, by index
        self.waiting: list[tuple[str, bytes]] = []  # new distinct texts in order, not yet linked
        self.edges = 0  # edges found by this process

    @property
    def active(self) -> bool:
        return self.next is not None

    def add(self, index: int, texts: list[str]) -> None:
        if self.next is not None and index >= self.next:
            self.pending.setdefault(index, texts)

    def done_before(self, run_folder: Path) -> dict[int, list[str]]:
        """The texts of the personas done before this process started that the file does not cover, by index."""
        if self.next is None:
            return {}
        done = {int(r["index"]) for r in iter_jsonl(run_folder / "personas.jsonl")
                if isinstance(r.get("index"), int) and r["index"] >= self.next}
        texts: dict[int, list[str]] = {i: [] for i in done}
        for record in iter_jsonl(run_folder / "records.jsonl"):
            match = PERSONA_ID.fullmatch(str(record.get("persona_id", "")))
            if match and int(match.group(1)) in texts and isinstance(record.get("text"), str):
                texts[int(match.group(1))].append(record["text"])
        return texts

    def advance(self) -> int:
        """Take the texts of every persona now next in generation order; once `batch` new distinct texts are
        waiting, add their edges. Returns how many texts got edges."""
        if self.next is None:
            return 0
        while self.next in self.pending:
            for text in self.pending.pop(self.next):
                norm = norm_key(normalise(text)) if text.strip() else None
                if norm is not None and norm not in self.seen:
                    self.seen.add(norm)
                    self.waiting.append((text, norm))
            self.next += 1
        if len(self.waiting) < self.batch:
            return 0
        texts, norms = [t for t, _ in self.waiting], [n for _, n in self.waiting]
        self.waiting = []
        self._extend(texts, norms)
        return len(texts)

    def _extend(self, texts: list[str], norms: list[bytes]) -> None:
        rows = self.store.rows(texts)
        if (rows < 0).any():  # a text the store lacks (its embedding failed): leave the rest to the curation
            self.next = None
            return
        start = len(self.rows)
        self.rows.extend(rows.tolist())
        with one_blas_thread():
            edges = earlier_edges(self.read, start, len(self.rows), self.cosine, self.neighbours)
        if not self.log.append(start, [text_key(t) for t in texts], norms, edges, (self.next or 0) - 1):
            self.next = None  # the file was changed by another writer: leave the rest to the curation
        self.edges += len(edges)

    def read(self, a: int, b: int) -> np.ndarray:
        return self.store.read(np.frombuffer(self.rows, dtype=np.int64, count=b - a, offset=8 * a).copy())


def one_blas_thread() -> Any:
    """BLAS on the calling (low-priority) thread only while the worker multiplies: its pool's threads run at
    normal priority and would compete with the event loop (threadpoolctl, the eval extra; else as it is)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")

