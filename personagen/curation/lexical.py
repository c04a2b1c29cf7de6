"""The exact and lexical passes of curation.

`unique_texts`: the exact pass. Input: normalised texts in generation order. Output: for each text the row of
its first copy among the distinct normalised texts (later passes work on distinct texts only).

`minhash_edges`: the lexical pass over distinct texts. Input: their shingle sets (word trigrams). Output: edges
(earlier row, later row, Jaccard similarity) between texts whose shingle sets overlap at least `threshold`.
MinHash signatures come from datasketch (128 permutations); candidate pairs from locality-sensitive hashing on
them: the signature is cut into `b` bands of `r` values (datasketch's choice for a threshold LSH_MARGIN lower
than asked, weighted against misses: LSH is probabilistic and pairs just above the threshold are otherwise missed
now and then), and texts that agree on a whole band are candidates. Banding is done with numpy over one
(n, 128) uint32 matrix: 51 MB at 100,000 texts, where an index of Python objects per band took 8 times more.
A candidate becomes an edge only when its exact Jaccard similarity reaches the threshold; a text is compared with
at most MAX_CANDIDATES earlier texts per band bucket and keeps at most `neighbours` edges (its most similar
earlier texts).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from personagen.curation.corpus import jaccard

Tick = Callable[[int], None]  # called with the number of items just done
Edge = tuple[int, int, float]  # (earlier row, later row, similarity)
NUM_PERM = 128
LSH_MARGIN = 0.1
LSH_WEIGHTS = (0.3, 0.7)  # datasketch's (false positive, false negative) weights: a missed pair costs more
MAX_CANDIDATES = 64  # per text and band bucket: a bucket of thousands of template texts stays linear


def unique_texts(normalised: list[str]) -> tuple[list[int], list[int]]:
    """(row of each text among the distinct texts, index of the first text of each distinct row)."""
    first: dict[str, int] = {}
    row_of: list[int] = []
    firsts: list[int] = []
    for i, text in enumerate(normalised):
        row = first.get(text)
        if row is None:
            row = first[text] = len(firsts)
            firsts.append(i)
        row_of.append(row)
    return row_of, firsts


def signatures(shingle_sets: list[set[str]], tick: Tick | None = None) -> np.ndarray:
    """MinHash signatures (n, NUM_PERM) uint32 of the shingle sets (datasketch, seed 1: deterministic)."""
    from datasketch import MinHash

    out = np.zeros((len(shingle_sets), NUM_PERM), dtype=np.uint32)
    encoded = ([s.encode("utf-8") for s in shingle_set] for shingle_set in shingle_sets)
    for row, sketch in enumerate(MinHash.generator(encoded, num_perm=NUM_PERM)):
        out[row] = sketch.hashvalues
        if tick and row % 1000 == 999:
            tick(1000)
    if tick:
        tick(len(shingle_sets) % 1000)
    return out


def band_shape(threshold: float) -> tuple[int, int]:
    """(bands, rows per band) datasketch picks for the lowered threshold."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=max(0.05, threshold - LSH_MARGIN), num_perm=NUM_PERM, weights=LSH_WEIGHTS)
    return lsh.b, lsh.r


def candidate_pairs(sigs: np.ndarray, bands: int, rows: int, eligible: np.ndarray) -> set[tuple[int, int]]:
    """(earlier, later) pairs of eligible texts that agree on at least one whole band."""
    multipliers = np.random.default_rng(0).integers(1, 2**63, size=rows, dtype=np.uint64) | np.uint64(1)
    index = np.flatnonzero(eligible)
    pairs: set[tuple[int, int]] = set()
    for band in range(bands):
        keys = (sigs[index, band * rows : (band + 1) * rows].astype(np.uint64) * multipliers).sum(axis=1)
        order = np.argsort(keys, kind="stable")  # within a bucket, members stay in generation order
        sorted_keys = keys[order]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        sizes = np.diff(np.r_[starts, len(order)])
        for start, size in zip(starts[sizes > 1], sizes[sizes > 1], strict=True):
            members = index[order[start : start + size]]
            for j in range(1, size):
                later = int(members[j])
                pairs.update((int(e), later) for e in members[max(0, j - MAX_CANDIDATES) : j])
    return pairs


def minhash_edges(shingle_sets: list[set[str]], threshold: float, neighbours: int,
                  tick: Tick | None = None) -> list[Edge]:
    """Edges between texts whose shingle sets have Jaccard similarity >= threshold (see the module doc)."""
    try:
        sigs = signatures(shingle_sets, tick)
        bands, rows = band_shape(threshold)
    except ImportError as exc:
        hint = "the lexical pass needs datasketch: pip install 'personagen[eval]'"
        raise ImportError(hint, name="datasketch") from exc
    eligible = np.array([len(s) > 1 for s in shingle_sets], dtype=bool)  # one shingle: equal only when equal
    best: dict[int, list[tuple[float, int]]] = {}
    for earlier, later in candidate_pairs(sigs, bands, rows, eligible):
        similarity = jaccard(shingle_sets[earlier], shingle_sets[later])
        if similarity >= threshold:
            best.setdefault(later, []).append((similarity, earlier))
    edges: list[Edge] = []
    for later in sorted(best):
        ranked = sorted(best[later], key=lambda p: (-p[0], p[1]))[:neighbours]
        edges += [(earlier, later, similarity) for similarity, earlier in ranked]
    return edges
