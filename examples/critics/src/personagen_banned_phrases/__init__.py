"""Example PersonaGen critics: banned phrases and text length (expression stage, rule kind).

Importing this module registers both critics; the entry point in pyproject.toml makes PersonaGen import it.
"""

from __future__ import annotations

import re

from agents.critics.registry import Candidate, accept, critic, reject
from personas.models import Verdict

BANNED = (
    "as an ai",
    "language model",
    "i cannot",
    "here is a text",
)


@critic(
    "banned_phrases",
    stage="expression",
    description="Rejects texts with assistant boilerplate or that name their own target emotion.",
)
def banned_phrases(candidate: Candidate) -> Verdict:
    """Reject a text that contains a banned phrase, or the emotion label it is meant to convey."""
    text = candidate.expression.text.lower()
    found = [phrase for phrase in BANNED if phrase in text]
    emotion = candidate.expression.emotion.lower()
    if re.search(rf"\b{re.escape(emotion)}\b", text):
        found.append(emotion)
    if found:
        return reject(*(f"contains '{phrase}'" for phrase in found))
    return accept()


@critic("text_length", stage="expression", description="Rejects texts outside 3 to 60 words.")
class TextLength:
    """Class style: settings live on the instance (the registry creates it with no arguments)."""

    def __init__(self, min_words: int = 3, max_words: int = 60) -> None:
        self.min_words, self.max_words = min_words, max_words

    def check(self, candidate: Candidate) -> Verdict:
        words = len(candidate.expression.text.split())
        if words < self.min_words:
            return reject(f"only {words} words (minimum {self.min_words})", score=0.2)
        if words > self.max_words:
            return reject(f"{words} words (maximum {self.max_words})", score=0.2)
        return accept(f"{words} words")
