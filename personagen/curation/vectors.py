"""One sentence vector per distinct text of a run, kept in the run folder: embedded once, read by every pass.

Input: texts and an embedder (anything with `.embed(texts)` and a `source.cache_id`). Output: their L2-normalised
float32 vectors, rows in the input order. The store is two append-only files in `RUN/curation-cache/`, named
after the model (`vectors-<model hash>.f32`: rows of `dimension` float32; `.keys`: a 16-byte BLAKE2b digest of each
row's text, in the same order) and a small `.json` (model, dimension). Texts already in the store are read, not
embedded again: the live embedding during a run (personagen/curation/live.py), the end-of-run curation and
`personagen curate` share it. Appends are serialised by a lock on the keys file and write the vectors before their
keys, so a reader never finds a key without its vector; a tail left by a crash is cut at the next append.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from personagen.curation.keyindex import KeyIndex

KEY_BYTES = 16


def text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=KEY_BYTES).digest()


class VectorStore:
    """The vectors of one model in one folder (see the module doc)."""

    def __init__(self, folder: Path, cache_id: str) -> None:
        tag = hashlib.sha256(cache_id.encode()).hexdigest()[:16]
        self.folder, self.cache_id = Path(folder), cache_id
        self.keys_path = self.folder / f"vectors-{tag}.keys"
        self.data_path = self.folder / f"vectors-{tag}.f32"
        self.meta_path = self.folder / f"vectors-{tag}.json"
        self._rows = KeyIndex(KEY_BYTES)  # ~24 bytes a text (a dict: ~140; keyindex.py)
        self._read_keys = 0  # bytes of the keys file already indexed
        self.dimension: int | None = None

    def _refresh(self) -> None:
        """Index keys appended since the last look (by this or another process)."""
        if self.dimension is None:
            try:
                self.dimension = int(json.loads(self.meta_path.read_text(encoding="utf-8"))["dimension"])
            except (OSError, ValueError, KeyError, TypeError):
                return
        try:
            with open(self.keys_path, "rb") as fh:
                fh.seek(self._read_keys)
                new = fh.read()
        except FileNotFoundError:
            return
        new = new[: len(new) - len(new) % KEY_BYTES]
        start = self._read_keys // KEY_BYTES
        self._rows.setdefault_many([new[i : i + KEY_BYTES] for i in range(0, len(new), KEY_BYTES)], start)
        self._read_keys += len(new)

    def __len__(self) -> int:
        self._refresh()
        return len(self._rows)

    def rows(self, texts: list[str]) -> np.ndarray:
        """The store's row of each text, -1 where it has none."""
        return self.rows_of_keys([text_key(t) for t in texts])

    def rows_of_keys(self, keys: list[bytes]) -> np.ndarray:
        """The store's row of each text key (`text_key`), -1 where it has none."""
        self._refresh()
        return self._rows.get_many(keys)

    def read(self, rows: np.ndarray) -> np.ndarray:
        """The vectors of `rows` (all >= 0), in that order."""
        if self.dimension is None:
            self._refresh()
        if self.dimension is None or len(rows) == 0:
            return np.zeros((len(rows), self.dimension or 0), dtype=np.float32)
        data = np.memmap(self.data_path, dtype=np.float32, mode="r").reshape(-1, self.dimension)
        return np.array(data[rows])

    def append(self, texts: list[str], vectors: np.ndarray) -> None:
        """Add texts and their vectors (texts already stored are skipped)."""
        self.append_keyed([text_key(t) for t in texts], vectors)

    def append_keyed(self, keys_in: list[bytes], vectors: np.ndarray) -> None:
        """Add vectors under their texts' keys (`text_key`; keys already stored are skipped)."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.keys_path, "ab") as keys:
            fcntl.flock(keys, fcntl.LOCK_EX)
            try:
                self._check_dimension(vectors.shape[1])
                self._refresh()
                fresh = {k: i for i, k in enumerate(keys_in)}
                fresh = {k: i for (k, i), row in zip(fresh.items(), self._rows.get_many(list(fresh)), strict=True)
                         if row < 0}
                if not fresh:
                    return
                count = os.fstat(keys.fileno()).st_size // KEY_BYTES
                keys.truncate(count * KEY_BYTES)  # a key cut short by a crash
                with open(self.data_path, "ab") as data:
                    data.truncate(count * vectors.shape[1] * 4)  # a tail without keys (a crash) is cut
                    data.write(vectors[list(fresh.values())].tobytes())
                    data.flush()
                keys.write(b"".join(fresh))
                keys.flush()
            finally:
                fcntl.flock(keys, fcntl.LOCK_UN)
        self._refresh()

    def _check_dimension(self, dimension: int) -> None:
        self._refresh()
        if self.dimension is None:
            self.meta_path.write_text(json.dumps({"model": self.cache_id, "dimension": dimension}) + "\n",
                                      encoding="utf-8")
            self.dimension = dimension
        elif self.dimension != dimension:
            raise ValueError(f"{self.meta_path} holds {self.dimension}-dimensional vectors, not {dimension}")

    def ensure(self, embedder: Any, texts: list[str], batch_size: int | None = None) -> int:
        """Embed and store the texts not stored yet; returns how many were embedded."""
        rows = self.rows(texts)
        todo = list(dict.fromkeys(t for t, row in zip(texts, rows, strict=True) if row < 0))
        if todo:
            vectors = embedder.embed(todo, batch_size) if batch_size else embedder.embed(todo)
            self.append(todo, vectors)
        return len(todo)

    def embed(self, embedder: Any, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        """Vectors of `texts`: stored ones read, the others embedded and stored."""
        self.ensure(embedder, texts, batch_size)
        return self.read(self.rows(texts))


class Vectors(Protocol):
    """Rows of vectors: an array, or `StoredRows`."""

    def __len__(self) -> int: ...
    def __getitem__(self, key: Any, /) -> Any: ...


class StoredRows:
    """The vectors of some rows of a store, read from its file when asked: one row (`[i]`, a read of its bytes) or
    a range (`[a:b]`, one block): memory holds what is asked, not every vector."""

    def __init__(self, store: VectorStore, rows: np.ndarray) -> None:
        if (rows < 0).any():
            raise ValueError("every text must be stored")
        store._refresh()
        self.store, self.rows, self.dimension = store, rows, store.dimension or 0
        self._file: Any = None

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, key: int | slice) -> np.ndarray:
        if isinstance(key, slice):
            return self.store.read(self.rows[key])
        if self._file is None:
            self._file = open(self.store.data_path, "rb")  # noqa: SIM115 - kept for the next row, closed by __del__
        size = 4 * self.dimension
        return np.frombuffer(os.pread(self._file.fileno(), size, int(self.rows[key]) * size), dtype=np.float32)

    def __del__(self) -> None:
        if self._file is not None:
            self._file.close()


def stored_models(folder: Path) -> list[str]:
    """The models (`cache_id`) whose vectors `folder` holds."""
    found = []
    for meta in sorted(Path(folder).glob("vectors-*.json")):
        try:
            found.append(str(json.loads(meta.read_text(encoding="utf-8"))["model"]))
        except (OSError, ValueError, KeyError, TypeError):  # a store a crash left without its description
            continue
    return found


def copy_stores(sources: list[Path], target: Path, chunk: int = 65536) -> int:
    """Add every vector of the stores in the `sources` folders to the stores of `target` (same model, same file
    names; keys already there are skipped), `chunk` rows at a time: memory does not grow with the stores (but for
    the keys: 16 bytes a text). Returns how many vectors the sources hold. `personagen merge` carries the shards'
    vectors into the merged run this way (personagen/curation/carry.py)."""
    copied = 0
    for source in sources:
        for model in stored_models(source):
            store, into = VectorStore(source, model), VectorStore(target, model)
            store._refresh()  # reads the dimension
            if store.dimension is None or not store.data_path.is_file():
                continue
            keys = store.keys_path.read_bytes()
            count = min(len(keys) // KEY_BYTES, store.data_path.stat().st_size // (4 * store.dimension))
            if not count:
                continue
            data = np.memmap(store.data_path, dtype=np.float32, mode="r", shape=(count, store.dimension))
            for start in range(0, count, chunk):
                stop = min(count, start + chunk)
                into.append_keyed([keys[i * KEY_BYTES : (i + 1) * KEY_BYTES] for i in range(start, stop)],
                                  np.asarray(data[start:stop]))
            copied += count
    return copied
