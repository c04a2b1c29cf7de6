"""Emotion writer (stage 4): short first-person texts that carry a target emotion and fit persona and scenario.

Input: the persona (`base`, `socio`, `scenario` as far as the run's stages go) and `slots`, the text slots
(emotion x index) with their attempts so far. One model call per emotion writes the texts of its open slots.
Output: `pending` (the new candidate Expressions, for the expression critics) and the updated `slots`.
With `drafts` > 1 (the embedded model's default) the call is made that many times and, per slot, the draft the
rule critics score best is kept (agents/drafts.py).
With method "baseline" the prompt names only the emotion (the no-persona baseline of the paper).
A rewrite's prompt carries each rejected text of the emotion and why (agents/drafting.py).
"""

from __future__ import annotations

import asyncio
import json
import re
from functools import cache
from typing import Any

from langgraph.runtime import Runtime
from pydantic import BaseModel, Field, create_model

from personagen.agents.context import AgentContext
from personagen.agents.drafting import draft, texts_feedback
from personagen.agents.drafts import choose
from personagen.agents.examples import load_pool, pick
from personagen.agents.prompting import render
from personagen.agents.scenario_designer import persona_line
from personagen.personas.localized import japanese, scene_line
from personagen.personas.models import Expression, Scenario, Stage, TextSlot
from personagen.personas.textfit import one_line

AGENT = "emotion_writer"
WRITERS_SHOWN = 2
WRITERS_SHARED = 1  # the same for every persona: a prefix the server caches (agents/examples.py)
FALLBACK_EMOTIONS = ("joy", "sadness")
SCENE_WIDTH = 200
NO_SCENE = "an ordinary day, writing a message to someone they know"
NO_SCENE_JA = "いつもの一日、知り合いにメッセージを書いている"
SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])")


class Texts(BaseModel):
    """The texts written for one emotion."""

    texts: list[str] = Field(description="The short first-person messages, one string each.")


@cache
def texts_schema(count: int) -> type[Texts]:
    """Texts holding exactly `count` messages (a constraint grammar-constrained backends enforce)."""
    return create_model("Texts", __base__=Texts, texts=(list[str], Field(
        min_length=count, max_length=count, description="The short first-person messages, one string each.")))


def example_bank(language: str = "en") -> dict[str, Any]:
    """Writers, and per emotion one pair of messages per writer (agents/prompts/examples/emotion_writer.json, or
    the pool of the texts' language, e.g. emotion_writer.ja.json)."""
    return load_pool(AGENT, language)


def examples_for(emotion: str, count: int, with_writer: bool, seed: int, attempt: int, language: str = "en") -> str:
    """Few-shot messages of the target emotion by writers picked for this persona and attempt (for an emotion
    without examples: the same writers' messages of other emotions, labelled), in the texts' language."""
    bank = example_bank(language)
    texts = bank["texts"]
    blocks = []
    shown = pick(f"{AGENT}/{emotion}", len(bank["writers"]), WRITERS_SHOWN, seed, attempt, WRITERS_SHARED)
    for n, i in enumerate(shown):
        label = emotion if emotion in texts else FALLBACK_EMOTIONS[n % len(FALLBACK_EMOTIONS)]
        writer = bank["writers"][i]
        head = f"Writer: {writer['persona']}\nSituation: {writer['situation']}\n" if with_writer else ""
        messages = json.dumps({"texts": texts[label][i][:count]}, ensure_ascii=False)
        blocks.append(f"{head}Emotion: {label}\nMessages: {messages}\n")
    return "\n".join(blocks)


def open_slots(slots: dict[tuple[str, int], TextSlot], emotion: str) -> list[int]:
    """Indices of the emotion's slots still waiting for an accepted text."""
    return [s.slot for s in slots.values() if s.emotion == emotion and s.status == "open"]


def situation_line(scenario: Scenario | None, language: str = "en") -> str:
    """The scenario for the writer's prompt, in the texts' language: its slots and the first sentence of its scene
    (at most SCENE_WIDTH characters). A small model's scenes ramble on for three or four sentences (60-100 tokens)
    that every writer call of the persona would read again."""
    if scenario is None:
        return NO_SCENE_JA if japanese(language) else NO_SCENE
    first = SENTENCE_END.split(scenario.description.strip(), maxsplit=1)[0] if scenario.description else ""
    joint = "。" if japanese(language) else ". "
    return scene_line(scenario, language) + (f"{joint}{one_line(first, SCENE_WIDTH)}" if first else "")


def build_messages(state: dict[str, Any], ctx: AgentContext, emotion: str, slots: list[int], attempt: int) -> list:
    count = len(slots)
    feedback = texts_feedback(ctx, [state["slots"][(emotion, s)] for s in slots])
    if ctx.method == "baseline":
        return render("emotion_writer_baseline", emotion=emotion, language=ctx.language_name, count=count,
                      examples=examples_for(emotion, count, False, state["seed"], attempt, ctx.language),
                      feedback=feedback)
    return render(AGENT, emotion=emotion, language=ctx.language_name, count=count,
                  persona=persona_line(state, ctx.language),
                  scenario=situation_line(state.get("scenario"), ctx.language), feedback=feedback,
                  examples=examples_for(emotion, count, True, state["seed"], attempt, ctx.language))


async def write_for_emotion(state: dict[str, Any], ctx: AgentContext,
                            emotion: str) -> list[tuple[Expression, list[dict[str, Any]]]]:
    """`ctx.drafts` calls (in turn: see agents/drafts.py) for the open slots of `emotion`; returns per slot the
    kept draft and every draft's scores (fewer slots if the model gave fewer texts)."""
    slots = open_slots(state["slots"], emotion)
    if not slots:
        return []
    attempt = max(state["slots"][(emotion, s)].attempts for s in slots) + 1
    messages = build_messages(state, ctx, emotion, slots, attempt)

    def candidates(answer: Texts) -> list[Expression]:
        texts = [t.strip() for t in answer.texts if t and t.strip()]
        return [Expression(emotion=emotion, text=text, slot=slot, attempt=state["slots"][(emotion, slot)].attempts + 1)
                for slot, text in zip(slots, texts, strict=False)]

    answers = await asyncio.gather(*(draft(ctx, AGENT, state["persona_id"], messages, texts_schema(len(slots)),
                                           candidates, stage=Stage.EXPRESSION, attempt=attempt, emit=False,
                                           emotion=emotion) for _ in range(ctx.drafts)))
    drafts: dict[int, list[Expression]] = {}
    for written, _ in answers:
        for expr in written or []:
            drafts.setdefault(expr.slot, []).append(expr)
    return await choose(ctx, state, drafts)


async def write_emotions(state: dict[str, Any], runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Graph node: write candidates for every open slot, all emotions concurrently. The `output` event lists the
    kept drafts; with several drafts per slot each carries `drafts`, every draft's text, passed and score."""
    ctx = runtime.context
    batches = await asyncio.gather(*(write_for_emotion(state, ctx, e) for e in ctx.emotions))
    kept = [chosen for batch in batches for chosen in batch]
    pending = [expr for expr, _ in kept]
    slots = {key: s.model_copy(update={"attempts": s.attempts + 1}) if s.status == "open" else s
             for key, s in state["slots"].items()}
    ctx.emit(state["persona_id"], AGENT, "output", stage=Stage.EXPRESSION,
             data=[expr.model_dump(mode="json") | ({"drafts": rows} if rows else {}) for expr, rows in kept])
    return {"pending": pending, "slots": slots}
