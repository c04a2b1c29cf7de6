"""The compact key index behind the vector store's rows and the live graph's distinct texts: a dict's answers in
a fraction of its memory."""

from __future__ import annotations

import hashlib
import random
import tracemalloc

from personagen.curation import keyindex
from personagen.curation.keyindex import KeyIndex


def key(i: int) -> bytes:
    return hashlib.blake2b(str(i).encode(), digest_size=16).digest()


def test_it_answers_as_a_dict_with_setdefault_across_merges(monkeypatch) -> None:
    monkeypatch.setattr(keyindex, "MERGE", 16)
    rng = random.Random(3)
    index, ref = KeyIndex(), {}
    for step in range(3000):
        k = key(rng.randrange(1500)) if step % 3 else key(step) + b""  # repeats and fresh keys
        if step % 7 == 0:
            keys = [key(rng.randrange(3000)) for _ in range(20)]
            index.setdefault_many(keys, step * 100)
            for i, k2 in enumerate(keys):
                ref.setdefault(k2, step * 100 + i)
        assert index.setdefault(k, step) == ref.setdefault(k, step)
    probe = [key(i) for i in range(4000)] + [b"\x00" * 16, b"\xff" * 16, key(1)[:15] + b"\x00"]
    assert index.get_many(probe).tolist() == [ref.get(k, -1) for k in probe]
    assert len(index) == len(ref)
    assert (key(5) in index) == (key(5) in ref) and b"\x00" * 16 not in index


def test_it_holds_a_text_in_far_less_memory_than_a_dict() -> None:
    keys = [key(i) for i in range(60_000)]  # made before tracing: the caller's keys are not the index's
    tracemalloc.start()
    try:
        index = KeyIndex()
        for start in range(0, len(keys), 256):  # as the vector store indexes its keys file
            index.setdefault_many(keys[start : start + 256], start)
        for k in keys[:1000]:
            index.add(k)  # known already: no new entry
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(index) == len(keys)
    assert held / len(keys) < 60  # a dict of the same keys and ints: ~140 bytes an entry (the keys made here)
