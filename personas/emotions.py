"""Target emotion sets: named presets or a comma list, checked against a known emotion vocabulary.

Input: a spec string such as 'ekman6' or 'joy, anger'.
Output: `resolve_emotions(spec)` -> lower-case labels, deduplicated, in the order given.
"""

from __future__ import annotations

from personagen.errors import InputError

PRESETS: dict[str, tuple[str, ...]] = {
    "default": ("sadness", "joy", "love", "anger", "fear", "surprise"),
    "ekman6": ("anger", "disgust", "fear", "joy", "sadness", "surprise"),
    "plutchik8": ("joy", "trust", "fear", "surprise", "sadness", "disgust", "anger", "anticipation"),
    "personagen": ("joy", "pleasure", "anger", "sadness", "fear", "surprise"),
}

# The 27 emotion labels of GoEmotions (Demszky et al., 2020), without 'neutral'.
GOEMOTIONS: tuple[str, ...] = (
    "admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion", "curiosity", "desire",
    "disappointment", "disapproval", "disgust", "embarrassment", "excitement", "fear", "gratitude", "grief",
    "joy", "love", "nervousness", "optimism", "pride", "realization", "relief", "remorse", "sadness",
    "surprise",
)

KNOWN_EMOTIONS: frozenset[str] = frozenset(GOEMOTIONS).union(*PRESETS.values())


def _help() -> str:
    return f"valid presets: {', '.join(PRESETS)}; or a comma list of emotions such as 'joy,anger'"


def resolve_emotions(spec: str) -> list[str]:
    """Resolve a preset name or a comma list into emotion labels.

    Input: e.g. 'plutchik8' or 'Joy, anger, joy'. Output: e.g. ['joy', 'anger'].
    Raises InputError (listing the valid presets) for an empty spec or an unknown preset or emotion.
    """
    text = (spec or "").strip().lower()
    if not text:
        raise InputError(f"no emotions given; {_help()}")
    if text in PRESETS:
        return list(PRESETS[text])
    labels = [part.strip() for part in text.split(",") if part.strip()]
    if not labels:
        raise InputError(f"no emotions in {spec!r}; {_help()}")
    unknown = [label for label in labels if label not in KNOWN_EMOTIONS]
    if unknown:
        what = "preset or emotion" if "," not in text else "emotion(s)"
        raise InputError(
            f"unknown {what} {', '.join(repr(u) for u in unknown)}; {_help()}; "
            f"known emotions: {', '.join(sorted(KNOWN_EMOTIONS))}"
        )
    return list(dict.fromkeys(labels))
