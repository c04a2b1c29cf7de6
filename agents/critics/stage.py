"""Critic nodes: run the enabled critics of a stage on its candidate and record every verdict.

Input: the candidate of the stage (`base`, `socio`, `scenario`, or the `pending` texts) and the run's critics.
Output: for persona stages, `passed` plus the verdicts appended to `verdicts` or the candidate to `rejected`;
for texts, accepted ones appended to `texts`, the `slots` updated (accepted / still open / dropped; a dropped
slot's `cause` is `error` when a failed model call, not a critic's judgement, closed it).
A failed model call (the agent's or a critic's: unparseable, content-filtered, ...) is a verdict with `error_kind`:
the loop rewrites or drops the candidate as for any rejection, and counts the loss as a model error.
Rule critics run before LLM critics; the first rejection short-circuits. An enforced critic named in
`[critics] controls` first judges its control cases, once per run (agents/critics/controls.py).
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from personagen.agents.context import AgentContext
from personagen.agents.critics.controls import ensure_controls
from personagen.agents.critics.registry import Candidate, CriticError, prepare_critics
from personagen.agents.llm import ModelAnswerError
from personagen.personas.models import (
    AcceptedText,
    DroppedText,
    RejectedCandidate,
    Stage,
    TextSlot,
    Verdict,
    blocking_verdicts,
    lost_to_error,
)

NO_TEXT = "the model gave no usable text"


def failed_call(critic: str, stage: Stage, reason: str, kind: str) -> Verdict:
    """The rejection a failed model call makes (an unparseable answer, a content filter, ...): not a critic's
    judgement, so a slot or persona lost this way counts against `[limits] max_error_share`."""
    return Verdict(critic=critic, stage=stage, passed=False, score=0.0, reasons=[reason], kind="llm",
                   error_kind=kind)


async def judge(ctx: AgentContext, candidate: Candidate, persona_id: str, attempt: int) -> list[Verdict]:
    """The verdicts of the stage's critics on one candidate, stopping at the first rejection.

    Events about a text carry its emotion and slot.
    """
    verdicts = []
    expr = candidate.expression
    where = {"emotion": expr.emotion, "slot": expr.slot} if expr is not None else {}
    for spec in (s for s in ctx.critics if s.stage == candidate.stage):
        agent = f"critic:{spec.name}"
        candidate.asker = (lambda m, schema, agent=agent, stage=spec.stage:
                           ctx.ask(agent, persona_id, m, schema, stage=stage, attempt=attempt, **where))
        if spec.name in ctx.controls and spec.name not in ctx.advisory:  # ControlsFailed ends the run
            await ensure_controls(ctx.control_checks, spec, lambda m, schema, agent=agent, stage=spec.stage:
                                  ctx.ask(agent, None, m, schema, stage=stage), ctx.models.for_agent(agent).name)
        try:
            verdict = await spec.run(candidate)
        except ModelAnswerError as exc:
            verdict = failed_call(spec.name, spec.stage, f"the critic's model gave no usable answer: {exc}", exc.kind)
        except CriticError as exc:
            ctx.emit(persona_id, agent, "error", stage=spec.stage, attempt=attempt, data={"message": str(exc)},
                     **where)
            if ctx.on_critic_error == "stop":
                raise
            continue
        if spec.name in ctx.advisory:
            verdict = verdict.model_copy(update={"advisory": True})
        ctx.emit(persona_id, agent, "verdict", stage=spec.stage, attempt=attempt, data=verdict, **where)
        verdicts.append(verdict)
        if verdict.blocks:
            break
    return verdicts


def persona_candidate(state: dict[str, Any], stage: Stage, ctx: AgentContext) -> Candidate:
    return Candidate(stage=stage, persona=state["base"], socio=state.get("socio"), scenario=state.get("scenario"),
                     emotions=ctx.emotions, language=ctx.language)


def make_persona_critic_node(stage: Stage):
    """A graph node judging the candidate of `stage` (base, socio or scenario)."""

    async def critique(state: dict[str, Any], runtime: Runtime[AgentContext]) -> dict[str, Any]:
        ctx, attempt = runtime.context, state["attempts"][stage]
        candidate = state.get(stage)  # the state holds each persona stage's candidate under the stage's name
        if candidate is None:  # the agent's model call failed: a rejection without a candidate
            error = state.get("stage_error")  # the ModelAnswerError of agents/drafting.py
            verdicts = [failed_call("parse", stage, str(error or "no candidate"), getattr(error, "kind", "invalid"))]
        else:
            verdicts = await judge(ctx, persona_candidate(state, stage, ctx), state["persona_id"], attempt)
        blocking = blocking_verdicts(verdicts)
        if not blocking:
            return {"passed": True, "verdicts": state["verdicts"] + verdicts}
        rejected = RejectedCandidate(stage=stage, attempt=attempt, candidate=candidate, verdicts=verdicts)
        reason = "; ".join(r for v in blocking for r in v.reasons)
        if attempt < state["max_attempts"][stage]:  # the last rejection is reported by the drop, not as a retry
            ctx.emit(state["persona_id"], f"{stage.value}_critics", "retry", stage=stage, attempt=attempt,
                     data={"stage": stage, "reason": reason})
        return {"passed": False, "rejected": state["rejected"] + [rejected], "last_reason": reason}

    critique.__name__ = f"critique_{stage.value}"
    return critique


async def critique_texts(state: dict[str, Any], runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Graph node: judge each pending text; accept it, leave its slot open for a rewrite, or drop it."""
    ctx = runtime.context
    written = {(expr.emotion, expr.slot) for expr in state["pending"]}
    slots: dict[tuple[str, int], TextSlot] = {  # an open slot the writer gave no text this round: its call failed
        key: slot.model_copy(update={"failed_call": key not in written}) if slot.status == "open" else slot
        for key, slot in state["slots"].items()}
    texts: list[AcceptedText] = list(state["texts"])
    dropped: list[DroppedText] = list(state["dropped_texts"])
    prepare_critics(ctx.critics, [Candidate(stage=Stage.EXPRESSION, persona=state["base"], expression=expr,
                                            emotions=ctx.emotions, language=ctx.language) for expr in state["pending"]])
    for expr in state["pending"]:
        candidate = Candidate(stage=Stage.EXPRESSION, persona=state.get("base"), socio=state.get("socio"),
                              scenario=state.get("scenario"), expression=expr, emotions=ctx.emotions,
                              language=ctx.language, earlier_texts=[t.text for t in texts])
        judged = await judge(ctx, candidate, state["persona_id"], expr.attempt)
        slot = slots[(expr.emotion, expr.slot)]
        slot.last, slot.last_verdicts = expr, judged
        if not blocking_verdicts(judged):
            slot.status = "accepted"
            texts.append(AcceptedText(emotion=expr.emotion, text=expr.text, slot=expr.slot, attempt=expr.attempt,
                                      verdicts=judged))
        elif slot.attempts < ctx.limits.text_attempts:
            ctx.emit(state["persona_id"], "expression_critics", "retry", stage=Stage.EXPRESSION, attempt=expr.attempt,
                     data={"stage": Stage.EXPRESSION, "reason": "; ".join(reasons_of(judged))},
                     emotion=expr.emotion, slot=expr.slot)
    for slot in slots.values():
        if slot.status == "open" and slot.attempts >= ctx.limits.text_attempts:
            reasons = [NO_TEXT] if slot.failed_call else reasons_of(slot.last_verdicts)
            dropped.append(drop_slot(slot))
            ctx.emit(state["persona_id"], "expression_critics", "drop", stage=Stage.EXPRESSION,
                     data={"stage": Stage.EXPRESSION, "reasons": reasons}, emotion=slot.emotion, slot=slot.slot)
    return {"slots": slots, "texts": texts, "dropped_texts": dropped, "pending": []}


def drop_slot(slot: TextSlot) -> DroppedText:
    """Close a slot whose attempts ran out (the slot changes in place: it is this round's copy)."""
    slot.status = "dropped"
    text = slot.last.text if slot.last is not None else None
    error = slot.failed_call or lost_to_error(slot.last_verdicts)
    return DroppedText(emotion=slot.emotion, slot=slot.slot, text=text, verdicts=slot.last_verdicts,
                       cause="error" if error else "critic")


def reasons_of(verdicts: list[Verdict]) -> list[str]:
    return [r for v in blocking_verdicts(verdicts) for r in v.reasons] or [NO_TEXT]
