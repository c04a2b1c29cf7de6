"""Choosing among drafts: the emotion writer's several drafts of one text slot, ranked by the rule critics.

Input: the drafts of each slot (Expressions of one emotion, one attempt), the persona so far, and the run's
critics. Output: per slot the draft to hand to the critics, and what every draft scored.
With `drafts` > 1 the writer makes its call for an emotion's open slots that many times, in turn (the embedded
llama-cpp-python server ignores the OpenAI `n` parameter, llama_cpp/server/types.py "ignored or currently
unsupported", so several choices in one request are not to be had there; its prompt cache makes the repeated
prompt cost only the generation, and each request draws its own seed, personagen/backends/llamacpp_serve.py).
Asking for N times the texts in one answer was tried first: the 270M model padded long lists with blanks and
"Text:" stubs and ran past its 200-token cap. Each draft is judged by the stage's
rule critics (cheap, no model call: offline_emotion, offline_strength, duplicates, language, text_shape, ...),
without events; the kept draft is the one none of them blocks with the best mean score, else (none passes)
the best-scoring one, which the critics then reject as usual so the slot is rewritten with their reasons.
LLM critics judge only the kept draft, in the critics' node (agents/critics/stage.py), as before.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from personagen.agents.context import AgentContext
from personagen.agents.critics.registry import Candidate, CriticError
from personagen.personas.models import Expression, Stage

EMBEDDED_DRAFTS = 3  # the default on the embedded model (personagen/pipeline.py); measured in docs/critics.md


@dataclass(frozen=True)
class Scored:
    """One draft with its rule critics' judgement: blocked by none (`passed`), and the mean of their scores."""

    draft: Expression
    passed: bool
    score: float
    scores: dict[str, float]

    def row(self) -> dict[str, Any]:
        return {"text": self.draft.text, "passed": self.passed, "score": round(self.score, 4),
                "scores": {name: round(score, 4) for name, score in self.scores.items()}}


async def score_draft(ctx: AgentContext, state: dict[str, Any], draft: Expression) -> Scored:
    """The rule critics' verdicts on one draft, as the critics' node would give them (advisory ones count for the
    score only); a critic that fails is left out, as `on_error = "skip"` does."""
    candidate = Candidate(stage=Stage.EXPRESSION, persona=state["base"], socio=state.get("socio"),
                          scenario=state.get("scenario"), expression=draft, emotions=ctx.emotions,
                          language=ctx.language, earlier_texts=[t.text for t in state.get("texts") or []])
    passed, scores = True, {}
    for spec in ctx.critics:
        if spec.stage != Stage.EXPRESSION or spec.kind != "rule":
            continue
        try:
            verdict = await spec.run(candidate)
        except CriticError:
            continue
        scores[spec.name] = verdict.score
        if not verdict.passed and spec.name not in ctx.advisory:
            passed = False
    return Scored(draft, passed, sum(scores.values()) / len(scores) if scores else 1.0, scores)


def best(scored: list[Scored]) -> Scored:
    """The passing draft with the highest score (the first on ties), else the highest-scoring one."""
    return max(scored, key=lambda s: (s.passed, s.score))


async def choose(ctx: AgentContext, state: dict[str, Any],
                 drafts: dict[int, list[Expression]]) -> list[tuple[Expression, list[dict[str, Any]]]]:
    """Per slot (in `drafts` order): the kept draft and every draft's row (text, passed, mean score, each rule
    critic's score). A slot with one draft keeps it unjudged (its row list is empty)."""
    out = []
    for slot_drafts in drafts.values():
        if len(slot_drafts) == 1:
            out.append((slot_drafts[0], []))
            continue
        scored = list(await asyncio.gather(*(score_draft(ctx, state, d) for d in slot_drafts)))
        out.append((best(scored).draft, [s.row() for s in scored]))
    return out
