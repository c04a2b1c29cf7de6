"""Text units: how a text is cut into words or tokens, and the n-grams of those units.

Every splitter of the project lives here, so the critics (agents/critics/rules.py) and the lexical metrics
(personagen.evaluation) count the same units; a language that needs its own splitting (Japanese has no spaces
between words) gets one function here, used by both.

- `word_count(text)`: whitespace-separated words, as a reader counts them (the text-length critic).
- `words(text)`: lower-cased words, punctuation removed ("Don't!" -> ["dont"]), for comparing texts.
- `tokenize(text)`: lower-cased word and punctuation tokens ("Don't!" -> ["don't", "!"]), for metrics.
- `ngrams(units, n)` counts the n-grams of a unit list; `ngram_set(units, n)` is the set of them.
"""

from __future__ import annotations

import re
from collections import Counter

_TOKEN = re.compile(r"\w+(?:'\w+)?|[^\w\s]")
_PUNCTUATION = re.compile(r"[^\w\s]")

Gram = tuple[str, ...]


def word_count(text: str) -> int:
    """How many whitespace-separated words the text has."""
    return len(text.split())


def words(text: str) -> list[str]:
    """Lower-cased words with the punctuation removed."""
    return _PUNCTUATION.sub("", text.lower()).split()


def normalised(text: str) -> str:
    """The text as its `words` joined by single spaces: equal for texts differing only in case and punctuation."""
    return " ".join(words(text))


def tokenize(text: str) -> list[str]:
    """Lower-cased word and punctuation tokens (a contraction stays one token)."""
    return _TOKEN.findall(text.lower())


def ngrams(units: list[str], n: int) -> Counter[Gram]:
    """Counts of the n-grams of one unit list (none when it is shorter than n)."""
    return Counter(tuple(units[i : i + n]) for i in range(len(units) - n + 1))


def ngram_set(units: list[str], n: int) -> frozenset[Gram]:
    """The distinct n-grams of one unit list."""
    return frozenset(ngrams(units, n))
