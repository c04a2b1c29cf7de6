"""Text units: the one place text is split into words or tokens and n-grams, for critics and metrics."""

from __future__ import annotations

from collections import Counter

from personagen.agents.critics.rules import trigrams
from personagen.evaluation.diversity import distinct_n
from personagen.personas.text_units import ngram_set, ngrams, normalised, tokenize, word_count, words


def test_words_drop_case_and_punctuation_tokens_keep_them() -> None:
    text = "Don't  stop, ME now!"
    assert word_count(text) == 4
    assert words(text) == ["dont", "stop", "me", "now"]
    assert normalised(text) == normalised("dont stop me NOW") == "dont stop me now"
    assert tokenize(text) == ["don't", "stop", ",", "me", "now", "!"]


def test_ngrams_count_and_set() -> None:
    units = ["a", "b", "a", "b"]
    assert ngrams(units, 2) == Counter({("a", "b"): 2, ("b", "a"): 1})
    assert ngram_set(units, 2) == {("a", "b"), ("b", "a")}
    assert ngrams(units, 5) == Counter() and ngram_set([], 1) == frozenset()


def test_critics_and_metrics_use_the_same_units() -> None:
    assert trigrams("I love this, I love it!") == ngram_set(words("i love this i love it"), 3)
    tokens = [tokenize("I love it."), tokenize("I love it!")]
    assert distinct_n(tokens, 1) == 5 / 8  # i, love, it, ".", "!" of 8 tokens
