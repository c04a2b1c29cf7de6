"""Curation of a whole dataset: near-duplicates across personas found and set aside, one text kept per group.

Input: a `Corpus` (texts in generation order) and `CurationOptions`. Output: a `Curation` (the removals and a
summary). Passes, cheapest first:
  1. exact: texts equal after normalisation (case, punctuation, spaces) are one distinct text;
  2. lexical: distinct texts whose word-trigram sets overlap >= `jaccard` (MinHash LSH, curation/minhash.py);
  3. semantic: distinct texts whose sentence embeddings (MiniLM, or an ONNX model folder) have cosine >=
     `cosine` (each text linked to its most similar earlier ones, blocked numpy products); skipped when the model
     does not read the run's language (MiniLM reads English only). The edges the live embedding stored during the
     run (personagen/curation/edges.py) are read, only the rest computed.
The edges of passes 2 and 3 make a networkx graph; each connected component keeps its earliest text and every
other record in it is set aside. `curate_run` does this for a run folder and writes curation.json/.jsonl.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from personagen.curation import COSINE, JACCARD, NEIGHBOURS, components, lexical
from personagen.curation import edges as edge_log
from personagen.curation.corpus import UNSPACED_LANGUAGES, Corpus, load_corpus, normalise, shingles
from personagen.curation.shingletable import ShingleTable
from personagen.curation.store import write_curation
from personagen.curation.vectors import StoredRows, Vectors, VectorStore, text_key
from personagen.errors import InputError
from personagen.kept import refresh_kept
from personagen.runformat.folder import RunFolder

Tick = Callable[[int], None]
Phases = Callable[[str, int], Tick]  # start a phase (description, total items); returns its tick
EMBED_CHUNK = 4096
EMBED_BATCH = 64  # texts per model call at the end (length-sorted: little padding)
CACHE_FOLDER = "curation-cache"


class CurationError(InputError):
    """Curation cannot run as asked; the message says what to do."""


@dataclass(frozen=True)
class CurationOptions:
    """Thresholds (docs/curation.md measures them on GoEmotions) and how to embed."""

    cosine: float = COSINE
    jaccard: float = JACCARD
    neighbours: int = NEIGHBOURS
    semantic: bool = True  # the embedding pass (skipped anyway for languages the model does not read)
    cache: bool = True  # cache a run's embeddings in RUN/curation-cache/ (curate_run)
    model_dir: Path | None = None  # an ONNX sentence-embedding model folder (None: MiniLM, English)
    cache_dir: Path | None = None  # where embeddings are cached (None: no cache, unless curate_run sets it)
    embedder: Any = None  # anything with .embed(texts) -> (n, d) normalised vectors; None: MiniLM
    write: bool = True  # store the semantic edges computed in the cache folder (False: a run still writing)

    def check(self) -> None:
        if not 0.0 < self.cosine <= 1.0 or not 0.0 < self.jaccard <= 1.0:
            raise CurationError("thresholds are similarities in (0, 1]: e.g. --threshold 0.95 --jaccard 0.8")
        if self.neighbours < 1:
            raise CurationError("--neighbours must be at least 1")


@dataclass
class Curation:
    removals: list[components.Removal]
    summary: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)


def no_progress(name: str, total: int) -> Tick:
    return lambda n: None


def curate_corpus(corpus: Corpus, options: CurationOptions, progress: Phases = no_progress) -> Curation:
    """Find the duplicate groups of `corpus` and the records to set aside (see the module doc)."""
    options.check()
    clock = Clock()
    normalised = [normalise(t) for t in corpus.texts]
    row_of, firsts = lexical.unique_texts(normalised)
    clock.lap("exact")
    distinct_texts = [corpus.texts[i] for i in firsts]
    table = ShingleTable.of(shingles(normalised[i], corpus.language) for i in firsts)
    norms = [edge_log.norm_key(normalised[i]) for i in firsts]
    del normalised
    edges = lexical.minhash_edges(table, options.jaccard, options.neighbours,
                                  progress("lexical pass (MinHash)", len(table)))
    clock.lap("lexical")
    embedder = make_embedder(options) if options.semantic else None
    vectors, embedded, reused, semantic_note = None, 0, 0, semantic_skip_reason(corpus, embedder)
    if semantic_note is None:
        vectors, embedded = embed(embedder, distinct_texts, options.cache_dir,
                                  progress("embedding", len(distinct_texts)))
        clock.lap("embed")
        semantic, reused = edge_log.graph_edges(
            vectors, [text_key(t) for t in distinct_texts], norms, stored_edges(embedder, options),
            options.cosine, options.neighbours, progress("nearest neighbours", len(distinct_texts)), options.write)
        edges += semantic
        clock.lap("neighbours")
    graph = components.duplicate_graph(edges)
    thresholds = components.Thresholds(cosine=options.cosine, jaccard=options.jaccard)
    removals = components.removals(corpus, row_of, firsts, graph, table, vectors, thresholds)
    clock.lap("components")
    model = None if semantic_note else str(getattr(embedder, "model_id", type(embedder).__name__))
    summary = summarise(corpus, removals, len(firsts), options, semantic_note, model)
    summary["settings"]["embedded_now"] = embedded if vectors is not None else None  # the rest were stored
    summary["settings"]["neighbours_stored"] = reused if vectors is not None else None  # texts whose edges were read
    summary["timings_s"] = clock.laps
    return Curation(removals, summary, clock.laps)


def make_embedder(options: CurationOptions) -> Any:
    """The injected embedder; else, for MiniLM, the process's shared one when it is loaded already (one onnxruntime
    session with the offline emotion critic and the live embedding); else the evaluation's (MiniLM, or the ONNX
    model folder `options.model_dir`), with its own session and threads."""
    if options.embedder is not None:
        return options.embedder
    try:
        if options.model_dir is None:
            from personagen.agents.sentence_embedder import shared_embedder

            if shared_embedder().loaded:
                return shared_embedder()
        from personagen.evaluation.embeddings import Embedder

        return Embedder(options.model_dir)
    except (ImportError, ValueError, RuntimeError) as exc:  # EvalError, EmbedderUnavailable: a missing extra or model
        raise CurationError(f"cannot load the embedding model: {exc} (or pass --no-semantic: exact and "
                            "lexical passes only)") from None


def stored_edges(embedder: Any, options: CurationOptions) -> edge_log.EdgeLog | None:
    """The edge file of these settings in the cache folder (personagen/curation/edges.py), if there is one."""
    if options.cache_dir is None or not hasattr(embedder, "source"):
        return None
    return edge_log.EdgeLog(options.cache_dir, embedder.source.cache_id, options.cosine, options.neighbours)


def semantic_skip_reason(corpus: Corpus, embedder: Any) -> str | None:
    if embedder is None:
        return "semantic pass turned off"
    languages = getattr(embedder, "languages", None)
    if languages is not None and corpus.language not in languages:
        return (f"semantic pass skipped: the embedding model reads {', '.join(languages)}, the run is in "
                f"{corpus.language!r} (give a multilingual ONNX model with --embedding-model DIR)")
    if len(corpus) < 2:
        return "semantic pass skipped: fewer than two texts"
    return None


def embed(embedder: Any, texts: list[str], cache_dir: Path | None, tick: Tick) -> tuple[Vectors, int]:
    """Embeddings of `texts` in chunks (for progress), and how many were run through the model. With a cache
    folder, each text is read from the folder's vector store (personagen/curation/vectors.py: filled during the run
    by the live embedding, or by an earlier curation) or embedded and stored, and the vectors stay in the store's
    file (`StoredRows`: read when asked, so memory does not grow with the texts); without one (or when it cannot be
    written), they are embedded into one array."""
    store = VectorStore(cache_dir, embedder.source.cache_id) if cache_dir is not None and hasattr(
        embedder, "source") else None
    try:
        if store is not None:
            try:
                return stored(store, embedder, texts, tick)
            except OSError:  # a cache folder that cannot be written: embed without it
                pass
        out = np.zeros((len(texts), 0), dtype=np.float32)
        for start in range(0, len(texts), EMBED_CHUNK):
            vectors = embedder.embed(texts[start : start + EMBED_CHUNK])
            if start == 0:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[start : start + len(vectors)] = vectors
            tick(len(vectors))
        return out, len(texts)
    except (ImportError, ValueError, RuntimeError) as exc:  # EvalError / EmbedderUnavailable: a missing part
        raise CurationError(f"cannot embed the texts: {exc} (or pass --no-semantic)") from None


def stored(store: VectorStore, embedder: Any, texts: list[str], tick: Tick) -> tuple[Vectors, int]:
    """The texts' vectors in `store`, embedding and storing those it lacks; how many were embedded."""
    embedded = 0
    for start in range(0, len(texts), EMBED_CHUNK):
        chunk = texts[start : start + EMBED_CHUNK]
        embedded += store.ensure(embedder, chunk, EMBED_BATCH)
        tick(len(chunk))
    return StoredRows(store, store.rows(texts)), embedded


def summarise(corpus: Corpus, removals: list[components.Removal], distinct: int, options: CurationOptions,
              semantic_note: str | None, model: str | None) -> dict[str, Any]:
    """curation.json without its timings."""
    removed_per_emotion = Counter(r.emotion for r in removals)
    groups = Counter(r.duplicate_of for r in removals)
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "records": len(corpus), "kept": len(corpus) - len(removals), "removed": len(removals),
        "distinct_texts": distinct,
        "groups": len(groups), "largest_group": max(groups.values(), default=0) + (1 if groups else 0),
        "by_match": dict(sorted(Counter(r.match for r in removals).items())),
        "label_conflicts": sum(r.emotion != r.duplicate_emotion for r in removals),
        "per_emotion": {e: {"records": n, "removed": removed_per_emotion.get(e, 0)}
                        for e, n in sorted(Counter(corpus.emotions).items())},
        "settings": {"cosine_threshold": options.cosine, "jaccard_threshold": options.jaccard,
                     "shingles": "character 3-grams" if corpus.language in UNSPACED_LANGUAGES else "word 3-grams",
                     "neighbours": options.neighbours, "minhash_permutations": lexical.NUM_PERM,
                     "semantic": semantic_note is None, "embedding_model": model,
                     "note": semantic_note},
        "records_key": corpus.key, "language": corpus.language, "warnings": corpus.warnings,
    }


def curate_run(folder: Path, options: CurationOptions | None = None, progress: Phases = no_progress) -> Curation:
    """Curate the run in `folder` and write its curation files; a run still writing is curated as it stands."""
    options = options or CurationOptions()
    if not (folder / "records.jsonl").is_file():
        raise CurationError(f"{folder} has no records.jsonl yet: nothing to curate")
    run = RunFolder(folder)
    started, cpu_started = time.perf_counter(), time.process_time()
    corpus = load_corpus(folder, language=run.config.language)
    live = run.writing
    if live:
        corpus.warnings.append("the run is still writing: this curation covers the records written so far; "
                               "curate again when it ends (export does so when it finds the curation stale)")
    if options.cache and options.cache_dir is None and options.semantic:
        options = replace(options, cache_dir=folder / CACHE_FOLDER)
    if live:  # the live embedding may still be appending edges: read them, write none
        options = replace(options, write=False)
    result = curate_corpus(corpus, options, progress)
    result.summary.update(run_id=run.id, complete=not live)
    result.summary["timings_s"]["total"] = round(time.perf_counter() - started, 3)
    result.summary["timings_s"]["cpu"] = round(time.process_time() - cpu_started, 3)  # the process's, all threads
    write_curation(folder, result.summary, [r.as_row() for r in result.removals])
    if not live:
        refresh_kept(folder)
    return result


class Clock:
    """Seconds per phase, rounded."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._last, 3)
        self._last = now
