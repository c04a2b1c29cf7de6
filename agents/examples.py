"""Few-shot example pools: which examples a writing agent's prompt shows.

Each writing agent has a pool in agents/prompts/examples/<agent>.json, and may have one per language of the
texts beside it, <agent>.<language>.json (e.g. emotion_writer.ja.json: Japanese messages, so a model asked to
write Japanese sees Japanese). A language without its own pool uses the default (English) one.
A prompt shows a few examples: first a shared few, picked by the attempt alone (every persona's prompt begins
with the same text, which a server with a prompt cache evaluates once), then the persona's own, picked by its
seed and the attempt, nearest the query: prompts vary across personas (small models copy the nearest example, and
every model anchors on the examples it sees) while a run stays reproducible and resumable, and a rewrite after a
rejection sees other examples.
"""

from __future__ import annotations

import json
import random
from functools import cache
from pathlib import Path
from typing import Any

from personagen.agents.prompting import PROMPTS_DIR
from personagen.personas.text_units import base_language

EXAMPLES_DIR = PROMPTS_DIR / "examples"
DEFAULT_LANGUAGE = "en"


def pool_path(agent: str, language: str | None = DEFAULT_LANGUAGE) -> Path:
    """The pool file of `agent` for texts in `language`: its own when there is one, else the default pool."""
    lang = base_language(language)
    own = EXAMPLES_DIR / f"{agent}.{lang}.json"
    return own if lang != DEFAULT_LANGUAGE and own.is_file() else EXAMPLES_DIR / f"{agent}.json"


@cache
def _read_pool(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def load_pool(agent: str, language: str | None = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """The example pool of `agent` for texts in `language` (agents/prompts/examples/<agent>[.<language>].json)."""
    return _read_pool(pool_path(agent, language))


def pick(salt: str, size: int, k: int, seed: int, attempt: int, shared: int = 0) -> list[int]:
    """`k` distinct indices into a pool of `size`: the first `shared` fixed by (salt, attempt) alone, the same for
    every persona, then the others in an order fixed by (salt, seed, attempt).

    The shared examples come first in a prompt, so every persona's prompt for that attempt begins with the same
    text: a server with a prompt cache evaluates it once (docs/local-model.md). The persona's own examples come
    last, nearest the query, where a small model copies from.
    """
    fixed = random.Random(f"{salt}:shared:{attempt}").sample(range(size), min(shared, k, size))
    rest = [i for i in range(size) if i not in fixed]
    return fixed + random.Random(f"{salt}:{seed}:{attempt}").sample(rest, min(k - len(fixed), len(rest)))


def pool_texts(agent: str, language: str | None = DEFAULT_LANGUAGE) -> list[str]:
    """Every piece of text the agent's pool could put in a prompt (what a copying model could give back)."""
    pool = load_pool(agent, language)
    if "texts" in pool:  # the emotion writer: messages per emotion and writer
        return [text for pairs in pool["texts"].values() for pair in pairs for text in pair]
    return [value for example in pool["examples"] for value in _answer_values(example)]


def _answer_values(example: dict[str, Any]) -> list[str]:
    """The strings of an example's answer part (what the model writes), not of its question part."""
    answer = example.get("background") or {"scene": example.get("scene", "")}
    return [str(v) for v in answer.values() if v]


def shown_examples(agent: str, k: int, seed: int, attempt: int,
                   language: str | None = DEFAULT_LANGUAGE, shared: int = 0) -> list[dict[str, Any]]:
    """The `k` examples of the agent's pool (for texts in `language`) that the prompt for this persona and
    attempt shows, the `shared` ones (the same for every persona) first."""
    examples = load_pool(agent, language)["examples"]
    return [examples[i] for i in pick(agent, len(examples), k, seed, attempt, shared)]
