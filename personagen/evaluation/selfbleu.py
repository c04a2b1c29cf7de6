"""Self-BLEU: how much each text repeats the others (higher = less diverse), on a 0..1 scale.

Each sampled text is scored by sentence BLEU-4 (uniform weights over the orders it has, epsilon smoothing of
zero counts, brevity penalty against the closest other length) against *all* other texts of the set as
references. Clipping uses, per n-gram, the two largest counts and their owners, so a text is never its own
reference and the whole set costs one pass over its n-grams, not n^2 comparisons.
"""

from __future__ import annotations

import bisect
import math
import random
from collections import Counter

from personagen.personas.text_units import ngrams

MAX_ORDER = 4
EPSILON = 0.1


class _TopTwo:
    """For each n-gram, the two largest per-text counts and the text holding the largest."""

    def __init__(self, token_lists: list[list[str]], order: int):
        self.first: dict[tuple[str, ...], tuple[int, int]] = {}
        self.second: dict[tuple[str, ...], int] = {}
        for owner, tokens in enumerate(token_lists):
            for gram, count in ngrams(tokens, order).items():
                best = self.first.get(gram)
                if best is None:
                    self.first[gram] = (count, owner)
                elif count > best[0]:
                    self.second[gram] = best[0]
                    self.first[gram] = (count, owner)
                elif count > self.second.get(gram, 0):
                    self.second[gram] = count

    def max_other(self, gram: tuple[str, ...], owner: int) -> int:
        best = self.first.get(gram)
        if best is None:
            return 0
        return self.second.get(gram, 0) if best[1] == owner else best[0]


def _closest_other_length(length: int, counts: Counter, sorted_lengths: list[int]) -> int:
    if counts[length] > 1:
        return length
    best, best_gap = length, math.inf
    pos = bisect.bisect_left(sorted_lengths, length)
    for j in (pos - 1, pos + 1, pos):
        if 0 <= j < len(sorted_lengths) and sorted_lengths[j] != length:
            gap = abs(sorted_lengths[j] - length)
            if gap < best_gap or (gap == best_gap and sorted_lengths[j] < best):
                best, best_gap = sorted_lengths[j], gap
    return best


def self_bleu(token_lists: list[list[str]], sample: int = 500, seed: int = 0) -> float | None:
    """Mean sentence BLEU of (a sample of) the texts against all the others; None with fewer than 2 texts."""
    usable = [i for i, tokens in enumerate(token_lists) if tokens]
    if len(usable) < 2:
        return None
    indexes = [_TopTwo(token_lists, order) for order in range(1, MAX_ORDER + 1)]
    counts = Counter(len(token_lists[i]) for i in usable)
    sorted_lengths = sorted(counts)
    chosen = usable if len(usable) <= sample else random.Random(seed).sample(usable, sample)
    scores = []
    for i in chosen:
        tokens = token_lists[i]
        orders = min(MAX_ORDER, len(tokens))
        log_precision = 0.0
        for order in range(1, orders + 1):
            grams = ngrams(tokens, order)
            total = sum(grams.values())
            clipped = sum(min(c, indexes[order - 1].max_other(g, i)) for g, c in grams.items())
            log_precision += math.log((clipped or EPSILON) / total) / orders
        ref_len = _closest_other_length(len(tokens), counts, sorted_lengths)
        penalty = 1.0 if len(tokens) > ref_len else math.exp(1 - ref_len / len(tokens))
        scores.append(penalty * math.exp(log_precision))
    return sum(scores) / len(scores)
