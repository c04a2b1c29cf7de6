"""The live neighbour graph's memory per batch does not grow with the texts before it: it reads the earlier
vectors neighbours.COL_BLOCK at a time (with 8,192 columns a run's RSS high-water grew ~5.9 KB per text up to 8,192
texts). numpy reports its buffers to tracemalloc, so the traced peak of one batch is its
transient memory."""

from __future__ import annotations

import tracemalloc

import numpy as np

from personagen.curation import COSINE, NEIGHBOURS
from personagen.curation.edges import EdgeLog
from personagen.curation.livegraph import BATCH, LiveGraph
from personagen.curation.vectors import VectorStore


def batch_peak(tmp_path, earlier: int) -> int:
    """Traced peak bytes of linking one batch of BATCH new texts against `earlier` texts."""
    folder = tmp_path / f"earlier-{earlier}"
    rng = np.random.default_rng(7)
    texts = [f"text number {i} of the run" for i in range(earlier + BATCH)]
    vectors = rng.normal(size=(len(texts), 384)).astype(np.float32)
    store = VectorStore(folder, "test-model")
    store.append(texts, vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
    graph = LiveGraph(store, EdgeLog(folder, "test-model", COSINE, NEIGHBOURS), COSINE, NEIGHBOURS)
    graph.add(0, texts[:earlier])
    assert graph.advance() == earlier
    graph.add(1, texts[earlier:])
    tracemalloc.start()
    try:
        assert graph.advance() == BATCH
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_batch_reads_the_earlier_vectors_a_block_at_a_time(tmp_path):
    small, large = batch_peak(tmp_path, 2048), batch_peak(tmp_path, 8192)
    assert large < 1.25 * small, (small, large)
    assert large < 12_000_000  # the batch's vectors, one block of columns read twice, and their product
