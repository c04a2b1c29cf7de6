"""Few-shot example pools: prompts vary across personas and rewrites, and stay the same when a run is redone."""

from __future__ import annotations

import re

from personagen.agents.emotion_writer import example_bank, examples_for
from personagen.agents.examples import load_pool
from personagen.agents.scenario_designer import examples_block as scene_examples
from personagen.agents.socio_enricher import examples_block as socio_examples

SEEDS = range(20)


def test_pools_are_well_formed() -> None:
    bank = example_bank()
    assert len(bank["writers"]) >= 6
    for emotion, pairs in bank["texts"].items():
        assert len(pairs) == len(bank["writers"]), emotion
        assert all(len(pair) == 2 and all(text.strip() for text in pair) for pair in pairs), emotion
    socio = load_pool("socio_enricher")["examples"]
    assert len(socio) >= 6 and all({"residence", "beliefs"} <= set(e["background"]) for e in socio)
    scenes = load_pool("scenario_designer")["examples"]
    assert len(scenes) >= 6 and all(e["person"] and e["setting"] and e["scene"] for e in scenes)


def test_each_prompt_shows_a_few_examples_from_the_pool() -> None:
    socio = socio_examples(seed=3, attempt=1)
    pool = {e["person"] for e in load_pool("socio_enricher")["examples"]}
    shown = re.findall(r"^Person: (.*)$", socio, flags=re.MULTILINE)
    assert len(shown) == 3 and len(set(shown)) == 3 and set(shown) <= pool
    assert len(re.findall(r"^Scene: ", scene_examples(seed=3, attempt=1), flags=re.MULTILINE)) == 2
    writers = re.findall(r"^Writer: ", examples_for("anger", 2, True, 3, 1), flags=re.MULTILINE)
    assert len(writers) == 2


RENDERS = (lambda s, a=1: socio_examples(s, a), lambda s, a=1: scene_examples(s, a),
           lambda s, a=1: examples_for("joy", 2, True, s, a))


def test_examples_vary_across_personas_but_not_across_reruns() -> None:
    """The persona's own example (the last, nearest the query) takes every value the pool leaves after the shared
    ones (the emotion writer's pool has 6 writers, 1 shared)."""
    for render in RENDERS:
        assert len({render(seed) for seed in SEEDS}) >= 5
        assert render(7) == render(7)


def test_every_persona_s_prompt_begins_with_the_same_examples() -> None:
    """The shared examples come first: one prefix per attempt for a server's prompt cache (scenes and texts; the
    enricher shares none, its copies of shared backgrounds cost personas: docs/local-model.md)."""
    for render in RENDERS[1:]:
        for attempt in (1, 2):
            firsts = {render(seed, attempt).split("\n\n")[0] for seed in SEEDS}
            assert len(firsts) == 1


def test_a_rewrite_sees_other_examples() -> None:
    changed = sum(examples_for("fear", 2, True, seed, 1) != examples_for("fear", 2, True, seed, 2) for seed in SEEDS)
    assert changed >= 15


def test_emotions_of_one_persona_do_not_all_get_the_same_writers() -> None:
    def writers(emotion: str, seed: int) -> list[str]:
        return re.findall(r"^Writer: (.*)$", examples_for(emotion, 2, True, seed, 1), flags=re.MULTILINE)

    assert sum(writers("joy", seed) != writers("anger", seed) for seed in SEEDS) >= 15


def test_an_emotion_without_examples_is_shown_other_emotions_labelled() -> None:
    block = examples_for("awe", 1, True, 5, 1)
    assert "Emotion: joy" in block and "Emotion: sadness" in block and "Emotion: awe" not in block
