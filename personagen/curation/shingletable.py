"""The shingle sets of the distinct texts curation compares, held as hashes in one array.

Input: shingle sets (personagen/curation/corpus.py `shingles`: word trigrams, or character trigrams for unspaced
languages). Output: a `ShingleTable`: each set as its sorted distinct 64-bit hashes (the first 8 bytes of the
shingle's SHA-1, read little-endian), the rows one after the other in a single uint64 array with their offsets.
The low 32 bits of a hash are datasketch's `sha1_hash32` of the shingle (curation/minhash.py), which the MinHash
signatures are made of; the Jaccard similarity of two rows is that of their sets (two different shingles share
a 64-bit hash with a chance of ~2^-64 per pair). 8 bytes a shingle, where a Python set of strings took ~100: the
sets of 20,000 texts were ~28 MB of a curation's peak, and grew with the dataset.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np

PAIR_CHUNK = 8192  # pairs compared at once by `jaccards` (~10 MB of arrays for pairs of 20-shingle texts)
BUILD_CHUNK = 8192  # shingles gathered in a Python list before they are hashed into an array


def shingle_hash64(shingle: str) -> int:
    return int.from_bytes(hashlib.sha1(shingle.encode("utf-8")).digest()[:8], "little")


def hashed(shingles: list[str]) -> np.ndarray:
    """`shingle_hash64` of each shingle, each distinct one hashed once (texts share many)."""
    ids: dict[str, int] = {}
    members = [ids.setdefault(g, len(ids)) for g in shingles]
    distinct = np.fromiter(map(shingle_hash64, ids), dtype=np.uint64, count=len(ids))
    return distinct[np.array(members, dtype=np.int64)]


class ShingleTable:
    """Rows of sorted distinct uint64 shingle hashes (see the module doc)."""

    def __init__(self, hashes: np.ndarray, offsets: np.ndarray) -> None:
        self.hashes, self.offsets = hashes, offsets
        self.sizes = np.diff(offsets)

    @classmethod
    def of(cls, shingle_sets: Iterable[set[str]]) -> ShingleTable:
        parts, sizes, batch = [], [], []
        for shingle_set in shingle_sets:
            batch.extend(shingle_set)
            sizes.append(len(shingle_set))
            if len(batch) >= BUILD_CHUNK:
                parts.append(hashed(batch))
                batch = []
        hashes = np.concatenate([*parts, hashed(batch)])
        row = np.repeat(np.arange(len(sizes)), sizes)
        order = np.lexsort((hashes, row))  # by row, then hash; the rows stay in place
        hashes = hashes[order]
        distinct = np.r_[True, (hashes[1:] != hashes[:-1]) | (row[1:] != row[:-1])] if len(hashes) else []
        hashes, row = hashes[distinct], row[distinct]
        return cls(hashes, np.searchsorted(row, np.arange(len(sizes) + 1)).astype(np.int64))

    def __len__(self) -> int:
        return len(self.sizes)

    def row(self, i: int) -> np.ndarray:
        return self.hashes[self.offsets[i] : self.offsets[i + 1]]

    def jaccard(self, i: int, j: int) -> float:
        """The Jaccard similarity of rows i and j (1.0 for two empty sets); one pair: as Python sets (~20 times
        quicker than `jaccards` for a single pair)."""
        a, b = set(self.row(i).tolist()), set(self.row(j).tolist())
        return len(a & b) / len(a | b) if a or b else 1.0

    def jaccards(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The Jaccard similarity of rows a[k] and b[k] for every k (float64)."""
        out = np.ones(len(a), dtype=np.float64)
        for start in range(0, len(a), PAIR_CHUNK):
            stop = min(len(a), start + PAIR_CHUNK)
            out[start:stop] = self._jaccards(a[start:stop], b[start:stop])
        return out

    def _jaccards(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Each pair's elements tagged with the pair, sorted: within a row the hashes are distinct, so an element
        equal to the one before it of the same pair is in both rows."""
        size_a, size_b = self.sizes[a], self.sizes[b]
        pair = np.concatenate([np.repeat(np.arange(len(a)), size_a), np.repeat(np.arange(len(b)), size_b)])
        values = np.concatenate([self.hashes[spans(self.offsets[a], size_a)],
                                 self.hashes[spans(self.offsets[b], size_b)]])
        order = np.lexsort((values, pair))
        pair, values = pair[order], values[order]
        both = (values[1:] == values[:-1]) & (pair[1:] == pair[:-1])
        shared = np.bincount(pair[1:][both], minlength=len(a))
        union = size_a + size_b - shared
        return np.divide(shared, union, out=np.ones(len(a), dtype=np.float64), where=union > 0)


def spans(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The indices start, start + 1, ..., start + size - 1 of every (start, size), one after the other."""
    ends = np.cumsum(sizes)
    return np.repeat(starts - (ends - sizes), sizes) + np.arange(ends[-1] if len(ends) else 0)
