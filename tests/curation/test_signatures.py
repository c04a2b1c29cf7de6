"""The lexical pass's MinHash signatures and LSH bands are datasketch's (computed for many texts at once, without
datasketch: curation/minhash.py); datasketch itself is a test dependency only (the dev extra)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from personagen.curation import lexical, minhash
from personagen.curation.corpus import normalise, shingles
from personagen.curation.shingletable import ShingleTable

datasketch = pytest.importorskip("datasketch", reason="the reference implementation comes with the dev extra")


def one_by_one(shingle_set: set[str]) -> np.ndarray:
    sketch = datasketch.MinHash(num_perm=lexical.NUM_PERM, seed=1, scheme="legacy")
    sketch.update_batch([s.encode("utf-8") for s in shingle_set])
    return sketch.hashvalues.astype(np.uint32)


def test_signatures_equal_datasketchs_minhash_of_each_set(monkeypatch) -> None:
    rng = random.Random(7)
    words = [f"w{i}" for i in range(200)] + ["café", "über", "日本"]
    texts = [" ".join(rng.choice(words) for _ in range(rng.randrange(0, 40))) for _ in range(600)]
    sets = [shingles(normalise(t), "en") for t in texts] + [set(), {"one shingle"}]
    monkeypatch.setattr(lexical, "CHUNK_SHINGLES", 700)  # many chunks, texts of every size in them
    ticks: list[int] = []
    found = lexical.signatures(ShingleTable.of(sets), ticks.append)
    assert found.dtype == np.uint32 and found.shape == (len(sets), lexical.NUM_PERM) and sum(ticks) == len(sets)
    assert all(np.array_equal(found[i], one_by_one(s)) for i, s in enumerate(sets))


def test_permutations_and_band_shapes_are_datasketchs() -> None:
    a, b = minhash.permutations(lexical.NUM_PERM, seed=1)
    reference = datasketch.MinHash(num_perm=lexical.NUM_PERM, seed=1, scheme="legacy").permutations
    assert np.array_equal(a, reference[0]) and np.array_equal(b, reference[1])
    for threshold in np.round(np.arange(0.05, 0.96, 0.05), 2):
        lsh = datasketch.MinHashLSH(threshold=float(threshold), num_perm=lexical.NUM_PERM, weights=lexical.LSH_WEIGHTS)
        assert minhash.band_shape(float(threshold), lexical.NUM_PERM, lexical.LSH_WEIGHTS) == (lsh.b, lsh.r)


def test_near_copies_become_edges_and_strangers_do_not() -> None:
    base = "i finally got the keys to our first flat today and i cannot stop smiling"
    texts = [base, base + " at all", "the bus left without me again and i am fuming about it all day"]
    edges = lexical.minhash_edges(ShingleTable.of(shingles(t, "en") for t in texts), 0.8, 10)
    assert [(a, b) for a, b, _ in edges] == [(0, 1)] and edges[0][2] >= 0.8
