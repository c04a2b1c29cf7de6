"""The evaluation of one run, start to end: read, embed, measure, judge, plot, write.

Input: `EvalOptions` (the run, an optional real corpus and label map, the judge sample, the output folder),
an optional judge `ModelHandle` (None skips the judge) and an optional `Embedder`.
Output: `<out>/metrics.json` and a self-contained `<out>/report.html` (default out: `<run>/eval/`), plus
`judgements.jsonl` when the judge ran. Embeddings are cached: the run's texts in the run's vector store (the one
its curation reads, `RUN/curation-cache/`; `<out>/cache/` when the run folder is read-only), the real corpus's in
the shared cache (`embeddings.shared_cache_dir()`), so a corpus is embedded once for all runs.
Bad input raises EvalError before anything is written.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from personagen.agents.critics.offline_emotion import NAME as OFFLINE_EMOTION
from personagen.agents.llm import ModelHandle, close_handle
from personagen.evaluation import human_likeness, plots
from personagen.evaluation.corpus import RealCorpus, load_real, read_label_map
from personagen.evaluation.diversity import diversity_metrics
from personagen.evaluation.downstream import check_trainable, downstream_metrics
from personagen.evaluation.embeddings import (
    Embedder,
    embed_cached,
    embed_run_texts,
    language_warning,
    shared_cache_dir,
)
from personagen.evaluation.errors import EvalError, require_eval_extra
from personagen.evaluation.groups import group_metrics
from personagen.evaluation.label_accuracy import first_answers, label_accuracy
from personagen.evaluation.population import population_metrics
from personagen.evaluation.realism import compare_sets, realism_metrics
from personagen.evaluation.report import render_report
from personagen.evaluation.run_reader import RunData, load_run
from personagen.inspection.coverage import run_coverage
from personagen.inspection.economics import economics
from personagen.inspection.reader import read_events
from personagen.labelling import read_labels
from personagen.personas.locale import TableError
from personagen.runformat.atomic import atomic_write


@dataclass
class EvalOptions:
    """What to evaluate and where to write it."""

    run: str | Path
    runs_dir: Path = Path("runs")
    real: Path | None = None
    label_map: Path | None = None
    judge_sample: int = 200
    judge_concurrency: int = 8
    out: Path | None = None
    seed: int = 0
    cache: bool = True
    embedding_model: Path | None = None  # a folder with model.onnx + tokenizer.json; None: MiniLM


@dataclass
class EvalResult:
    """The metrics and where they were written."""

    metrics: dict[str, Any]
    out_dir: Path
    files: list[Path] = field(default_factory=list)


class _Clock:
    """Times the steps of an evaluation and reports them through `progress`."""

    def __init__(self, progress: Callable[[str], None]):
        self.progress, self.timings, self._start = progress, {}, time.perf_counter()

    def step(self, name: str, message: str) -> None:
        now = time.perf_counter()
        self.progress(message)
        self.timings[name] = now

    def done(self) -> dict[str, float]:
        names, end = list(self.timings), time.perf_counter()
        stops = [self.timings[n] for n in names[1:]] + [end]
        return {n: round(stop - self.timings[n], 2) for n, stop in zip(names, stops, strict=True)} | {
            "total": round(end - self._start, 2)
        }


def prepare(options: EvalOptions) -> tuple[RunData, RealCorpus | None]:
    """Read and check every input; raises EvalError before any work is done."""
    require_eval_extra()
    if options.embedding_model is not None:
        Embedder(options.embedding_model)  # checks the folder; the model loads when it embeds
    run = load_run(options.run, options.runs_dir)
    real = None
    if options.real is not None:
        mapping = read_label_map(options.label_map)
        real = load_real(options.real, set(run.labels), mapping)
        check_trainable(run.labels, f"run {run.run_id}")
    elif options.label_map is not None:
        raise EvalError("--label-map only applies with --real PATH (the real corpus whose labels it maps)")
    return run, real


def _judge(run: RunData, options: EvalOptions, handle: ModelHandle | None, out: Path) -> dict[str, Any]:
    if handle is None:
        return {"skipped": "no judge (--no-judge)"}
    sample = human_likeness.sample_records(run.records, options.judge_sample, options.seed)
    async def judge_then_close() -> list[Any]:
        try:
            return await human_likeness.judge_records(handle, sample, options.judge_concurrency)
        finally:
            await close_handle(handle)

    judgements = asyncio.run(judge_then_close())
    out.mkdir(parents=True, exist_ok=True)
    with (out / "judgements.jsonl").open("w", encoding="utf-8") as handle_out:
        for judgement in judgements:
            handle_out.write(json.dumps(asdict(judgement), ensure_ascii=False) + "\n")
    return {"model": handle.name, "sample": len(sample)} | human_likeness.summarise(judgements)


def _population(run: RunData) -> dict[str, Any] | None:
    locale = run.config.get("locale")
    if not run.personas or not locale:
        run.warnings.append("population fidelity skipped: the run has no personas.jsonl rows or no locale")
        return None
    try:
        return population_metrics(run.personas, str(locale))
    except TableError as exc:  # an unknown locale or a broken table: the other metrics still count
        run.warnings.append(f"population fidelity skipped: {exc}")
        return None


def _real_metrics(run: RunData, real: RealCorpus, vectors: Any, embed: Callable, seed: int) -> dict[str, Any]:
    """Realism against the real test split (with real train vs test as the reference) and downstream."""
    import numpy as np

    train_vectors, test_vectors = embed(real.train.texts), embed(real.test.texts)
    realism = realism_metrics(vectors, run.labels, test_vectors, real.test.labels, seed)
    realism["reference_real_train_vs_test"] = compare_sets(train_vectors, test_vectors, seed)
    downstream = downstream_metrics(
        run.texts,
        run.labels,
        vectors,
        (real.train.texts, real.train.labels, train_vectors),
        (real.test.texts, real.test.labels, test_vectors),
        seed,
        run.language,
    )
    all_vectors = np.vstack([train_vectors, test_vectors])
    return {"realism": realism, "downstream": downstream, "_real_vectors": all_vectors}


def critic_warning(run: RunData, real: RealCorpus | None) -> str | None:
    """A warning when the offline emotion critic (trained on GoEmotions-6) filtered a run compared with GoEmotions."""
    enforced = set(run.config.get("critics") or []) - set(run.config.get("advisory_critics") or [])
    name = (real.source if real is not None else "").lower().replace("_", "").replace("-", "")
    if OFFLINE_EMOTION not in enforced or "goemotions" not in name:
        return None
    return (f"the critic {OFFLINE_EMOTION} filtered this run with a classifier trained on GoEmotions-6, the real "
            "corpus here: realism and downstream figures against it are optimistic (the texts were selected to "
            "look like its labels); compare with a run made with --no-critic offline_emotion or another corpus")


def make_plots(metrics: dict[str, Any], vectors: Any, labels: list[str], real_vectors: Any) -> dict[str, str]:
    """Every plot the report shows, as base64 PNGs."""
    out = {"embedding_map": plots.embedding_map(vectors, labels, real_vectors)}
    judge = metrics.get("human_likeness") or {}
    if judge.get("distribution"):
        out["judge_scores"] = plots.score_distributions(judge["distribution"])
    downstream = metrics.get("downstream") or {}
    for source in ("synthetic", "real"):
        for name, result in (downstream.get(source) or {}).items():
            title = f"{'TF-IDF' if name == 'tfidf_lr' else 'MiniLM'}+LR trained on {source}"
            out[f"confusion_{source}_{name}"] = plots.confusion(
                result["confusion"]["matrix"], result["confusion"]["labels"], title
            )
    for name, attr in ((metrics.get("population") or {}).get("attributes") or {}).items():
        out[f"population_{name}"] = plots.distributions(
            {
                "target": attr["target"],
                "accepted": attr["accepted"],
                "before critics": attr["before_critics"],
            },
            name.replace("_", " "),
        )
    for name, attr in ((metrics.get("coverage") or {}).get("attributes") or {}).items():
        if attr["values"]:
            out[f"coverage_{name}"] = plots.coverage_heatmap(attr["counts"], attr["values"], name.replace("_", " "))
    return out


def _write(path: Path, text: str) -> None:
    atomic_write(path, text)


def _measure(
    run: RunData,
    real: RealCorpus | None,
    options: EvalOptions,
    judge: ModelHandle | None,
    embedder: Embedder,
    clock: _Clock,
    out: Path,
) -> tuple[dict[str, Any], Any, Any]:
    """Every metric of the run: (metrics, run embeddings, real embeddings or None)."""
    cache = out / "cache" if options.cache else None
    real_cache = shared_cache_dir() if options.cache else None
    embed_real = lambda texts: embed_cached(embedder, texts, real_cache)  # noqa: E731
    clock.step("embed", f"embedding {len(run.texts)} texts")
    vectors = embed_run_texts(embedder, run.texts, run.path, cache)
    metrics: dict[str, Any] = {
        "run_id": run.run_id,
        "run_path": str(run.path),
        "method": run.config.get("method"),
        "evaluated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "embedding_model": embedder.model_id,
        "embedding": embedder.describe(),
        "n_texts": len(run.texts),
        "language": run.language,
        "labels": dict(sorted(Counter(run.labels).items())),
    }
    clock.step("diversity", "measuring diversity")
    metrics["diversity"] = diversity_metrics(vectors, run.texts, run.labels, options.seed, run.language)
    real_vectors = None
    if real is not None:
        clock.step("real", f"comparing with the real corpus ({len(real.train)} train, {len(real.test)} test)")
        found = _real_metrics(run, real, vectors, embed_real, options.seed)
        real_vectors = found.pop("_real_vectors")
        metrics |= found
        metrics["real"] = {
            "source": real.source,
            "n_train": len(real.train),
            "n_test": len(real.test),
            "dropped_labels": real.dropped,
            "note": real.note,
        }
    run.warnings.extend(w for w in (language_warning(embedder, run.language), critic_warning(run, real)) if w)
    clock.step("population", "measuring population fidelity")
    metrics["population"] = _population(run)
    clock.step("judge", "judging texts" if judge else "judge skipped")
    metrics["human_likeness"] = _judge(run, options, judge, out)
    metrics["coverage"] = run_coverage(run.path, run.run_id).to_json()
    metrics["critic_economics"] = economics(read_events(run.path / "events.jsonl", run.warnings)).to_json()
    metrics["human_labels"] = label_accuracy(run.path, run.warnings)  # RUN/labels.jsonl (personagen label)
    metrics["groups"] = group_metrics(run.personas, run.records, first_answers(read_labels(run.path)),
                                      run.config.get("emotions"))
    metrics["warnings"] = run.warnings
    return metrics, vectors, real_vectors


def evaluate(
    options: EvalOptions,
    judge: ModelHandle | None = None,
    embedder: Embedder | None = None,
    progress: Callable[[str], None] | None = None,
    prepared: tuple[RunData, RealCorpus | None] | None = None,
) -> EvalResult:
    """Evaluate one run (`prepared`: the result of `prepare(options)` when already called).

    Numeric libraries run single-threaded (threadpoolctl): on 2 shared cores a 2-thread OpenBLAS was up to
    7x slower for these small problems; the embedder (onnxruntime) keeps its own threads.
    """
    from threadpoolctl import threadpool_limits

    clock = _Clock(progress or (lambda message: None))
    clock.step("read", "reading the run")
    run, real = prepared or prepare(options)
    out = Path(options.out) if options.out else run.path / "eval"
    with threadpool_limits(limits=1):
        embedder = embedder or Embedder(options.embedding_model)
        metrics, vectors, real_vectors = _measure(run, real, options, judge, embedder, clock, out)
        clock.step("report", "writing the report")
        report = render_report(metrics, make_plots(metrics, vectors, run.labels, real_vectors))
    metrics["timings_s"] = clock.done()
    out.mkdir(parents=True, exist_ok=True)
    _write(out / "metrics.json", json.dumps(metrics, indent=2, ensure_ascii=False))
    _write(out / "report.html", report)
    return EvalResult(metrics, out, [out / "metrics.json", out / "report.html"])
