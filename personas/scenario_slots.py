"""How a persona's scenario slots are drawn: balanced over the run's persona indices, or independently.

Input: a `Vocab` (personas/vocab.py), a `SlotPlan` (the `[coverage]` settings: which scenario attributes are
balanced, and integer weights per value), the run seed, and the persona's index and seed.
Output: `draw_slots(...)` -> one value per scenario slot, e.g. {'location': 'office', ..., 'language_style': 'casual'}.

Balanced ("stratified") attributes: the persona indices are cut into blocks; a block holds every value of the
attribute as many times as its weight (1 unless weighted), in an order shuffled per (run seed, attribute, block).
Persona index i takes the value at its place in its block. So any run of N personas gives each value its share
within one block's rounding, instead of by chance; each attribute has its own shuffles, so the attributes are not
tied to each other. A value of weight 0 is never drawn. Shard I of N holds every N-th index: the union of the
shards is balanced, each shard on its own only nearly so.
Other attributes are drawn independently (weighted when weights are given). A scenario's later attempts (after a
rejection) draw all slots independently from the persona seed and the attempt, as before balancing existed.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from personagen.errors import InputError
from personagen.personas.vocab import SLOTS, Vocab

ATTRIBUTES = tuple(SLOTS.values())  # location, activity, partner, medium, language_style


@dataclass(frozen=True)
class SlotPlan:
    """The `[coverage]` settings in a form the sampler uses."""

    run_seed: int = 0
    balance: frozenset[str] = frozenset(ATTRIBUTES)  # attributes drawn balanced over persona indices
    weights: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # attribute -> value -> weight


def check_weights(vocab: Vocab, weights: Mapping[str, Mapping[str, int]]) -> None:
    """InputError naming the attribute or value when `weights` names something the vocabulary lacks, a weight
    is not a whole number >= 0, or every value of an attribute is weighted 0."""
    for attribute, by_value in weights.items():
        if attribute not in ATTRIBUTES:
            raise InputError(f"[coverage] weights: unknown scenario attribute {attribute!r}; "
                             f"valid: {', '.join(ATTRIBUTES)}")
        values = values_of(vocab, attribute)
        unknown = sorted(set(by_value) - set(values))
        if unknown:
            raise InputError(f"[coverage] weights.{attribute}: {unknown} not in the scenario vocabulary "
                             f"(it has {len(values)} values, e.g. {list(values[:3])})")
        bad = [v for v, w in by_value.items() if not isinstance(w, int) or isinstance(w, bool) or w < 0]
        if bad:
            raise InputError(f"[coverage] weights.{attribute}: weights are whole numbers >= 0 (check {bad})")
        if not any(by_value.get(v, 1) for v in values):
            raise InputError(f"[coverage] weights.{attribute}: every value has weight 0; leave one above 0")


def values_of(vocab: Vocab, attribute: str) -> tuple[str, ...]:
    key = next(k for k, a in SLOTS.items() if a == attribute)
    return getattr(vocab, key)


def weighted(values: tuple[str, ...], weights: Mapping[str, int]) -> tuple[list[str], list[int]]:
    """The values with weight above 0, and their weights (1 unless given)."""
    pairs = [(v, weights.get(v, 1)) for v in values]
    kept = [(v, w) for v, w in pairs if w > 0]
    return [v for v, _ in kept], [w for _, w in kept]


def balanced_value(values: list[str], weights: list[int], run_seed: int, attribute: str, index: int) -> str:
    """The value of persona `index` in its block (see the module doc)."""
    block = [v for v, w in zip(values, weights, strict=True) for _ in range(w)]
    number, place = divmod(index, len(block))
    random.Random(f"{run_seed}:{attribute}:{number}").shuffle(block)
    return block[place]


def draw_slots(vocab: Vocab, plan: SlotPlan, index: int, seed: int, attempt: int) -> dict[str, str]:
    """One value per scenario slot for persona `index` (seed `seed`) at scenario attempt `attempt`."""
    rng = random.Random(seed * 31 + attempt)
    slots = {}
    for f in fields(vocab):
        attribute = SLOTS[f.name]
        values, weights = weighted(getattr(vocab, f.name), plan.weights.get(attribute, {}))
        if attempt == 1 and attribute in plan.balance:
            slots[attribute] = balanced_value(values, weights, plan.run_seed, attribute, index)
        else:
            slots[attribute] = rng.choices(values, weights)[0]
    return slots
