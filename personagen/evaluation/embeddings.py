"""Sentence embeddings for the evaluation: all-MiniLM-L6-v2 (int8 ONNX) or a model folder given by the user.

Input: a list of texts. Output: a float32 array (n, d), L2-normalised (d = 384 for MiniLM). The embedder itself
(model and tokenizer loading, length-sorted batches, mean pooling) is `personagen.agents.sentence_embedder`,
shared with the offline emotion critic; here its errors become EvalError, and `embed_cached` stores vectors
under a cache folder, keyed by a hash of the model and the texts; `embed_run_texts` reads a run's texts from the
run's own vector store (filled while the run generated, personagen/curation/vectors.py). `language_warning` says
when the model does not cover the run's language. Nothing is downloaded.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from personagen.agents.sentence_embedder import (
    DIMENSION,
    MINILM_ID,
    EmbedderUnavailable,
    SentenceEmbedder,
)
from personagen.cachedir import cache_subdir
from personagen.evaluation.errors import EvalError
from personagen.runformat.atomic import atomic_path

MODEL_ID = MINILM_ID
__all__ = ["DIMENSION", "MODEL_ID", "Embedder", "embed_cached", "embed_run_texts", "language_warning",
           "shared_cache_dir", "texts_key"]


class Embedder(SentenceEmbedder):
    """The evaluation's embedder (`model_dir`: a folder with model.onnx + tokenizer.json, None for MiniLM);
    a missing package or an unusable model folder raises EvalError."""

    def __init__(self, model_dir: str | Path | None = None, batch_size: int = 64, threads: int | None = None):
        try:
            super().__init__(model_dir, batch_size, threads)
        except EmbedderUnavailable as exc:
            raise EvalError(str(exc)) from None

    def load(self) -> None:
        try:
            super().load()
        except EmbedderUnavailable as exc:
            raise EvalError(f"{exc}; the evaluation needs the 'eval' extra: pip install 'personagen[eval]'") from None


def language_warning(embedder: SentenceEmbedder, language: str | None) -> str | None:
    """A warning when the embedding model does not cover the texts' language (None when it does or is unknown)."""
    if not language or embedder.languages is None or language in embedder.languages:
        return None
    return (f"the embedding model {embedder.model_id} covers {', '.join(embedder.languages)} only, the texts are "
            f"'{language}': embedding metrics (diversity, realism, MiniLM downstream) are unreliable; give a "
            "multilingual model with --embedding-model DIR (docs/evaluation.md)")


def texts_key(texts: list[str], model: str = MODEL_ID) -> str:
    """A stable key for a list of texts and the model that embeds them."""
    digest = hashlib.sha256(model.encode())
    for text in texts:
        digest.update(b"\x1e" + text.encode("utf-8"))
    return digest.hexdigest()[:24]


def shared_cache_dir() -> Path:
    """Cache shared by evaluations (real corpora are embedded once): `embeddings/` in the PersonaGen cache
    folder (`personagen.cachedir`: $PERSONAGEN_CACHE_DIR, else $XDG_CACHE_HOME/personagen, else ~/.cache/...)."""
    return cache_subdir("embeddings")


def embed_cached(embedder: SentenceEmbedder, texts: list[str], cache_dir: Path | None) -> np.ndarray:
    """Embed `texts`, reading/writing `<cache_dir>/<key>.npy` when a cache folder is given (a cache that
    cannot be written is skipped)."""
    if cache_dir is None:
        return embedder.embed(texts)
    path = Path(cache_dir) / f"{texts_key(texts, embedder.source.cache_id)}.npy"
    if path.exists():
        cached = np.load(path)
        if cached.ndim == 2 and cached.shape[0] == len(texts):
            return cached
    vectors = embedder.embed(texts)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path, suffix=".npy") as tmp:  # numpy adds .npy to a name without it
            np.save(tmp, vectors)
    except OSError:
        pass
    return vectors


def embed_run_texts(embedder: SentenceEmbedder, texts: list[str], run_folder: Path,
                    cache_dir: Path | None) -> np.ndarray:
    """Vectors of a run's texts from the run folder's vector store (`RUN/curation-cache/`: the texts the run embedded
    while it generated, for its curation), embedding and storing only those it lacks; with no cache folder (caching
    off) nothing is read or stored, and a run folder that cannot be written falls back to `cache_dir`."""
    if cache_dir is None:
        return embedder.embed(texts)
    from personagen.curation.engine import CACHE_FOLDER
    from personagen.curation.vectors import VectorStore

    try:
        return VectorStore(Path(run_folder) / CACHE_FOLDER, embedder.source.cache_id).embed(embedder, texts)
    except OSError:
        return embed_cached(embedder, texts, cache_dir)
