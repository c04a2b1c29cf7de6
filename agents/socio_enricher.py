"""Socio-cultural enricher (stage 2): completes the persona's background, conditioned on the base persona.

Input: `base`; the fields with a table (education, religion, family structure, income) are sampled from the
locale's tables, then the model writes the rest (residence, beliefs) to fit them.
Output: `socio` (a SocioCultural, or None when the model's answer did not parse), `attempts` (its socio count).
A rewrite's prompt carries the rejected background and why (agents/drafting.py).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from langgraph.runtime import Runtime
from pydantic import BaseModel, Field, create_model

from personagen.agents.context import AgentContext
from personagen.agents.drafting import draft, stage_feedback
from personagen.agents.examples import shown_examples
from personagen.agents.prompting import render
from personagen.personas.locale import load_locale
from personagen.personas.localized import enricher_line
from personagen.personas.models import SocioCultural, Stage
from personagen.personas.sampling import sample_socio

AGENT = "socio_enricher"
EXAMPLES_SHOWN = 3
# None shared: with 2 of the 3 shared (a prefix the server caches, agents/examples.py), the model copied them and
# `copied_background` rejected 6-7 backgrounds a run instead of 2-4 (2 personas dropped at seed 6); docs/local-model.md.
EXAMPLES_SHARED = 0


class Enrichment(BaseModel):
    """The model-written part of a socio-cultural background."""

    residence: str = Field(description="Where the person lives: kind of place and region, one phrase.")
    beliefs: str = Field(description="Values and beliefs that shape how the person sees the world, one sentence.")


TABLE_FIELDS = {"education": "education", "religion": "religion", "family_structure": "household", "income": "income"}


@cache
def enrichment_schema(missing: tuple[str, ...]) -> type[Enrichment]:
    """Enrichment plus the table fields the locale has no table for (the model writes those too)."""
    extra = {name: (str, Field(description=f"The person's {TABLE_FIELDS[name]}, one short phrase."))
             for name in missing}
    return create_model("Enrichment", __base__=Enrichment, **extra) if extra else Enrichment


def examples_block(seed: int, attempt: int, language: str = "en") -> str:
    """The few-shot backgrounds this persona's prompt shows (agents/prompts/examples/socio_enricher.json)."""
    return "\n".join(f"Person: {e['person']}\nBackground: {json.dumps(e['background'], ensure_ascii=False)}\n"
                     for e in shown_examples(AGENT, EXAMPLES_SHOWN, seed, attempt, language, EXAMPLES_SHARED))


async def enrich_socio(state: dict[str, Any], runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Graph node: sample the table-backed background fields and let the model write the others."""
    ctx = runtime.context
    base = state["base"]
    attempt = state["attempts"][Stage.SOCIO] + 1
    drawn = sample_socio(load_locale(ctx.locale), base, state["seed"], attempt)
    fields = {name: value for name, (value, _) in drawn.items()}
    missing = tuple(name for name in TABLE_FIELDS if name not in fields)
    messages = render(AGENT, persona=enricher_line(base, fields, TABLE_FIELDS, ctx.language),
                      language=ctx.language_name, fields=", ".join(("residence", "beliefs", *missing)),
                      examples=examples_block(state["seed"], attempt, ctx.language),
                      feedback=stage_feedback(ctx, state, Stage.SOCIO, attempt, ("residence", "beliefs", *missing)))
    provenance = {name: sampled for name, (_, sampled) in drawn.items()}
    socio, error = await draft(ctx, AGENT, base.id, messages, enrichment_schema(missing),
                               lambda answer: SocioCultural(**fields, **answer.model_dump(), provenance=provenance),
                               stage=Stage.SOCIO, attempt=attempt)
    return {"socio": socio, "attempts": {**state["attempts"], Stage.SOCIO: attempt}, "stage_error": error}
