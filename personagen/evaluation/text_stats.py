"""Word-level text statistics shared by the lexical metrics: tokenisation, n-grams, distinct-n."""

from __future__ import annotations

import re
from collections import Counter

_TOKEN = re.compile(r"\w+(?:'\w+)?|[^\w\s]")


def tokenize(text: str) -> list[str]:
    """Lower-cased word and punctuation tokens."""
    return _TOKEN.findall(text.lower())


def ngrams(tokens: list[str], n: int) -> Counter:
    """Counts of the n-grams of one token list."""
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def distinct_n(token_lists: list[list[str]], n: int) -> float:
    """Distinct n-grams over all n-grams in the corpus (0 when there are none)."""
    seen: set[tuple[str, ...]] = set()
    total = 0
    for tokens in token_lists:
        grams = [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
        total += len(grams)
        seen.update(grams)
    return len(seen) / total if total else 0.0
