"""The MiniLM int8 ONNX embedder: shapes, normalisation, meaning, batching and the cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from personagen.evaluation.embeddings import DIMENSION, Embedder, embed_cached, texts_key


def test_vectors_are_normalised_and_meaningful(embedder: Embedder):
    texts = ["I am so happy today!", "Today I feel really happy.", "The invoice is attached as a PDF."]
    vectors = embedder.embed(texts)
    assert vectors.shape == (3, DIMENSION)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3


def test_batching_and_order_do_not_change_vectors(embedder: Embedder):
    texts = ["short", "a much longer sentence that needs more tokens than the others", "medium length text"]
    together = embedder.embed(texts)
    alone = np.vstack([embedder.embed([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-4)
    assert embedder.embed([]).shape == (0, DIMENSION)


def test_cache_round_trip(embedder: Embedder, tmp_path: Path):
    texts = ["one text", "another text"]
    first = embed_cached(embedder, texts, tmp_path)
    assert (tmp_path / f"{texts_key(texts, embedder.source.cache_id)}.npy").is_file()
    assert np.array_equal(embed_cached(embedder, texts, tmp_path), first)
    assert texts_key(texts) != texts_key(texts[::-1])
