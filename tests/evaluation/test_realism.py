"""Realism metrics on inputs with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from personagen.evaluation.realism import frechet_distance, mmd_rbf, nearest_similarity, realism_metrics


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_frechet_of_a_set_with_itself_is_zero():
    a = np.random.default_rng(0).normal(size=(200, 5))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)


def test_frechet_of_a_shift_is_the_squared_shift():
    a = np.random.default_rng(0).normal(size=(300, 4))
    assert frechet_distance(a, a + 2.0) == pytest.approx(4 * 4.0, rel=1e-6)


def test_mmd_separates_different_distributions():
    rng = np.random.default_rng(0)
    a = unit(np.array([1.0, 0, 0]) + rng.normal(0, 0.1, (100, 3)))
    b = unit(np.array([1.0, 0, 0]) + rng.normal(0, 0.1, (100, 3)))
    c = unit(np.array([0, 1.0, 0]) + rng.normal(0, 0.1, (100, 3)))
    assert abs(mmd_rbf(a, b)) < 0.05
    assert mmd_rbf(a, c) > 0.3


def test_nearest_similarity_finds_the_copy():
    pool = np.eye(4, dtype=np.float32)
    queries = np.array([[1, 0, 0, 0], [0, 0.6, 0.8, 0]], dtype=np.float32)
    assert nearest_similarity(queries, pool, chunk=1).tolist() == pytest.approx([1.0, 0.8])


def test_realism_per_label_only_for_shared_labels():
    rng = np.random.default_rng(0)
    syn, real = unit(rng.normal(size=(20, 6))), unit(rng.normal(size=(30, 6)))
    result = realism_metrics(syn, ["x"] * 10 + ["y"] * 10, real, ["x"] * 15 + ["z"] * 15)
    assert set(result["per_label"]) == {"x"}
    assert result["n_synthetic"] == 20 and result["n_real"] == 30
