"""The headline numbers of an evaluation: one list shared by the report summary and `personagen compare`."""

from __future__ import annotations

from typing import Any

# (label, dotted path in metrics.json, which way is better: "+" higher, "-" lower, "" neither)
KEY_METRICS: list[tuple[str, str, str]] = [
    ("texts", "n_texts", ""),
    ("mean cosine distance", "diversity.mean_cosine_distance", "+"),
    ("within-emotion cosine distance", "diversity.mean_cosine_distance_within_label", "+"),
    ("silhouette (emotion)", "diversity.silhouette", "+"),
    ("k-means purity", "diversity.kmeans.purity", "+"),
    ("distinct-1", "diversity.distinct_1", "+"),
    ("distinct-2", "diversity.distinct_2", "+"),
    ("self-BLEU", "diversity.self_bleu", "-"),
    ("judge: mean (1-5)", "human_likeness.overall_mean", "+"),
    ("judge: naturalness", "human_likeness.mean.naturalness", "+"),
    ("judge: emotion clarity", "human_likeness.mean.emotion_clarity", "+"),
    ("Frechet distance to real", "realism.frechet", "-"),
    ("MMD^2 to real", "realism.mmd2_rbf", "-"),
    ("NN cosine to real", "realism.nn_cosine_mean", "+"),
    ("TF-IDF+LR macro-F1 (synthetic)", "downstream.synthetic.tfidf_lr.macro_f1", "+"),
    ("MiniLM+LR macro-F1 (synthetic)", "downstream.synthetic.minilm_lr.macro_f1", "+"),
    ("TF-IDF+LR macro-F1 (real train)", "downstream.real.tfidf_lr.macro_f1", ""),
    ("MiniLM+LR macro-F1 (real train)", "downstream.real.minilm_lr.macro_f1", ""),
    ("population TVD vs target (mean)", "population.mean_tvd_accepted_vs_target", "-"),
    ("label accuracy, labelled by people", "human_labels.texts.overall.share", "+"),  # personagen label
    ("labeller agreement on real controls", "human_labels.controls.overall.share", ""),
]


def lookup(metrics: dict[str, Any], path: str) -> Any:
    """The value at a dotted path, or None when any step is missing."""
    value: Any = metrics
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def format_value(value: Any) -> str:
    """A metric for a table cell: '-' when missing, 3 decimals for floats."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def key_rows(metrics_list: list[dict[str, Any]]) -> list[tuple[str, str, list[Any]]]:
    """(label, direction, values per run) for every key metric that at least one run has."""
    rows = []
    for label, path, direction in KEY_METRICS:
        values = [lookup(m, path) for m in metrics_list]
        if any(v is not None for v in values):
            rows.append((label, direction, values))
    return rows
