"""Few-shot example pools: which examples a writing agent's prompt shows.

Each writing agent has a pool in agents/prompts/examples/<agent>.json. A prompt shows a few of them, picked and
ordered by the persona's seed and the attempt: prompts vary across personas (small models copy the nearest
example, and every model anchors on the examples it sees) while a run stays reproducible and resumable, and a
rewrite after a rejection sees other examples.
"""

from __future__ import annotations

import json
import random
from functools import cache
from typing import Any

from personagen.agents.prompting import PROMPTS_DIR

EXAMPLES_DIR = PROMPTS_DIR / "examples"


@cache
def load_pool(agent: str) -> dict[str, Any]:
    """The example pool file of `agent` (agents/prompts/examples/<agent>.json)."""
    return json.loads((EXAMPLES_DIR / f"{agent}.json").read_text(encoding="utf-8"))


def pick(salt: str, size: int, k: int, seed: int, attempt: int) -> list[int]:
    """`k` distinct indices into a pool of `size`, in an order fixed by (salt, seed, attempt)."""
    return random.Random(f"{salt}:{seed}:{attempt}").sample(range(size), min(k, size))


def pool_texts(agent: str) -> list[str]:
    """Every piece of text the agent's pool could put in a prompt (what a copying model could give back)."""
    pool = load_pool(agent)
    if "texts" in pool:  # the emotion writer: messages per emotion and writer
        return [text for pairs in pool["texts"].values() for pair in pairs for text in pair]
    return [value for example in pool["examples"] for value in _answer_values(example)]


def _answer_values(example: dict[str, Any]) -> list[str]:
    """The strings of an example's answer part (what the model writes), not of its question part."""
    answer = example.get("background") or {"scene": example.get("scene", "")}
    return [str(v) for v in answer.values() if v]


def shown_examples(agent: str, k: int, seed: int, attempt: int) -> list[dict[str, Any]]:
    """The `k` examples of the agent's pool that the prompt for this persona and attempt shows."""
    examples = load_pool(agent)["examples"]
    return [examples[i] for i in pick(agent, len(examples), k, seed, attempt)]
