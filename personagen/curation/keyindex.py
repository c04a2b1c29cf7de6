"""Fixed-size digests (16-byte text keys) mapped to row numbers, in about 24 bytes an entry.

A dict of 16-byte `bytes` keys to ints holds ~140 bytes an entry in CPython (the bytes object, the int, the
table slot), a set of them ~90: the vector store's row index (personagen/curation/vectors.py) and the live
neighbour graph's distinct texts (personagen/curation/livegraph.py) keep one entry per text of the run for its
whole length (~233 bytes a text together, measured with tracemalloc; 1M texts: ~230 MB).
Here the entries live in two sorted numpy arrays (the keys, the values) and lookups are binary searches; new
entries wait in a small dict until it holds an eighth of the sorted ones (at least MERGE), then are merged in.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

MERGE = 4096  # the smallest pending dict that is merged into the sorted arrays


class KeyIndex:
    """key (bytes of `width`) -> int >= 0; the first value given for a key stays (as `dict.setdefault`)."""

    def __init__(self, width: int = 16, keys: Iterable[bytes] = ()) -> None:
        self.dtype = np.dtype(f"S{width}")
        self._keys = np.zeros(0, dtype=self.dtype)
        self._values = np.zeros(0, dtype=np.int64)
        self._pending: dict[bytes, int] = {}
        self.setdefault_many(list(keys), 0)

    def __len__(self) -> int:
        return len(self._keys) + len(self._pending)

    def __contains__(self, key: bytes) -> bool:
        return self.get(key) >= 0

    def get(self, key: bytes, default: int = -1) -> int:
        if (value := self._pending.get(key)) is not None:
            return value
        return int(self.get_many([key], default)[0]) if len(self._keys) else default

    def get_many(self, keys: list[bytes], default: int = -1) -> np.ndarray:
        """The value of each key, `default` where it has none."""
        found = np.full(len(keys), default, dtype=np.int64)
        if len(self._keys) and keys:
            query = np.array(keys, dtype=self.dtype)
            at = np.minimum(np.searchsorted(self._keys, query), len(self._keys) - 1)
            hit = self._keys[at] == query
            found[hit] = self._values[at[hit]]
        if self._pending:
            for i, key in enumerate(keys):
                if (value := self._pending.get(key)) is not None:
                    found[i] = value
        return found

    def setdefault(self, key: bytes, value: int) -> int:
        """The key's value, `value` (stored) when it had none."""
        if (known := self.get(key)) >= 0:
            return known
        self._pending[key] = value
        if len(self._pending) >= max(MERGE, len(self._keys) // 8):
            self._merge()
        return value

    def setdefault_many(self, keys: list[bytes], first: int) -> None:
        """`setdefault(keys[i], first + i)` for each key, looked up at once."""
        for i, (key, known) in enumerate(zip(keys, self.get_many(keys), strict=True)):
            if known < 0 and key not in self._pending:
                self._pending[key] = first + i
        if len(self._pending) >= max(MERGE, len(self._keys) // 8):
            self._merge()

    def add(self, key: bytes) -> None:
        """A key without a value of its own (a set's member)."""
        self.setdefault(key, 0)

    def _merge(self) -> None:
        keys = np.concatenate([self._keys, np.array(list(self._pending), dtype=self.dtype)])
        values = np.concatenate([self._values, np.fromiter(self._pending.values(), np.int64, len(self._pending))])
        order = np.argsort(keys, kind="stable")
        self._keys, self._values, self._pending = keys[order], values[order], {}
