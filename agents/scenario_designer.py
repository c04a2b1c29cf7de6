"""Scenario designer (stage 3): puts the persona in a concrete situation.

Input: `base` and `socio` (when the run has that stage). The scenario's slots (location type, activity, partner
relationship, medium, language style) are drawn from the run's vocabularies with the persona's seed; the model
writes the scene that ties them together.
Output: `scenario` (a Scenario, or None when the answer did not parse), `attempts` (its scenario count).
A rewrite's prompt carries the rejected scene and why (agents/drafting.py).
"""

from __future__ import annotations

import json
from typing import Any

from langgraph.runtime import Runtime
from pydantic import BaseModel, Field

from personagen.agents.context import AgentContext
from personagen.agents.drafting import draft, stage_feedback
from personagen.agents.examples import shown_examples
from personagen.agents.prompting import render
from personagen.personas.localized import base_line, socio_line
from personagen.personas.models import Scenario, Stage
from personagen.personas.scenario_slots import draw_slots
from personagen.personas.vocab import load_vocab

AGENT = "scenario_designer"
EXAMPLES_SHOWN = 2
EXAMPLES_SHARED = 1  # the same for every persona: a prefix the server caches (agents/examples.py)


class SceneAnswer(BaseModel):
    """The model-written part of a scenario."""

    description: str = Field(description="One or two sentences setting the scene in which the person writes.")


def examples_block(seed: int, attempt: int, language: str = "en") -> str:
    """The few-shot scenes this persona's prompt shows (agents/prompts/examples/scenario_designer.json)."""
    return "\n".join(
        f"Person: {e['person']}\nSetting: {e['setting']}\n"
        f"Scene: {json.dumps({'description': e['scene']}, ensure_ascii=False)}\n"
        for e in shown_examples(AGENT, EXAMPLES_SHOWN, seed, attempt, language, EXAMPLES_SHARED)
    )


def persona_line(state: dict[str, Any], language: str = "en") -> str:
    """The persona as one line for prompts, in the texts' language (personas/localized.py): base summary, plus
    background when there is one."""
    base = state["base"]
    line = base_line(base, language)
    if state.get("socio") is not None:
        line += "; " + socio_line(state["socio"], base.locale, language)
    return line


async def design_scenario(state: dict[str, Any], runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Graph node: draw the scenario slots and let the model write the scene."""
    ctx = runtime.context
    attempt = state["attempts"][Stage.SCENARIO] + 1
    slots = draw_slots(ctx.vocab or load_vocab(None), ctx.slot_plan, state["index"], state["seed"], attempt)
    messages = render(AGENT, persona=persona_line(state, ctx.language), language=ctx.language_name,
                      examples=examples_block(state["seed"], attempt, ctx.language),
                      feedback=stage_feedback(ctx, state, Stage.SCENARIO, attempt, ("description",)), **slots)
    scenario, error = await draft(ctx, AGENT, state["base"].id, messages, SceneAnswer,
                                  lambda answer: Scenario(**slots, description=answer.description),
                                  stage=Stage.SCENARIO, attempt=attempt)
    return {"scenario": scenario, "attempts": {**state["attempts"], Stage.SCENARIO: attempt}, "stage_error": error}
