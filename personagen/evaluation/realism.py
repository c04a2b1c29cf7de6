"""Realism: how close synthetic embeddings lie to real ones, per label and overall.

Input: L2-normalised synthetic and real embeddings with their labels.
Output: Frechet distance (Gaussian fit, as in FID), MMD^2 with an RBF kernel (median-distance bandwidth,
unbiased estimate, on samples of at most 2,000 per side), nearest-neighbour cosine similarity
synthetic -> real (mean, median, share above 0.95: near copies) and real -> synthetic
(coverage of the real data).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from personagen.evaluation.selection import by_label, sample_indices

MMD_SAMPLE = 2000
NEAR_COPY = 0.95


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float | None:
    """Frechet distance between Gaussians fitted to rows of `a` and `b`; None with fewer than 2 rows.

    Tr sqrt(C_a C_b) is computed as the sum of square roots of the eigenvalues of the symmetric
    S C_b S with S = sqrt(C_a): stable for the singular covariances of small groups, and no complex sqrtm.
    """
    if len(a) < 2 or len(b) < 2:
        return None
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    mean_gap = float(((a64.mean(axis=0) - b64.mean(axis=0)) ** 2).sum())
    cov_a, cov_b = np.cov(a64, rowvar=False), np.cov(b64, rowvar=False)
    values, vectors = np.linalg.eigh(cov_a)
    root_a = (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T
    cross = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    trace_root = float(np.sqrt(np.clip(cross, 0.0, None)).sum())
    return max(0.0, mean_gap + float(np.trace(cov_a) + np.trace(cov_b)) - 2 * trace_root)


def _sq_dists(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.clip(2.0 - 2.0 * (a @ b.T), 0.0, None)


def mmd_rbf(a: np.ndarray, b: np.ndarray, seed: int = 0) -> float | None:
    """Unbiased MMD^2 with an RBF kernel, bandwidth from the median pooled squared distance."""
    if len(a) < 2 or len(b) < 2:
        return None
    a = a[sample_indices(len(a), MMD_SAMPLE, seed)]
    b = b[sample_indices(len(b), MMD_SAMPLE, seed + 1)]
    d_aa, d_bb, d_ab = _sq_dists(a, a), _sq_dists(b, b), _sq_dists(a, b)
    median = float(np.median(d_ab))
    gamma = 1.0 / max(median, 1e-6)
    k_aa, k_bb, k_ab = np.exp(-gamma * d_aa), np.exp(-gamma * d_bb), np.exp(-gamma * d_ab)
    n, m = len(a), len(b)
    term_a = (k_aa.sum() - np.trace(k_aa)) / (n * (n - 1))
    term_b = (k_bb.sum() - np.trace(k_bb)) / (m * (m - 1))
    return float(term_a + term_b - 2 * k_ab.mean())


def nearest_similarity(queries: np.ndarray, pool: np.ndarray, chunk: int = 1024) -> np.ndarray:
    """For each query row, the largest cosine similarity to a pool row (chunked to bound memory)."""
    best = np.full(len(queries), -1.0, dtype=np.float32)
    if len(pool) == 0:
        return best
    for start in range(0, len(queries), chunk):
        best[start : start + chunk] = (queries[start : start + chunk] @ pool.T).max(axis=1)
    return best


def compare_sets(synthetic: np.ndarray, real: np.ndarray, seed: int = 0) -> dict[str, Any]:
    """All realism numbers for one pair of embedding sets."""
    to_real = nearest_similarity(synthetic, real)
    to_synth = nearest_similarity(real, synthetic)
    fd = frechet_distance(synthetic, real)
    mmd = mmd_rbf(synthetic, real, seed)
    return {
        "n_synthetic": int(len(synthetic)),
        "n_real": int(len(real)),
        "frechet": None if fd is None else round(fd, 4),
        "mmd2_rbf": None if mmd is None else round(mmd, 5),
        "nn_cosine_mean": round(float(to_real.mean()), 4) if len(real) else None,
        "nn_cosine_median": round(float(np.median(to_real)), 4) if len(real) else None,
        "near_copy_share": round(float((to_real >= NEAR_COPY).mean()), 4) if len(real) else None,
        "coverage_cosine_mean": round(float(to_synth.mean()), 4) if len(synthetic) else None,
    }


def realism_metrics(
    synthetic: np.ndarray, syn_labels: list[str], real: np.ndarray, real_labels: list[str], seed: int = 0
) -> dict[str, Any]:
    """Realism overall and per label (labels present on both sides)."""
    result = compare_sets(synthetic, real, seed)
    syn_groups, real_groups = by_label(syn_labels), by_label(real_labels)
    result["per_label"] = {
        label: compare_sets(synthetic[rows], real[real_groups[label]], seed)
        for label, rows in syn_groups.items()
        if label in real_groups
    }
    return result
