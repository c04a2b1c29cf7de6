"""Which rows of an embedding set a metric looks at: the rows of each label, and seeded samples of rows.

Shared by the diversity and realism metrics, which group texts by emotion and bound their quadratic pieces
(silhouette, MMD) with a sample.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np


def by_label(labels: list[str]) -> dict[str, np.ndarray]:
    """Row indices per label, labels in sorted order."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        groups[label].append(i)
    return {label: np.array(groups[label]) for label in sorted(groups)}


def sample_indices(n: int, size: int, seed: int) -> np.ndarray:
    """`size` of the row indices 0..n-1, drawn without replacement with `seed`, in ascending order (all when
    n <= size)."""
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))
