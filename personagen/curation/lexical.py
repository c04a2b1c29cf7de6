"""The exact and lexical passes of curation.

`unique_texts`: the exact pass. Input: normalised texts in generation order. Output: for each text the row of
its first copy among the distinct normalised texts (later passes work on distinct texts only).

`minhash_edges`: the lexical pass over distinct texts. Input: their shingle sets (word trigrams) as hashes
(curation/shingletable.py). Output: edges
(earlier row, later row, Jaccard similarity) between texts whose shingle sets overlap at least `threshold`.
MinHash signatures: datasketch's legacy scheme (128 permutations; its parameters in curation/minhash.py, without
datasketch), in numpy for many texts at once. Candidate
pairs come from locality-sensitive hashing on them: the signature is cut into `b` bands of `r` values
(datasketch's choice for a threshold LSH_MARGIN lower than asked, weighted against misses: LSH is probabilistic
and pairs just above the threshold are otherwise missed now and then), and texts that agree on a whole band are
candidates. Banding is done with numpy over one (n, bands) uint64 matrix of band keys, made a chunk of signatures
at a time: ~7 MB at 100,000 texts (the whole (n, 128) uint32 signature matrix was 51 MB, an index of Python
objects per band 8 times more).
A candidate becomes an edge only when its exact Jaccard similarity reaches the threshold; a text is compared with
at most MAX_CANDIDATES earlier texts per band bucket and keeps at most `neighbours` edges (its most similar
earlier texts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np

from personagen.curation import minhash
from personagen.curation.shingletable import ShingleTable

Tick = Callable[[int], None]  # called with the number of items just done
Edge = tuple[int, int, float]  # (earlier row, later row, similarity)
NUM_PERM = 128
LSH_MARGIN = 0.1
LSH_WEIGHTS = (0.3, 0.7)  # datasketch's (false positive, false negative) weights: a missed pair costs more
MAX_CANDIDATES = 64  # per text and band bucket: a bucket of thousands of template texts stays linear
MERSENNE, MAX_HASH = np.uint64((1 << 61) - 1), np.uint64((1 << 32) - 1)  # datasketch's legacy scheme
EMPTY = (1 << 32) - 1  # the signature of an empty set (datasketch's initial hash values)
CHUNK_SHINGLES = 4096  # shingles per numpy product: 4 MB of uint64 at 128 permutations, two at a time


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


def signatures(table: ShingleTable, tick: Tick | None = None) -> np.ndarray:
    """MinHash signatures (n, NUM_PERM) uint32 of the table's rows (`signature_chunks`, put together)."""
    out = np.full((len(table), NUM_PERM), EMPTY, dtype=np.uint32)
    for start, stop, chunk in signature_chunks(table, tick):
        out[start:stop] = chunk
    return out


def signature_chunks(table: ShingleTable, tick: Tick | None = None) -> Iterator[tuple[int, int, np.ndarray]]:
    """(start, stop, MinHash signatures of rows [start, stop), (stop - start, NUM_PERM) uint32): datasketch's
    "legacy" scheme (its SHA-1 32-bit shingle hash, the low half of the table's hashes; permutations
    (a * h + b) mod (2^61 - 1), seed 1: deterministic), computed for many texts at once: per chunk of texts, each
    distinct shingle is permuted once (one numpy product, the modulo as the Mersenne reduction), then each text
    takes the minimum over its shingles' rows. The values are those of datasketch's
    `MinHash(num_perm=128, seed=1, scheme="legacy")` (a test checks it), without a MinHash object per text."""
    a, b = minhash.permutations(NUM_PERM, seed=1)
    for start, stop in chunks(table.sizes, CHUNK_SHINGLES):
        hashes = table.hashes[table.offsets[start] : table.offsets[stop]]
        chunk = np.full((stop - start, NUM_PERM), EMPTY, dtype=np.uint32)
        if len(hashes):
            distinct, members = np.unique(hashes & MAX_HASH, return_inverse=True)
            chunk = minima(permute(distinct, a, b), members.ravel(), table.sizes[start:stop])
        yield start, stop, chunk
        if tick:
            tick(stop - start)


def band_keys(table: ShingleTable, bands: int, rows: int, tick: Tick | None = None) -> np.ndarray:
    """(n, bands) uint64: each band of `rows` signature values hashed to one key (texts that agree on a band have
    the same key; a collision only adds a candidate, which the exact Jaccard then rejects). 8 bytes a band where
    the whole signature took 512 a text."""
    multipliers = np.random.default_rng(0).integers(1, 2**63, size=rows, dtype=np.uint64) | np.uint64(1)
    keys = np.zeros((len(table), bands), dtype=np.uint64)
    for start, stop, chunk in signature_chunks(table, tick):
        banded = chunk[:, : bands * rows].reshape(stop - start, bands, rows).astype(np.uint64)
        keys[start:stop] = (banded * multipliers).sum(axis=2)
    return keys


def minima(table: np.ndarray, members: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Per text, the column-wise minimum of the `table` rows of its shingles (`members`, `counts` per text, in
    order); EMPTY for a text without shingles. Texts with the same number of shingles are reduced together (one
    gather and one min per count: numpy's reduceat over rows is several times slower)."""
    out = np.full((len(counts), table.shape[1]), EMPTY, dtype=np.uint32)
    offsets = np.r_[0, np.cumsum(counts)[:-1]]
    for count in np.unique(counts[counts > 0]):
        texts = np.flatnonzero(counts == count)
        rows = members[offsets[texts][:, None] + np.arange(count)]
        out[texts] = table[rows].min(axis=1)
    return out


def permute(hv: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """((a * h + b) mod (2^61 - 1)) & (2^32 - 1) for every hash h and permutation (a, b), as uint32 (rows: hashes).
    The product wraps at 2^64 as datasketch's uint64 arithmetic does; the modulo is the Mersenne reduction
    (x & p) + (x >> 61), less p once if needed: exact for any uint64, and no 64-bit division. In place: two
    (hashes, NUM_PERM) uint64 arrays at a time."""
    x = hv[:, None] * a
    x += b
    high = x >> np.uint64(61)
    x &= MERSENNE
    x += high
    np.subtract(x, MERSENNE, out=x, where=x >= MERSENNE)
    del high
    return (x & MAX_HASH).astype(np.uint32)


def chunks(sizes: Sequence[int] | np.ndarray, budget: int) -> Iterator[tuple[int, int]]:
    """(start, stop) ranges of consecutive items whose sizes sum to at most `budget` (an item larger: alone)."""
    start, size = 0, 0
    for i, n in enumerate(sizes):
        if size and size + n > budget:
            yield start, i
            start, size = i, 0
        size += n
    if start < len(sizes):
        yield start, len(sizes)


def band_shape(threshold: float) -> tuple[int, int]:
    """(bands, rows per band) datasketch's MinHashLSH picks for the lowered threshold."""
    return minhash.band_shape(max(0.05, threshold - LSH_MARGIN), NUM_PERM, LSH_WEIGHTS)


def candidate_pairs(keys: np.ndarray, eligible: np.ndarray) -> set[tuple[int, int]]:
    """(earlier, later) pairs of eligible texts that agree on at least one whole band (`band_keys`)."""
    index = np.flatnonzero(eligible)
    pairs: set[tuple[int, int]] = set()
    for band in range(keys.shape[1]):
        band_key = keys[index, band]
        order = np.argsort(band_key, kind="stable")  # within a bucket, members stay in generation order
        sorted_keys = band_key[order]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        sizes = np.diff(np.r_[starts, len(order)])
        for start, size in zip(starts[sizes > 1], sizes[sizes > 1], strict=True):
            members = index[order[start : start + size]]
            for j in range(1, size):
                later = int(members[j])
                pairs.update((int(e), later) for e in members[max(0, j - MAX_CANDIDATES) : j])
    return pairs


def minhash_edges(table: ShingleTable, threshold: float, neighbours: int, tick: Tick | None = None) -> list[Edge]:
    """Edges between texts whose shingle sets have Jaccard similarity >= threshold (see the module doc)."""
    keys = band_keys(table, *band_shape(threshold), tick)
    eligible = table.sizes > 1  # one shingle: equal only when equal (the exact pass)
    pairs = np.array(list(candidate_pairs(keys, eligible)), dtype=np.int64).reshape(-1, 2)
    del keys
    similarity = table.jaccards(pairs[:, 0], pairs[:, 1])
    best: dict[int, list[tuple[float, int]]] = {}
    for (earlier, later), s in zip(pairs[similarity >= threshold].tolist(),
                                   similarity[similarity >= threshold].tolist(), strict=True):
        best.setdefault(later, []).append((s, earlier))
    edges: list[Edge] = []
    for later in sorted(best):
        ranked = sorted(best[later], key=lambda p: (-p[0], p[1]))[:neighbours]
        edges += [(earlier, later, similarity) for similarity, earlier in ranked]
    return edges
