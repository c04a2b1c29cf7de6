"""The semantic pass of curation: a k-nearest-neighbour graph of sentence embeddings above a cosine threshold.

Input: L2-normalised vectors of the distinct texts in generation order (row i was written before row i + 1).
Output: edges (row, earlier row, cosine): each text links to up to `neighbours` of its most similar *earlier*
texts whose cosine similarity is >= `threshold`. A text's edges depend only on the texts before it, so the graph
grows as texts are written: `earlier_edges(read, start, stop)` gives the edges of rows [start, stop) against every
row before them, and the same call with start 0 is the whole graph. The live embedding calls it on each batch of
new texts during a run (personagen/curation/live.py), the end-of-run curation on what the stored edges do not
cover yet (personagen/curation/edges.py). Every pair is compared once (the lower triangle of the similarity
matrix), in blocks of `row_block` x `col_block` read through `read(a, b)` (the vectors of rows [a, b): an array
slice, or rows of the vector store's file), so memory stays at one block (an 8 MB product at the defaults,
and the vectors read) however many texts there are. The pairs a float32 block product finds near or above the
threshold are confirmed by an exact cosine, so the edges do not depend on how the rows were split into blocks
(a BLAS product's rounding depends on the shapes multiplied). Pure numpy (BLAS matrix products); no index
library is needed at this size.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Tick = Callable[[int], None]
Reader = Callable[[int, int], np.ndarray]  # vectors of rows [a, b), float32, L2-normalised
Edge = tuple[int, int, float]
ROW_BLOCK = 2048
COL_BLOCK = 1024  # 8,192 made a block's memory ~90 MB (the columns read, twice, and the product) for no speed: 30,000
# texts linked in 7.8 s of CPU at 1,024 columns, 8.8 s at 8,192 (traced peak 36 against 124 MB)
MARGIN = 1e-4  # float32 products are within ~1e-6 of the exact cosine: candidates are confirmed exactly


def knn_edges(vectors: np.ndarray, threshold: float, neighbours: int, tick: Tick | None = None) -> list[Edge]:
    """The whole graph of `vectors` (all rows against their earlier rows)."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    return earlier_edges(lambda a, b: vectors[a:b], 0, len(vectors), threshold, neighbours, tick)


def earlier_edges(read: Reader, start: int, stop: int, threshold: float, neighbours: int, tick: Tick | None = None,
                  row_block: int = ROW_BLOCK, col_block: int = COL_BLOCK) -> list[Edge]:
    """Edges (i, j, cosine) with start <= i < stop and j < i, at most `neighbours` per i (the most similar; ties:
    the earlier j), cosine >= threshold (see the module doc)."""
    edges: list[Edge] = []
    for first in range(start, stop, row_block):
        last = min(stop, first + row_block)
        rows, cols, sims = block_candidates(read, first, last, threshold, col_block)
        for i, j, s in top_per_row(rows, cols, sims, neighbours):
            edges.append((int(i), int(j), min(1.0, float(s))))
        if tick:
            tick(last - first)
    return edges


def block_candidates(read: Reader, start: int, stop: int, threshold: float,
                     col_block: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (row in [start, stop), earlier column, cosine) at or above the threshold."""
    found_rows, found_cols, found_sims = [], [], []
    block = np.ascontiguousarray(read(start, stop), dtype=np.float32)
    row_ids = np.arange(start, stop)
    for col_start in range(0, stop - 1, col_block):
        col_stop = min(stop - 1, col_start + col_block)
        columns = np.ascontiguousarray(read(col_start, col_stop), dtype=np.float32)
        hits = block @ columns.T >= threshold - MARGIN
        if col_stop > start:  # the block reaches the diagonal: keep only earlier columns
            hits &= np.arange(col_start, col_stop)[None, :] < row_ids[:, None]
        r, c = np.nonzero(hits)
        sims = exact_cosines(block[r], columns[c])
        keep = sims >= threshold
        found_rows.append(r[keep] + start)
        found_cols.append(c[keep] + col_start)
        found_sims.append(sims[keep])
    if not found_rows:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float64)
    return np.concatenate(found_rows), np.concatenate(found_cols), np.concatenate(found_sims)


def exact_cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise dot products in float64 (the float32 products are exact in float64; the sum over each row is
    numpy's pairwise summation of a fixed length): the same value for a pair whichever block it was found in,
    unlike a BLAS product, whose rounding depends on the shapes multiplied."""
    return (a.astype(np.float64) * b.astype(np.float64)).sum(axis=1)


def top_per_row(rows: np.ndarray, cols: np.ndarray, sims: np.ndarray,
                k: int) -> zip:
    """The k most similar candidates of each row (ties: the earlier column first)."""
    if len(rows) == 0:
        return zip([], [], [], strict=True)
    order = np.lexsort((cols, -sims, rows))
    rows, cols, sims = rows[order], cols[order], sims[order]
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    rank = np.arange(len(rows)) - np.repeat(starts, np.diff(np.r_[starts, len(rows)]))
    keep = rank < k
    return zip(rows[keep], cols[keep], sims[keep], strict=True)
