"""Drafting with the model: the one skeleton of the LLM-written stages, and the feedback a rewrite gets.

The socio enricher, the scenario designer and the emotion writer all ask the model for a draft, turn the answer
into a candidate, record it, and hand a failed answer to the critic loop as a rejection without a candidate.
`draft` is that sequence.

A rewrite is not blind: when a stage's previous candidate was rejected, the next prompt carries it (shortened)
with each blocking critic's reasons, in the prompt's own few-shot document style:

    Rejected draft: {"residence": "a farm", "beliefs": "..."}
    Why: residence copies an example word for word

Advisory verdicts (recorded, never enforced) are not fed back. `[critics] feedback = false` turns it off.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from langchain_core.messages import BaseMessage
from pydantic import BaseModel

from personagen.agents.context import AgentContext
from personagen.agents.llm import ModelAnswerError
from personagen.personas.models import RejectedCandidate, Stage, TextSlot, Verdict, blocking_verdicts
from personagen.personas.textfit import one_line

T = TypeVar("T", bound=BaseModel)
DRAFT_WIDTH = 300  # characters of a rejected draft shown back to the model


async def draft(ctx: AgentContext, agent: str, persona_id: str, messages: list[BaseMessage], schema: type[T],
                build: Callable[[T], Any], *, stage: Stage, attempt: int, emit: bool = True,
                **extra: Any) -> tuple[Any, ModelAnswerError | None]:
    """(candidate, None), or (None, the error) when the model call failed for this candidate: its answer did not
    fit `schema`, or the server refused this prompt or answer (the error's `kind` says which: a content filter,
    a context overflow, ...; agents/call_errors.py). The stage's critics turn it into a rejection.

    `build` turns the parsed answer into the stage's candidate; with `emit` the candidate is recorded as an
    `output` event.
    """
    try:
        answer = await ctx.ask(agent, persona_id, messages, schema, stage=stage, attempt=attempt, **extra)
    except ModelAnswerError as exc:
        return None, exc
    candidate = build(answer)
    if emit:
        ctx.emit(persona_id, agent, "output", stage=stage, attempt=attempt, data=candidate, **extra)
    return candidate, None


def feedback_block(drafted: str | None, verdicts: Iterable[Verdict | Mapping[str, Any]]) -> str:
    """One rejected draft and why, in the prompts' document style ('' when nothing blocked it; advisory verdicts
    are not fed back)."""
    reasons = [r for v in blocking_verdicts(verdicts) for r in v.reasons]
    if not reasons:
        return ""
    shown = one_line(drafted, DRAFT_WIDTH) if drafted else "(no usable answer)"
    return f"Rejected draft: {shown}\nWhy: {one_line('; '.join(reasons), DRAFT_WIDTH)}\n"


def stage_feedback(ctx: AgentContext, state: dict[str, Any], stage: Stage, attempt: int,
                   fields: Iterable[str]) -> str:
    """The feedback for attempt `attempt` of a persona stage: its previous candidate, if that was rejected
    (nothing with `[critics] feedback = false`). `fields` are the candidate's model-written fields."""
    last: RejectedCandidate | None = state["rejected"][-1] if state.get("rejected") else None
    if not ctx.feedback or attempt <= 1 or last is None or last.stage != stage or last.attempt != attempt - 1:
        return ""
    candidate = last.candidate
    drafted = json.dumps({k: getattr(candidate, k) for k in fields}, ensure_ascii=False) if candidate else None
    return feedback_block(drafted, last.verdicts)


def texts_feedback(ctx: AgentContext, slots: Iterable[TextSlot]) -> str:
    """The feedback for rewriting texts: each open slot's last rejected text and why."""
    if not ctx.feedback:
        return ""
    return "".join(feedback_block(json.dumps(s.last.text, ensure_ascii=False) if s.last.text else None,
                                  s.last_verdicts)
                   for s in slots if s.last is not None)
