"""Semantic and lexical diversity of a set of labelled texts.

Input: L2-normalised embeddings (n, d), the texts and their labels.
Output: plain dicts of numbers: mean pairwise cosine distance (overall and per label), silhouette per label
(cosine), k-means purity and NMI against the labels, distinct-1/2, and self-BLEU (see `selfbleu`), on the
tokens of `personagen.personas.text_units.tokenize` for the texts' language (janome words for Japanese).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from personagen.evaluation.selection import by_label, sample_indices
from personagen.evaluation.selfbleu import self_bleu
from personagen.personas.text_units import Gram, ngrams, tokenize


def mean_pairwise_cosine_distance(vectors: np.ndarray) -> float:
    """Mean of 1 - cos(x_i, x_j) over pairs i != j, for L2-normalised rows, in O(n d)."""
    n = len(vectors)
    if n < 2:
        return 0.0
    total = vectors.astype(np.float64).sum(axis=0)
    mean_cos = (float(total @ total) - n) / (n * (n - 1))
    return max(0.0, 1.0 - mean_cos)


def distinct_n(token_lists: list[list[str]], n: int) -> float:
    """Distinct n-grams over all n-grams in the corpus (0 when there are none)."""
    seen: set[Gram] = set()
    total = 0
    for tokens in token_lists:
        grams = ngrams(tokens, n)
        total += sum(grams.values())
        seen.update(grams)
    return len(seen) / total if total else 0.0


def silhouette_per_label(vectors: np.ndarray, labels: list[str], sample: int = 4000, seed: int = 0) -> dict:
    """Mean cosine silhouette of the texts of each label (on a sample when large); None when undefined."""
    from sklearn.metrics import silhouette_samples

    if len(set(labels)) < 2 or len(labels) < 3:
        return {"overall": None, "per_label": {}}
    idx = sample_indices(len(labels), sample, seed)
    sub_labels = [labels[i] for i in idx]
    if len(set(sub_labels)) < 2:
        return {"overall": None, "per_label": {}}
    scores = silhouette_samples(vectors[idx], sub_labels, metric="cosine")
    per = {label: round(float(scores[rows].mean()), 4) for label, rows in by_label(sub_labels).items()}
    return {"overall": round(float(scores.mean()), 4), "per_label": per}


def kmeans_purity(vectors: np.ndarray, labels: list[str], seed: int = 0) -> dict[str, float | None]:
    """Cluster into as many groups as labels; purity (share in each cluster's majority label) and NMI."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import normalized_mutual_info_score

    k = len(set(labels))
    if k < 2 or len(labels) <= k:
        return {"purity": None, "nmi": None, "k": k}
    clusters = KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(vectors)
    majority = 0
    for cluster in range(k):
        members = [labels[i] for i in np.flatnonzero(clusters == cluster)]
        if members:
            majority += max(members.count(label) for label in set(members))
    return {
        "purity": round(majority / len(labels), 4),
        "nmi": round(float(normalized_mutual_info_score(labels, clusters)), 4),
        "k": k,
    }


def diversity_metrics(
    vectors: np.ndarray, texts: list[str], labels: list[str], seed: int = 0, language: str = "en"
) -> dict[str, Any]:
    """All diversity metrics for one labelled set of texts (n-gram metrics on tokens of `language`)."""
    tokens = [tokenize(t, language) for t in texts]
    groups = by_label(labels)
    per_label = {}
    for label, rows in groups.items():
        label_tokens = [tokens[i] for i in rows]
        per_label[label] = {
            "n": int(len(rows)),
            "mean_cosine_distance": round(mean_pairwise_cosine_distance(vectors[rows]), 4),
            "distinct_1": round(distinct_n(label_tokens, 1), 4),
            "distinct_2": round(distinct_n(label_tokens, 2), 4),
            "self_bleu": _round(self_bleu(label_tokens, seed=seed)),
        }
    silhouette = silhouette_per_label(vectors, labels, seed=seed)
    for label, value in silhouette["per_label"].items():
        per_label[label]["silhouette"] = value
    return {
        "n": len(texts),
        "mean_cosine_distance": round(mean_pairwise_cosine_distance(vectors), 4),
        "mean_cosine_distance_within_label": round(
            float(np.mean([v["mean_cosine_distance"] for v in per_label.values()])), 4
        ),
        "silhouette": silhouette["overall"],
        "kmeans": kmeans_purity(vectors, labels, seed=seed),
        "distinct_1": round(distinct_n(tokens, 1), 4),
        "distinct_2": round(distinct_n(tokens, 2), 4),
        "self_bleu": _round(self_bleu(tokens, seed=seed)),
        "per_label": per_label,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
