"""Text units: how a text is cut into words or tokens, and the n-grams of those units.

Every splitter of the project lives here, so the critics (agents/critics/rules.py) and the lexical metrics
(personagen.evaluation) count the same units. Each function takes the text's language (ISO 639-1 code, default
"en"); English (and every language written with spaces) keeps the whitespace rules below, Japanese is segmented
into words by janome (a pure-Python morphological analyser that ships its own dictionary, loaded lazily and
once), and other languages written without spaces fall back to single characters.

- `word_count(text)`: whitespace-separated words, as a reader counts them.
- `text_length(text, language)`: (length, unit): words, or non-space characters for a language written without
  spaces (a Japanese sentence is one "word" to whitespace splitting); the text-length critic reads it.
- `words(text, language)`: lower-cased words, punctuation removed ("Don't!" -> ["dont"]), for comparing texts.
- `tokenize(text, language)`: lower-cased word and punctuation tokens ("Don't!" -> ["don't", "!"]), for metrics;
  `tokenizer_for(language)` is it (or `words`) with the language bound (e.g. for a TF-IDF vectorizer).
- `ngrams(units, n)` counts the n-grams of a unit list; `ngram_set(units, n)` is the set of them.

Japanese text is NFKC-normalised first (full-width ！ and Ａ become ! and a, half-width ｶﾅ becomes カナ), so
the variants a keyboard produces count as one unit.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from functools import cache, lru_cache, partial
from typing import Any

_TOKEN = re.compile(r"\w+(?:'\w+)?|[^\w\s]")
_PUNCTUATION = re.compile(r"[^\w\s]")
_CHARACTER = re.compile(r"\w|[^\w\s]")

# Languages written without spaces between words: their length is counted in characters.
SPACELESS = frozenset({"ja", "zh", "th", "lo", "km", "my", "bo"})

Gram = tuple[str, ...]
Tokenizer = Callable[[str], list[str]]


def base_language(language: str | None) -> str:
    """The ISO 639-1 part of a language tag, lower-cased ("ja-JP" -> "ja"; None -> "en")."""
    return (language or "en").replace("_", "-").split("-")[0].lower()


def is_spaceless(language: str | None) -> bool:
    """True for a language written without spaces between words (Japanese, Chinese, Thai, ...)."""
    return base_language(language) in SPACELESS


def word_count(text: str) -> int:
    """How many whitespace-separated words the text has."""
    return len(text.split())


def char_count(text: str) -> int:
    """How many characters the text has, not counting whitespace."""
    return sum(not ch.isspace() for ch in text)


def text_length(text: str, language: str | None = "en") -> tuple[int, str]:
    """(length, unit) of the text as a reader of its language measures it: "characters" for a language written
    without spaces, else "words"."""
    if is_spaceless(language):
        return char_count(text), "characters"
    return word_count(text), "words"


@cache
def _janome() -> Any:
    """janome's tokenizer, built on first use (its dictionary takes a moment to load) and then kept."""
    from janome.tokenizer import Tokenizer as Janome

    return Janome()


@lru_cache(maxsize=8192)
def _japanese_tokens(text: str) -> tuple[str, ...]:
    """Lower-cased janome surface forms of the NFKC-normalised text, whitespace dropped."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return tuple(t for t in (s.strip() for s in _janome().tokenize(folded, wakati=True)) if t)


def _character_tokens(text: str) -> list[str]:
    return _CHARACTER.findall(unicodedata.normalize("NFKC", text).lower())


def tokenize(text: str, language: str | None = "en") -> list[str]:
    """Lower-cased word and punctuation tokens (an English contraction stays one token)."""
    lang = base_language(language)
    if lang == "ja":
        return list(_japanese_tokens(text))
    if lang in SPACELESS:
        return _character_tokens(text)
    return _TOKEN.findall(text.lower())


def words(text: str, language: str | None = "en") -> list[str]:
    """Lower-cased words with the punctuation removed."""
    if not is_spaceless(language):
        return _PUNCTUATION.sub("", text.lower()).split()
    return [w for w in (_PUNCTUATION.sub("", t) for t in tokenize(text, language)) if w]


def normalised(text: str, language: str | None = "en") -> str:
    """The text as its `words` joined by single spaces: equal for texts differing only in case and punctuation."""
    return " ".join(words(text, language))


def tokenizer_for(language: str | None, punctuation: bool = True) -> Tokenizer:
    """`tokenize` (or, without punctuation, `words`) for one language, as a one-argument function."""
    return partial(tokenize if punctuation else words, language=base_language(language))


def ngrams(units: list[str], n: int) -> Counter[Gram]:
    """Counts of the n-grams of one unit list (none when it is shorter than n)."""
    return Counter(tuple(units[i : i + n]) for i in range(len(units) - n + 1))


def ngram_set(units: list[str], n: int) -> frozenset[Gram]:
    """The distinct n-grams of one unit list."""
    return frozenset(ngrams(units, n))
