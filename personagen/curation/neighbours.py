"""The semantic pass of curation: a k-nearest-neighbour graph of sentence embeddings above a cosine threshold.

Input: L2-normalised vectors (n, d) in generation order. Output: edges (earlier row, later row, cosine) for
every text and up to `neighbours` of its most similar *later* texts whose cosine similarity is >= `threshold`.
Every pair is compared once (the upper triangle of the similarity matrix), in blocks of `row_block` x
`col_block`, so memory stays at one block (64 MB at the defaults) however many texts there are: 100,000 texts
never make a 100,000 x 100,000 matrix. Pure numpy (BLAS matrix products); no index library is needed at
this size.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Tick = Callable[[int], None]
ROW_BLOCK = 2048
COL_BLOCK = 8192


def knn_edges(vectors: np.ndarray, threshold: float, neighbours: int, tick: Tick | None = None,
              row_block: int = ROW_BLOCK, col_block: int = COL_BLOCK) -> list[tuple[int, int, float]]:
    """Edges (i, j, cosine) with i < j, at most `neighbours` per i, cosine >= threshold (see the module doc)."""
    n = len(vectors)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    edges: list[tuple[int, int, float]] = []
    for start in range(0, n, row_block):
        stop = min(n, start + row_block)
        rows, cols, sims = block_candidates(vectors, start, stop, threshold, col_block)
        for i, j, s in top_per_row(rows, cols, sims, neighbours):
            edges.append((int(i), int(j), min(1.0, float(s))))
        if tick:
            tick(stop - start)
    return edges


def block_candidates(vectors: np.ndarray, start: int, stop: int, threshold: float,
                     col_block: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (row in [start, stop), later column, cosine) at or above the threshold."""
    found_rows, found_cols, found_sims = [], [], []
    block = vectors[start:stop]
    row_ids = np.arange(start, stop)
    for col_start in range(start, len(vectors), col_block):
        col_stop = min(len(vectors), col_start + col_block)
        sims = block @ vectors[col_start:col_stop].T
        hits = sims >= threshold
        if col_start < stop:  # the block holds the diagonal: keep only later columns
            hits &= np.arange(col_start, col_stop)[None, :] > row_ids[:, None]
        r, c = np.nonzero(hits)
        found_rows.append(r + start)
        found_cols.append(c + col_start)
        found_sims.append(sims[r, c])
    if not found_rows:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float32)
    return np.concatenate(found_rows), np.concatenate(found_cols), np.concatenate(found_sims)


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
