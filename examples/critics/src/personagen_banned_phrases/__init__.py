"""Example PersonaGen critics for the expression stage, both rule critics (no model calls):

- `banned_phrases` (function style): rejects a text containing assistant boilerplate, or that names the very
  emotion it should convey ("I feel so joy" tells instead of showing);
- `first_person` (class style): rejects an English text that is not written in the first person.

Importing this module registers both; the entry point in pyproject.toml makes PersonaGen import it. Like any
plug-in, it imports only `personagen.critics`, PersonaGen's public API for critics.
"""

from __future__ import annotations

import re

from personagen.critics import Candidate, Stage, Verdict, accept, critic, reject

BANNED = ("as an ai", "language model", "i cannot", "here is a text", "here are")
PRONOUNS = ("i", "i'm", "i've", "i'll", "i'd", "me", "my", "mine", "we", "us", "our")


@critic(
    "banned_phrases",
    stage=Stage.EXPRESSION,
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
    return accept("no banned phrase")


@critic(
    "first_person", stage=Stage.EXPRESSION, description="Rejects English texts not written in the first person."
)
class FirstPerson:
    """Class style: settings live on the instance (the registry creates it once, with no arguments)."""

    def __init__(self, pronouns: tuple[str, ...] = PRONOUNS) -> None:
        self.pronouns = set(pronouns)

    def check(self, candidate: Candidate) -> Verdict:
        if candidate.language != "en":
            return accept(f"not checked for language {candidate.language}")
        words = set(re.findall(r"[a-z']+", candidate.expression.text.lower()))
        if words & self.pronouns:
            return accept("first person")
        return reject("not written in the first person", score=0.3)
