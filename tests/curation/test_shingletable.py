"""The shingle table (personagen/curation/shingletable.py) gives the Jaccard similarity of the shingle sets it holds,
exactly, in ~8 bytes a shingle."""

from __future__ import annotations

import random

import numpy as np

from personagen.curation import shingletable
from personagen.curation.corpus import normalise, shingles
from personagen.curation.shingletable import ShingleTable


def set_jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def some_sets(count: int, seed: int = 3) -> list[set[str]]:
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(40)] + ["café", "日本"]
    texts = [" ".join(rng.choice(words) for _ in range(rng.randrange(0, 25))) for _ in range(count)]
    return [shingles(normalise(t), "en") for t in texts] + [set(), {"one shingle"}, shingles("きょうは うれしい", "ja")]


def test_jaccards_equal_those_of_the_sets(monkeypatch) -> None:
    sets = some_sets(800)
    monkeypatch.setattr(shingletable, "BUILD_CHUNK", 50)  # the table built from many arrays
    monkeypatch.setattr(shingletable, "PAIR_CHUNK", 97)  # and compared in many chunks
    table = ShingleTable.of(iter(sets))
    assert len(table) == len(sets) and table.sizes.tolist() == [len(s) for s in sets]
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, len(sets), 5000), rng.integers(0, len(sets), 5000)
    a[:3], b[:3] = len(sets) - 3, [len(sets) - 3, 0, len(sets) - 1]  # two empty sets, empty and not, Japanese
    assert table.jaccards(a, b).tolist() == [set_jaccard(sets[i], sets[j]) for i, j in zip(a, b, strict=True)]
    assert table.jaccard(0, 0) == 1.0 and table.jaccard(len(sets) - 2, 0) == 0.0


def test_a_row_holds_its_sets_hashes_once_sorted() -> None:
    sets = some_sets(50)
    table = ShingleTable.of(sets)
    for i, s in enumerate(sets):
        row = table.row(i)
        assert row.tolist() == sorted(shingletable.shingle_hash64(g) for g in s)
    assert table.hashes.nbytes == 8 * sum(map(len, sets))
