"""Texts embedded while a run generates, so that the curation at its end has (almost) nothing left to embed.

Input: the records of each finished persona (`add`, called by personagen/pipeline.py as records are written).
Output: their vectors in the run folder's vector store (personagen/curation/vectors.py), which the end-of-run
curation reads. One worker thread, at a lower scheduling priority than the event loop's, embeds what has queued
up, on the process's shared embedder (agents/sentence_embedder.py `shared_embedder`: one onnxruntime session
with the offline emotion critic, whose vectors of the texts it read are reused, not computed again). Model calls
never wait for it: `add` only queues. `close` stops the worker after its current batch and embeds what is still
queued in the calling thread, at normal priority (the end-of-run curation needs every vector); a failure is kept
in `error`, and the curation then embeds what is missing itself. After storing a batch's vectors the worker grows
the semantic neighbour graph (personagen/curation/livegraph.py: the new distinct texts' edges against all
earlier ones, kept in the run's edge file), so the end-of-run curation reads the edges instead of computing them;
`close` leaves what the worker did not reach to the curation.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy comes with the eval/critic extras: the core install imports this module too
    from personagen.curation.livegraph import LiveGraph
    from personagen.curation.vectors import VectorStore

BATCH = 256  # texts taken from the queue at once (embedded in length-sorted batches of 32)
NICE = 10  # the worker thread's scheduling priority offset (Linux: per thread)


class LiveEmbedding:
    """The worker (see the module doc)."""

    def __init__(self, store: VectorStore, embedder: Any, graph: LiveGraph | None = None) -> None:
        self.store, self.embedder, self.graph = store, embedder, graph
        self.error: BaseException | None = None
        self.graph_error: BaseException | None = None
        self.texts = 0
        self.busy_s = 0.0  # wall time spent embedding and storing
        self.graph_s = 0.0  # of which growing the neighbour graph
        self._queue: queue.SimpleQueue[tuple[int | None, list[str]] | threading.Event | None] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._work, name="personagen-live-embedding", daemon=True)
        self._thread.start()

    def add(self, records: Iterable[dict[str, Any]], index: int | None = None) -> None:
        """Queue a finished persona's records (`index`: the persona's, which orders the neighbour graph)."""
        texts = [r["text"] for r in records if isinstance(r.get("text"), str) and r["text"]]
        if (texts or index is not None) and self.error is None:
            self._queue.put((index, texts))

    def settle(self, timeout: float | None = None) -> bool:
        """Wait until the worker has done everything queued before this call (False: not within `timeout`)."""
        if not self._thread.is_alive():
            return False
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def close(self) -> None:
        """Stop the worker after its current batch, then embed what is still queued here (idempotent); the
        neighbour graph's rest is the curation's."""
        if self._thread.is_alive():
            self._stopping.set()
            self._queue.put(None)
            self._thread.join()
        self.graph = None
        while self._step(block=False):
            pass

    def _work(self) -> None:
        lower_priority()
        if self.graph is not None:  # a resumed run: the personas done before it that the graph lacks
            try:
                done = self.graph.done_before(self.store.folder.parent)
            except Exception as exc:  # noted by curate_after_run; the curation computes what the graph lacks
                self.graph, self.graph_error, done = None, exc, {}
            self._embed([text for texts in done.values() for text in texts])  # stored already, unless killed
            self._grow(lambda graph: [graph.add(i, texts) for i, texts in done.items()])
        while not self._stopping.is_set() and self._step(block=True):
            pass

    def _step(self, block: bool) -> bool:
        """Embed up to BATCH queued texts (waiting for the first when `block`); False when nothing more is to come
        now: the queue is empty or says stop."""
        items: list[tuple[int | None, list[str]]] = []
        size, stop, marker = 0, False, None
        try:
            item = self._queue.get(block=block)
            while True:
                if item is None:
                    stop = True
                    break
                if isinstance(item, threading.Event):
                    marker = item
                    break
                items.append(item)
                size += len(item[1])
                if size >= BATCH:
                    break
                item = self._queue.get_nowait()
        except queue.Empty:
            pass
        if size and self.error is None:
            self._embed([text for _, texts in items for text in texts])
        if items and self.error is None and self.graph is not None:
            self._grow(lambda graph: [graph.add(i, texts) for i, texts in items if i is not None])
        if marker is not None:
            marker.set()
        return (bool(items) or marker is not None) and not stop

    def _grow(self, feed: Callable[[LiveGraph], object]) -> None:
        """Feed the graph, then add the edges of what is now next in generation order."""
        graph = self.graph
        if graph is None:
            return
        start = time.perf_counter()
        try:
            feed(graph)
            graph.advance()
        except Exception as exc:  # noted by curate_after_run; the curation computes what the graph lacks
            self.graph, self.graph_error = None, exc
        self.graph_s += time.perf_counter() - start
        self.busy_s += time.perf_counter() - start

    def _embed(self, texts: list[str]) -> None:
        start = time.perf_counter()
        try:
            self.store.ensure(self.embedder, texts, batch_size=32)
        except Exception as exc:  # noted by curate_after_run; the curation embeds what is missing
            self.error = exc
        self.texts += len(texts)
        self.busy_s += time.perf_counter() - start


def lower_priority() -> None:
    """Lower this thread's priority (Linux gives each thread its own nice value); elsewhere a no-op."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)
    except (AttributeError, OSError):
        pass


class NoLiveEmbedding:
    """Stands in when nothing is embedded during the run (curation off, a shard, no model for the language)."""

    embedder: Any = None
    error: BaseException | None = None
    graph_error: BaseException | None = None
    texts = 0

    def add(self, records: Iterable[dict[str, Any]], index: int | None = None) -> None: ...
    def settle(self, timeout: float | None = None) -> bool:
        return True

    def close(self) -> None: ...


def start_live_embedding(folder: Path, language: str, enabled: bool, note: Callable[[str], None],
                         edges: bool = True) -> LiveEmbedding | NoLiveEmbedding:
    """A worker for the run in `folder`, or a stand-in when `enabled` is false or the default embedding model is
    unavailable or does not read `language` (the end-of-run curation then says why it skips its semantic pass).
    `edges`: grow the neighbour graph too, with the default thresholds (not for a shard: its edges would lack
    the other shards' texts)."""
    if not enabled:
        return NoLiveEmbedding()
    try:
        from personagen.agents.sentence_embedder import shared_embedder
        from personagen.curation.engine import CACHE_FOLDER
        from personagen.curation.vectors import VectorStore

        embedder = shared_embedder()
    except (ImportError, RuntimeError):  # numpy/onnxruntime/the model package missing: curation notes it later
        return NoLiveEmbedding()
    if embedder.languages is not None and language not in embedder.languages:
        return NoLiveEmbedding()
    store = VectorStore(folder / CACHE_FOLDER, embedder.source.cache_id)
    return LiveEmbedding(store, embedder, live_graph(store) if edges else None)


def live_graph(store: VectorStore) -> LiveGraph | None:
    """The neighbour graph of the run whose vectors `store` holds, at the default thresholds."""
    from personagen.curation import COSINE, NEIGHBOURS
    from personagen.curation.edges import EdgeLog
    from personagen.curation.livegraph import LiveGraph

    graph = LiveGraph(store, EdgeLog(store.folder, store.cache_id, COSINE, NEIGHBOURS), COSINE, NEIGHBOURS)
    return graph if graph.active else None
