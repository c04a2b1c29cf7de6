"""Several drafts per text slot: the writer makes its call that many times, the rule critics rank the drafts, the
best one that passes goes to the critics (LLM critics judge only it), and the output event shows every draft's
scores."""

from __future__ import annotations

import asyncio
import re
from types import SimpleNamespace

from personagen.agents.context import AgentContext
from personagen.agents.critics.registry import select_critics
from personagen.agents.events import record
from personagen.critics import Stage, accept, critic, isolated_registry, reject
from personagen.graph.build import build_graph
from personagen.graph.runner import run_one
from personagen.pipeline import drafts_per_slot
from personagen.settings import Settings
from tests.fakes import FakeModels, ScriptedChat, good_script

SCORES = {"warm": 0.9, "plain": 0.4}


def warmth(candidate):
    """A rule critic scoring drafts by a word: 'warm' 0.9, 'plain' 0.4, anything else rejected."""
    for word, score in SCORES.items():
        if word in candidate.expression.text:
            return accept(word, score=score)
    return reject("neither warm nor plain", score=0.1)


def run_with(answers: list[list[str]], drafts: int) -> tuple[dict, list[dict], ScriptedChat]:
    """A one-persona run whose writer calls answer `answers` in order (each a list of texts, one per open slot)."""
    replies = iter(answers)
    chat = ScriptedChat(script=good_script(Texts=lambda prompt: {"texts": next(replies)}))
    events: list[dict] = []
    with isolated_registry():
        critic("warmth", stage=Stage.EXPRESSION, description="scores drafts by a word")(warmth)
        critics = select_critics(["warmth", "emotion_fidelity"], [])
    ctx = AgentContext(models=FakeModels(default=chat), emotions=["joy"], texts_per_emotion=2, critics=critics,
                       sink=lambda e: events.append(record(e)), drafts=drafts, stages="base")
    state = asyncio.run(run_one(build_graph(), ctx, 0, 1))
    return state, events, chat


def test_the_best_passing_draft_of_each_slot_is_kept_and_only_it_meets_the_llm_judge() -> None:
    state, events, chat = run_with([["plain one of joy", "bad two of joy"], ["warm three of joy", "warm four of joy"],
                                    ["plain five of joy", "bad six of joy"]], drafts=3)
    writer = [p for name, p in chat.prompts if name == "Texts"]
    assert len(writer) == 3 and len(set(writer)) == 1  # the same request three times, two slots each
    assert re.search(r"Write 2 messages", writer[0])
    # each answer gives one draft per slot: slot 0 gets texts 1, 3, 5; slot 1 gets 2, 4, 6
    assert sorted(t.text for t in state["texts"]) == ["warm four of joy", "warm three of joy"]
    assert chat.calls("EmotionReading") == 2  # the LLM judge read the two kept drafts, not all six
    (output,) = [e for e in events if e["type"] == "output" and e["agent"] == "emotion_writer"]
    slot0 = next(d for d in output["data"] if d["slot"] == 0)
    assert slot0["text"] == "warm three of joy"
    assert slot0["drafts"] == [{"text": "plain one of joy", "passed": True, "score": 0.4, "scores": {"warmth": 0.4}},
                               {"text": "warm three of joy", "passed": True, "score": 0.9, "scores": {"warmth": 0.9}},
                               {"text": "plain five of joy", "passed": True, "score": 0.4, "scores": {"warmth": 0.4}}]
    judged = [e for e in events if e["type"] == "verdict" and e["agent"] == "critic:warmth"]
    assert len(judged) == 2  # verdict events only for the kept drafts: the ranking itself records none


def test_when_no_draft_passes_the_best_one_is_rejected_and_the_slot_rewritten() -> None:
    bad = [[f"bad {c} of joy", f"bad {c}{c} of joy"] for c in "abc"]
    better = [["warm a of joy", "warm b of joy"], ["plain c of joy", "plain d of joy"],
              ["bad e of joy", "bad f of joy"]]
    state, events, chat = run_with(bad + better, drafts=3)
    assert chat.calls("Texts") == 6
    assert sorted(t.text for t in state["texts"]) == ["warm a of joy", "warm b of joy"]
    retries = [e for e in events if e["type"] == "retry" and e["stage"] == "expression"]
    assert len(retries) == 2 and "neither warm nor plain" in retries[0]["data"]["reason"]


def test_one_draft_is_the_default_except_on_the_embedded_model() -> None:
    state, events, chat = run_with([["bad x of joy", "warm y of joy"], ["plain z of joy"]], drafts=1)
    assert re.search(r"Write 2 messages", [p for n, p in chat.prompts if n == "Texts"][0])
    (first, *_) = [e for e in events if e["type"] == "output" and e["agent"] == "emotion_writer"]
    assert all("drafts" not in d for d in first["data"])
    local = SimpleNamespace(for_agent=lambda agent: SimpleNamespace(backend="local"))
    hosted = SimpleNamespace(for_agent=lambda agent: SimpleNamespace(backend="openai"))
    assert drafts_per_slot(Settings(), local) == 3 and drafts_per_slot(Settings(), hosted) == 1
    assert drafts_per_slot(Settings.model_validate({"run": {"drafts": 2}}), hosted) == 2
