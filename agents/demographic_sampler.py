"""Demographic sampler (stage 1, code only): draws a base persona from the locale's real distribution tables.

Input: the persona's index and seed, and how many base candidates were tried so far.
Output: `base` (a BasePersona whose provenance names the table and seed of every value), `attempts` (its base count).
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from personagen.agents.context import AgentContext
from personagen.personas.locale import load_locale
from personagen.personas.models import Stage
from personagen.personas.sampling import sample_base

AGENT = "demographic_sampler"


async def sample_base_persona(state: dict[str, Any], runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Graph node: sample the next base-persona candidate."""
    ctx = runtime.context
    attempt = state["attempts"][Stage.BASE] + 1
    base = sample_base(load_locale(ctx.locale), state["seed"], state["index"], attempt)
    ctx.emit(base.id, AGENT, "sample", stage=Stage.BASE, attempt=attempt, data=base)
    return {"base": base, "attempts": {**state["attempts"], Stage.BASE: attempt}}
