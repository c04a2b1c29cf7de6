"""datasketch's MinHash parameters, without datasketch (and the scipy it pulls in), so that curation runs on the
core install plus numpy (the `local` extra of the README's first command).

- `permutations`: the (a, b) pairs of datasketch's `MinHash(num_perm, seed, scheme="legacy")`: numpy's
  `RandomState(seed)` drawing a in [1, 2^61 - 1) then b in [0, 2^61 - 1) per permutation
  (datasketch/minhash.py `_init_permutations`, datasketch 2.0);
- the shingle hash, datasketch's `sha1_hash32` (the first 4 bytes of SHA-1 read little-endian,
  datasketch/hashfunc.py), is the low half of the shingle table's 64-bit hashes (curation/shingletable.py);
- `band_shape`: datasketch's `_optimal_param` (datasketch/lsh.py): the (bands, rows) with bands * rows <= num_perm
  that minimise the weighted false-positive and false-negative areas of the LSH S-curve around the threshold.
  datasketch integrates with scipy's adaptive quadrature; here Gauss-Legendre with enough nodes to be exact for
  the polynomial integrands (degree bands * rows <= num_perm).
tests/curation/test_signatures.py checks all three against datasketch itself.
"""

from __future__ import annotations

from functools import cache

import numpy as np

MERSENNE = (1 << 61) - 1


def permutations(num_perm: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(a, b), each (num_perm,) uint64, as datasketch's legacy scheme draws them."""
    gen = np.random.RandomState(seed)
    pairs = [(gen.randint(1, MERSENNE, dtype=np.uint64), gen.randint(0, MERSENNE, dtype=np.uint64))
             for _ in range(num_perm)]
    a, b = np.array(pairs, dtype=np.uint64).T
    return a, b


@cache
def band_shape(threshold: float, num_perm: int, weights: tuple[float, float]) -> tuple[int, int]:
    """(bands, rows per band) minimising weights[0] * P(false positive) + weights[1] * P(false negative)."""
    nodes, node_weights = np.polynomial.legendre.leggauss(num_perm // 2 + 2)  # exact to degree num_perm + 3
    best, shape = float("inf"), (0, 0)
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            error = (weights[0] * area(bands, rows, 0.0, threshold, nodes, node_weights)
                     + weights[1] * (1.0 - threshold - area(bands, rows, threshold, 1.0, nodes, node_weights)))
            if error < best:
                best, shape = error, (bands, rows)
    return shape


def area(bands: int, rows: int, low: float, high: float, nodes: np.ndarray, node_weights: np.ndarray) -> float:
    """The integral over [low, high] of the chance that two texts of similarity s share a band, 1 - (1 - s^r)^b."""
    s = (high - low) / 2 * nodes + (high + low) / 2
    return float((high - low) / 2 * np.dot(node_weights, 1.0 - (1.0 - s**rows) ** bands))
