"""Plots for the report, as base64 PNG strings (matplotlib's Agg canvas: no display, no pyplot state).

Each function takes plain metric data and returns a PNG encoded as base64, ready for a data: URI.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np

MAX_POINTS = 3000


def _figure(width: float = 7.0, height: float = 4.5) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(figure)
    return figure


def _encode(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _colours(labels: list[str]) -> dict[str, Any]:
    from matplotlib import colormaps

    palette = colormaps["tab10" if len(labels) <= 10 else "tab20"]
    return {label: palette(i % palette.N) for i, label in enumerate(labels)}


def _pca_2d(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and the top two principal axes (rows) of `vectors`."""
    mean = vectors.mean(axis=0)
    _, _, axes = np.linalg.svd(vectors - mean, full_matrices=False)
    return mean, axes[:2]


def embedding_map(
    vectors: np.ndarray,
    labels: list[str],
    real: np.ndarray | None = None,
    real_labels: list[str] | None = None,
    seed: int = 0,
) -> str:
    """PCA map of the synthetic texts coloured by emotion; with real data a second panel overlays both."""
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(vectors), size=min(MAX_POINTS, len(vectors)), replace=False)
    basis_rows = vectors[pick] if real is None else np.vstack([vectors[pick], real[:MAX_POINTS]])
    mean, axes = _pca_2d(basis_rows)
    points = (vectors[pick] - mean) @ axes.T
    names = sorted(set(labels))
    colours = _colours(names)
    panels = 1 if real is None else 2
    figure = _figure(6.0 * panels, 5.0)
    ax = figure.add_subplot(1, panels, 1)
    picked = [labels[i] for i in pick]
    for name in names:
        mask = np.array([label == name for label in picked])
        ax.scatter(points[mask, 0], points[mask, 1], s=6, alpha=0.6, color=colours[name], label=name)
    ax.set_title("Synthetic texts (PCA of MiniLM embeddings)")
    ax.legend(markerscale=3, fontsize=8, loc="best")
    if real is not None:
        real_pick = rng.choice(len(real), size=min(MAX_POINTS, len(real)), replace=False)
        real_points = (real[real_pick] - mean) @ axes.T
        ax2 = figure.add_subplot(1, 2, 2, sharex=ax, sharey=ax)
        ax2.scatter(real_points[:, 0], real_points[:, 1], s=6, alpha=0.35, color="0.55", label="real")
        ax2.scatter(points[:, 0], points[:, 1], s=6, alpha=0.35, color="tab:red", label="synthetic")
        ax2.set_title("Synthetic vs real")
        ax2.legend(markerscale=3, fontsize=8)
    return _encode(figure)


def score_distributions(distribution: dict[str, dict[str, int]]) -> str:
    """Grouped bars: how many texts got each score 1-5, per judge criterion."""
    criteria = list(distribution)
    figure = _figure(7.5, 4.0)
    ax = figure.add_subplot(1, 1, 1)
    width = 0.8 / max(1, len(criteria))
    for i, criterion in enumerate(criteria):
        counts = [distribution[criterion].get(str(k), 0) for k in range(1, 6)]
        ax.bar(np.arange(1, 6) + (i - len(criteria) / 2 + 0.5) * width, counts, width, label=criterion)
    ax.set_xlabel("score")
    ax.set_ylabel("texts")
    ax.set_xticks(range(1, 6))
    ax.set_title("LLM judge scores")
    ax.legend(fontsize=8)
    return _encode(figure)


def confusion(matrix: list[list[int]], labels: list[str], title: str) -> str:
    """Heatmap of a confusion matrix (rows: true label, columns: predicted), counts written in the cells."""
    data = np.array(matrix)
    figure = _figure(4.8, 4.2)
    ax = figure.add_subplot(1, 1, 1)
    ax.imshow(data, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    threshold = data.max() / 2 if data.size else 0
    for (row, col), value in np.ndenumerate(data):
        ax.text(
            col,
            row,
            str(value),
            ha="center",
            va="center",
            fontsize=7,
            color="white" if value > threshold else "black",
        )
    ax.set_title(title, fontsize=10)
    return _encode(figure)


def distributions(series: dict[str, dict[str, float]], title: str, top: int = 12) -> str:
    """Side-by-side bars of several distributions over the same categories (`top` largest of the first)."""
    first = next(iter(series.values()), {})
    categories = sorted(first, key=lambda k: -first[k])[:top]
    for dist in series.values():
        categories += [k for k in sorted(dist, key=lambda k: -dist[k])[:3] if k not in categories]
    figure = _figure(7.5, 3.8)
    ax = figure.add_subplot(1, 1, 1)
    width = 0.8 / max(1, len(series))
    for i, (name, dist) in enumerate(series.items()):
        ax.bar(
            np.arange(len(categories)) + (i - len(series) / 2 + 0.5) * width,
            [dist.get(c, 0.0) for c in categories],
            width,
            label=name,
        )
    ax.set_xticks(range(len(categories)), [c[:22] for c in categories], rotation=45, ha="right", fontsize=7)
    ax.set_ylabel("share")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    return _encode(figure)


def coverage_heatmap(counts: dict[str, dict[str, int]], values: list[str], title: str, top: int = 25) -> str:
    """Heatmap of texts per emotion (rows) x attribute value (columns, the `top` most frequent), counts in cells."""
    emotions = list(counts)
    shown = values[:top]
    data = np.array([[counts[e].get(v, 0) for v in shown] for e in emotions], dtype=int).reshape(len(emotions), -1)
    figure = _figure(max(4.0, 1.2 + 0.45 * len(shown)), max(2.4, 1.4 + 0.35 * len(emotions)))
    ax = figure.add_subplot(1, 1, 1)
    ax.imshow(data, cmap="Greens", aspect="auto")
    ax.set_xticks(range(len(shown)), [v[:22] for v in shown], rotation=45, ha="right", fontsize=7)
    ax.set_yticks(range(len(emotions)), emotions, fontsize=8)
    threshold = data.max() / 2 if data.size else 0
    for (row, col), value in np.ndenumerate(data):
        ax.text(col, row, str(value), ha="center", va="center", fontsize=7,
                color="white" if value > threshold else "black")
    more = f" ({len(values) - len(shown)} rarer values not shown)" if len(values) > len(shown) else ""
    ax.set_title(title + more, fontsize=10)
    return _encode(figure)
