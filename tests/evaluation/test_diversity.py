"""Diversity metrics on inputs with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from personagen.evaluation.diversity import (
    distinct_n,
    diversity_metrics,
    kmeans_purity,
    mean_pairwise_cosine_distance,
)
from personagen.evaluation.selfbleu import self_bleu
from personagen.personas.text_units import tokenize


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def two_clusters(n: int = 20, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    a = np.array([1.0, 0, 0, 0]) + rng.normal(0, 0.02, (n, 4))
    b = np.array([0, 1.0, 0, 0]) + rng.normal(0, 0.02, (n, 4))
    return unit(np.vstack([a, b])), ["a"] * n + ["b"] * n


def test_identical_vectors_have_zero_distance():
    vectors = unit(np.ones((10, 8)))
    assert mean_pairwise_cosine_distance(vectors) == pytest.approx(0.0, abs=1e-6)


def test_orthogonal_vectors_have_distance_one():
    assert mean_pairwise_cosine_distance(np.eye(5, dtype=np.float32)) == pytest.approx(1.0)


def test_pairwise_distance_matches_brute_force():
    vectors = unit(np.random.default_rng(1).normal(size=(30, 6)))
    sims = vectors @ vectors.T
    brute = 1 - (sims.sum() - np.trace(sims)) / (30 * 29)
    assert mean_pairwise_cosine_distance(vectors) == pytest.approx(brute, abs=1e-5)


def test_identical_texts_self_bleu_is_one_and_distinct_low():
    tokens = [tokenize("I am so happy today, it is great!")] * 12
    assert self_bleu(tokens) == pytest.approx(1.0)
    assert distinct_n(tokens, 2) == pytest.approx(1 / 12)


def test_disjoint_texts_self_bleu_is_low():
    tokens = [[f"w{i}_{j}" for j in range(8)] for i in range(10)]
    assert self_bleu(tokens) < 0.05


def test_distinct_n_known_value():
    assert distinct_n([["a", "b"], ["a", "c"]], 1) == pytest.approx(3 / 4)
    assert distinct_n([["a", "b"], ["a", "b"]], 2) == pytest.approx(1 / 2)
    assert distinct_n([[]], 1) == 0.0


def test_self_bleu_needs_two_texts():
    assert self_bleu([["only", "one"]]) is None


def test_separated_clusters_with_disjoint_labels_are_pure():
    vectors, labels = two_clusters()
    result = kmeans_purity(vectors, labels)
    assert result["purity"] == pytest.approx(1.0)
    assert result["nmi"] == pytest.approx(1.0)


def test_mixed_labels_are_impure():
    vectors, _ = two_clusters()
    labels = ["a", "b"] * 20  # labels unrelated to the clusters
    assert kmeans_purity(vectors, labels)["purity"] == pytest.approx(0.5)


def test_diversity_metrics_report_per_label_and_silhouette():
    vectors, labels = two_clusters()
    texts = [f"text number {i}" for i in range(len(labels))]
    result = diversity_metrics(vectors, texts, labels)
    assert set(result["per_label"]) == {"a", "b"}
    assert result["silhouette"] > 0.9
    assert result["per_label"]["a"]["silhouette"] > 0.9
    assert result["mean_cosine_distance"] > result["mean_cosine_distance_within_label"]
